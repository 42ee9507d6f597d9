"""Every command acts on the project it is run in, not on the checkout kb was installed from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import kb
from kb import project

ROOT = Path(__file__).resolve().parent.parent


def _kb(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A second checkout (site sources and its own small records); kb stays installed from
    this repository."""
    from conftest import copy_project

    return copy_project(tmp_path / "second-clone")


def test_kb_new_in_a_second_clone_writes_into_that_clone(clone):
    assert not (ROOT / "records" / "chips" / "acme-x9.yaml").exists()
    proc = _kb("new", "chip", "acme-x9", cwd=clone / "docs")  # from a subfolder, as git allows
    assert proc.returncode == 0, proc.stderr
    assert (clone / "records" / "chips" / "acme-x9.yaml").is_file()
    assert not (ROOT / "records" / "chips" / "acme-x9.yaml").exists()


def test_kb_validate_in_a_second_clone_validates_that_clone(clone):
    proc = _kb("validate", cwd=clone)
    assert proc.returncode == 0, proc.stderr
    chips = len(list((clone / "records" / "chips").glob("*.yaml")))
    assert f"{chips} chips" in proc.stdout
    assert chips != len(list((ROOT / "records" / "chips").glob("*.yaml")))
    (clone / "records" / "chips" / "broken.yaml").write_text("id: broken\n")
    proc = _kb("validate", cwd=clone)
    assert proc.returncode == 1
    assert "records/chips/broken.yaml:1:1:" in proc.stderr


def test_python_load_follows_the_same_rule(clone, monkeypatch):
    monkeypatch.chdir(clone / "docs")
    base = kb.load()
    assert base.root == clone / "records"
    assert set(base.chips) == {p.stem for p in (clone / "records" / "chips").glob("*.yaml")}


def test_build_and_diff_act_on_the_clone(clone):
    proc = _kb("build", cwd=clone)
    assert proc.returncode == 0, proc.stderr
    assert (clone / "site" / "index.html").is_file()
    assert (clone / "build" / "docs").is_dir()
    # kb diff needs the clone's own git history, not this repository's.
    git = {"cwd": clone, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **git)
    subprocess.run(["git", "add", "records"], **git)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "r"],
                   **git)
    (clone / "records" / "chips" / "acme-x1-lite.yaml").unlink()
    proc = _kb("diff", "HEAD", cwd=clone)
    assert proc.returncode == 0, proc.stderr
    assert "acme-x1-lite" in proc.stdout


def test_records_option_overrides_the_project(clone, tmp_path):
    proc = _kb("classify", "acme-x1", "--records", str(clone / "records"), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "acme-x1" in proc.stdout


def test_outside_any_project_reads_say_so_and_writes_refuse(tmp_path):
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    proc = _kb("validate", cwd=nowhere)
    assert proc.returncode == 0, proc.stderr
    assert "no project here" in proc.stderr and "reading the records shipped with kb" in proc.stderr
    for args in (["new", "chip", "acme-x9"], ["build"], ["serve"], ["diff", "HEAD"]):
        proc = _kb(*args, cwd=nowhere)
        assert proc.returncode == 1, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert "no project here" in proc.stderr and "--records PATH" in proc.stderr
    assert list(nowhere.iterdir()) == []


def test_find_root_needs_both_records_and_mkdocs(tmp_path):
    (tmp_path / "records").mkdir()
    assert project.find_root(tmp_path) is None
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    assert project.find_root(tmp_path / "a" / "b") == tmp_path
    inner = tmp_path / "a"
    (inner / "records").mkdir(parents=True)
    assert project.find_root(inner) == tmp_path  # records/ alone is no project


def test_an_installed_wheel_never_writes_into_its_own_folder(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(next(tmp_path.glob("*.whl"))) as zf:
        zf.extractall(tmp_path / "site-packages")
    package = tmp_path / "site-packages" / "kb"
    before = sorted(p.relative_to(package).as_posix() for p in package.rglob("*")
                    if "__pycache__" not in p.parts)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site-packages")}
    shipped = str(package / "records")
    work = tmp_path / "work"
    work.mkdir()
    for args in (["new", "chip", "acme-x9", "--records", shipped],
                 ["build", "--records", shipped],
                 ["schema", str(package / "schemas")],
                 ["export", "--format", "json", str(package / "api")]):
        proc = _kb(*args, cwd=work, env=env)
        assert proc.returncode in (1, 2), (args, proc.stderr)
        assert "installed package" in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    after = sorted(p.relative_to(package).as_posix() for p in package.rglob("*")
                   if "__pycache__" not in p.parts)
    assert after == before
    proc = _kb("classify", "nvidia-h100-sxm", "--json", cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["chip"] == "nvidia-h100-sxm"
    assert "reading the records shipped with kb" in proc.stderr
