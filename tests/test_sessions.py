"""kb.session(): the records loaded by a worker process while the SQL stack imports, the
fallback to loading in this process, and the light `import kb` that makes the overlap possible."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import func, select

import kb
from kb import rows, sessions, tables
from kb.errors import RecordsInvalid
from kb.tables import Chip, Determination

ROOT = Path(__file__).resolve().parents[1]


def _fresh(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_worker_rows_equal_rows_computed_here(records_dir):
    worker = sessions._Worker.start(records_dir)
    assert worker is not None
    try:
        got = worker.rows()
    finally:
        worker.stop()
    assert got == rows.rows(kb.load(records_dir))


def test_worker_reports_record_errors_with_their_problems(records_dir, write_record):
    write_record("chips", "broken", "id: Broken Chip\n")
    with pytest.raises(RecordsInvalid) as here:
        kb.load(records_dir)
    worker = sessions._Worker.start(records_dir)
    assert worker is not None
    with pytest.raises(RecordsInvalid) as there:
        worker.rows()
    assert there.value.problems == here.value.problems


def test_worker_of_another_package_copy_is_not_trusted(records_dir):
    worker = sessions._Worker.start(records_dir)
    assert worker is not None
    worker.package = "/elsewhere/kb"
    assert worker.rows() is None


def test_failed_worker_means_loading_here(records_dir):
    worker = sessions._Worker.start(records_dir / "no-such-folder-at-all" / "x")
    assert worker is not None
    # A missing folder is a records error, raised from the worker's problems.
    with pytest.raises(RecordsInvalid):
        worker.rows()
    crashed = sessions._Worker(subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"],
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE),
                               worker.package)
    assert crashed.rows() is None


def test_no_interpreter_to_start_means_loading_here(monkeypatch, records_dir):
    monkeypatch.setattr(sys, "executable", "")
    assert sessions._Worker.start(records_dir) is None
    monkeypatch.setattr(sys, "executable", str(records_dir / "not-a-python"))
    assert sessions._Worker.start(records_dir) is None


def test_cold_session_in_a_fresh_interpreter_uses_the_worker(records_dir):
    code = """
import json, subprocess, sys
started = []
real = subprocess.Popen
class Spy(real):
    def __init__(self, args, *a, **k):
        started.append(list(args)[1:3])
        super().__init__(args, *a, **k)
subprocess.Popen = Spy
import kb
with kb.session(records=sys.argv[1]) as s:
    from sqlmodel import func, select
    from kb.tables import Chip, Determination
    chips = s.exec(select(func.count()).select_from(Chip)).one()
    dets = s.exec(select(func.count()).select_from(Determination)).one()
print(json.dumps({"started": started, "chips": chips, "determinations": dets}))
"""
    out = _fresh(code, str(records_dir))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["started"] == [["-m", "kb.rows"]]
    base = kb.load(records_dir)
    assert got["chips"] == len(base.chips)
    assert got["determinations"] == len(base.engine.determination_rows(base.chips.values()))


def test_cold_session_reports_record_errors(records_dir, write_record):
    write_record("chips", "broken", "id: Broken Chip\n")
    code = """
import sys, kb
try:
    with kb.session(records=sys.argv[1]):
        pass
except kb.RecordsInvalid as exc:
    print(len(exc.problems), exc.problems[0].path.endswith("broken.yaml"))
"""
    out = _fresh(code, str(records_dir))
    assert out.returncode == 0, out.stderr
    with pytest.raises(RecordsInvalid) as here:
        kb.load(records_dir)
    assert out.stdout.split() == [str(len(here.value.problems)), "True"]


def test_warm_session_loads_here_and_matches(records_dir):
    # The SQL stack is imported in this process already: no worker, same rows.
    with kb.session(records=records_dir) as s:
        assert s.exec(select(func.count()).select_from(Chip)).one() == len(
            kb.load(records_dir).chips)
        assert s.exec(select(func.count()).select_from(Determination)).one() > 0


def test_import_kb_loads_no_model_or_sql_library():
    out = _fresh("import sys, kb; print(sorted(m for m in ('pydantic', 'sqlalchemy', 'yaml', "
                 "'kb.models', 'kb.loader') if m in sys.modules))")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_public_names_resolve_lazily():
    for name in kb.__all__:
        assert getattr(kb, name) is not None
        assert name in dir(kb)
    from kb import Chip as ChipModel
    from kb.models import Chip as Same

    assert ChipModel is Same
    with pytest.raises(AttributeError):
        kb.no_such_name  # noqa: B018


def test_table_names_follow_the_tables():
    assert list(rows.TABLE_NAMES) == [t.__tablename__ for t in tables.TABLES]
