"""Packaging: a light import, and records shipped inside the wheel."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_and_validate_do_not_load_site_or_database_stacks():
    code = (
        "import sys, kb; from kb import cli; cli.main(['validate']); "
        "import json; print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('sqlmodel', 'sqlalchemy', 'jinja2', 'mkdocs', 'material'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == []


def test_wheel_ships_the_records_and_loads_them(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "kb/records/chips/nvidia-h100-sxm.yaml" in names
        assert "kb/records/LICENSE" in names
        zf.extractall(tmp_path / "site")
    code = "import kb; b = kb.load(); print(b.root, len(b.chips))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site"),
                                            "PATH": "/usr/bin:/bin"}, timeout=60)
    assert run.returncode == 0, run.stderr
    root, count = run.stdout.split()
    assert root == str(tmp_path / "site" / "kb" / "records")
    assert int(count) == len(list((ROOT / "records" / "chips").glob("*.yaml")))
