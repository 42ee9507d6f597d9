"""kb build, kb export and kb serve never delete what kb did not write, and never leave half an
output: every case on real folders and files in throwaway places, killed runs included."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb import cli, outputs
from kb.site.assetcache import KEY_FILE

FORMATS = ("csv", "json", "sqlite")


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below ``folder``: file bytes, or where a link points."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "link -> " + os.readlink(path)
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


def _precious(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "thesis.txt").write_text("precious\n")
    (folder / "chapters").mkdir()
    (folder / "chapters" / "one.md").write_text("# One\n")
    return folder


def _export(fmt: str, out: Path, *extra: str) -> int:
    return cli.main(["export", "--format", fmt, str(out), *extra])


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".kb-new-" in p.name
                  or ".kb-old-" in p.name)


# ---------------------------------------------------------------------------------------------
# Refusals: a foreign folder or file is left byte for byte as it was


@pytest.mark.parametrize("fmt", ("csv", "json"))
def test_export_into_a_foreign_folder_is_refused_and_leaves_it_whole(tmp_path, fmt, capsys):
    mydocs = _precious(tmp_path / "mydocs")
    before = _snapshot(mydocs)
    assert _export(fmt, mydocs) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{mydocs} is not empty and was not made by kb" in err
    assert "thesis.txt" in err and "--force" in err
    assert _snapshot(mydocs) == before
    assert _leftovers(tmp_path) == []


def test_sqlite_export_over_a_foreign_file_is_refused(tmp_path, capsys):
    mine = tmp_path / "thesis.sqlite"
    mine.write_bytes(b"my own database\n")
    assert _export("sqlite", mine) == 1
    assert "is a file kb did not write; nothing was changed" in capsys.readouterr().err
    assert mine.read_bytes() == b"my own database\n"
    assert not (tmp_path / "thesis.metadata.json").exists()


def test_sqlite_export_over_a_foreign_metadata_file_is_refused(tmp_path, capsys):
    (tmp_path / "kb.metadata.json").write_text('{"mine": true}\n')
    assert _export("sqlite", tmp_path / "kb.sqlite") == 1
    assert "kb.metadata.json is a file kb did not write" in capsys.readouterr().err
    assert not (tmp_path / "kb.sqlite").exists()
    assert (tmp_path / "kb.metadata.json").read_text() == '{"mine": true}\n'


def test_build_into_a_foreign_folder_is_refused(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    mydocs = _precious(project / "mydocs")
    before = _snapshot(mydocs)
    assert cli.main(["build", "--out", "mydocs"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("kb build: mydocs is not empty and was not made by kb (chapters/one.md, "
                           "thesis.txt); nothing was changed. Give a new or empty folder, or "
                           "pass --force to replace this one")
    assert _snapshot(mydocs) == before
    assert not (project / "build").exists()  # refused before the pages were staged
    assert _leftovers(project) == []


def test_a_file_where_a_folder_belongs_is_refused(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    (project / "site").write_text("not a site\n")
    assert cli.main(["build"]) == 1
    assert "site is a file, not a folder; nothing was changed" in capsys.readouterr().err
    assert (project / "site").read_text() == "not a site\n"
    (project / "notes.txt").write_text("mine\n")
    for fmt in ("csv", "json"):
        assert _export(fmt, project / "notes.txt") == 2
    (project / "a-folder").mkdir()
    assert _export("sqlite", project / "a-folder") == 2
    assert (project / "notes.txt").read_text() == "mine\n"


def test_a_link_as_the_target_is_refused_and_what_it_points_to_survives(tmp_path, capsys):
    elsewhere = _precious(tmp_path / "elsewhere")
    before = _snapshot(elsewhere)
    (tmp_path / "api").symlink_to(elsewhere)
    assert _export("json", tmp_path / "api") == 1
    assert "is a symbolic link; nothing was changed" in capsys.readouterr().err
    assert _export("json", tmp_path / "api", "--force") == 0
    assert (tmp_path / "api").is_dir() and not (tmp_path / "api").is_symlink()
    assert _snapshot(elsewhere) == before


def test_files_added_to_a_previous_output_are_not_deleted(tmp_path, capsys):
    out = tmp_path / "csv"
    assert _export("csv", out) == 0
    (out / "my-notes.txt").write_text("mine\n")
    assert _export("csv", out) == 1
    assert "holds files kb did not write (my-notes.txt)" in capsys.readouterr().err
    assert (out / "my-notes.txt").read_text() == "mine\n"


def test_a_link_inside_a_previous_output_is_refused_then_removed_as_a_link(tmp_path, capsys):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    out = tmp_path / "api"
    assert _export("json", out) == 0
    (out / "chips.json").unlink()
    (out / "chips.json").symlink_to(outside)  # same name as a file kb wrote
    (out / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    assert _export("json", out) == 1
    assert "chips.json, linked-folder" in capsys.readouterr().err
    assert _export("json", out, "--force") == 0
    assert outside.read_text() == "keep me\n"
    assert not (out / "chips.json").is_symlink() and (out / "chips.json").stat().st_size > 100
    assert not (out / "linked-folder").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api", "outside.txt"]


def test_force_replaces_a_foreign_folder_and_touches_nothing_outside(project, monkeypatch):
    monkeypatch.chdir(project)
    outside = project / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep\n")
    site = _precious(project / "site")
    (site / "to-outside").symlink_to(outside, target_is_directory=True)
    (site / "file-link").symlink_to(outside / "keep.txt")
    assert cli.main(["build"]) == 1
    assert cli.main(["build", "--force"]) == 0
    assert (outside / "keep.txt").read_text() == "keep\n"
    assert not (site / "thesis.txt").exists() and (site / "index.html").is_file()
    assert _leftovers(project) == []


def test_a_folder_that_cannot_be_written_is_a_plain_error(project, monkeypatch, capsys):
    # /sys refuses new entries even to root, unlike a chmod-ed folder.
    monkeypatch.chdir(project)
    assert cli.main(["build", "--out", "/sys/kb-site"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kb build: cannot write /sys/kb-site") and "Traceback" not in err
    assert "internal error" not in err
    for fmt in FORMATS:
        assert _export(fmt, Path("/sys/kb-out")) == 1
        err = capsys.readouterr().err
        assert "cannot write" in err and "internal error" not in err


def test_under_a_file_is_a_plain_error(tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    for fmt in FORMATS:
        assert _export(fmt, tmp_path / "plain" / "out") == 1
        err = capsys.readouterr().err
        assert "cannot write" in err and "internal error" not in err
    assert (tmp_path / "plain").read_text() == "x"


# ---------------------------------------------------------------------------------------------
# Replacing kb's own output


def test_a_previous_export_is_replaced_whole(tmp_path, records_dir):
    out = tmp_path / "api"
    assert _export("json", out, "--records", str(records_dir)) == 0
    manifest = json.loads((out / outputs.MANIFEST).read_text())
    assert manifest["generator"] == "kb"
    assert "chips/acme-x1-lite.json" in manifest["files"]
    assert sorted(manifest["files"]) == manifest["files"]
    (records_dir / "chips" / "acme-x1-lite.yaml").unlink()
    assert _export("json", out, "--records", str(records_dir)) == 0
    assert not (out / "chips" / "acme-x1-lite.json").exists()
    assert (out / "chips" / "acme-x1.json").is_file()
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files - {outputs.MANIFEST} == set(json.loads((out / outputs.MANIFEST).read_text())
                                             ["files"])
    assert _leftovers(tmp_path) == []


def test_a_previous_sqlite_export_is_replaced_and_known_by_its_header(tmp_path):
    out = tmp_path / "kb.sqlite"
    assert _export("sqlite", out) == 0
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == \
            outputs.SQLITE_APPLICATION_ID
    first = out.read_bytes()
    assert _export("sqlite", out) == 0
    assert out.read_bytes() == first  # the same records, the same bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.metadata.json", "kb.sqlite"]


def test_an_empty_folder_is_fine(tmp_path):
    (tmp_path / "empty").mkdir()
    assert _export("csv", tmp_path / "empty") == 0
    assert (tmp_path / "empty" / "chip.csv").is_file()


def test_build_twice_replaces_the_site_and_the_staged_pages_stay_in_the_project(project,
                                                                              monkeypatch):
    monkeypatch.chdir(project)
    assert cli.main(["build"]) == 0
    first = _snapshot(project / "site")
    (project / "records" / "chips" / "acme-x1-lite.yaml").unlink()
    assert cli.main(["build"]) == 0
    second = _snapshot(project / "site")
    assert "chips/acme-x1-lite.html" in first and "chips/acme-x1-lite.html" not in second
    listed = json.loads(second[outputs.MANIFEST])["files"]
    assert set(listed) == set(second) - {outputs.MANIFEST}
    assert (project / "build" / "docs" / outputs.MANIFEST).is_file()
    assert _leftovers(project) == []


def test_staged_pages_folder_with_foreign_files_is_refused(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    (project / "build" / "docs").mkdir(parents=True)
    (project / "build" / "docs" / "draft.md").write_text("mine\n")
    assert cli.main(["build"]) == 1
    assert "build/docs is not empty and was not made by kb (draft.md)" in capsys.readouterr().err
    assert (project / "build" / "docs" / "draft.md").read_text() == "mine\n"
    assert not (project / "site").exists()


def test_a_link_in_the_staged_pages_is_replaced_not_written_through(project, monkeypatch):
    monkeypatch.chdir(project)
    assert cli.main(["build"]) == 0
    outside = project / "outside.md"
    outside.write_text("keep\n")
    staged = project / "build" / "docs" / "index.md"
    staged.unlink()
    staged.symlink_to(outside)
    assert cli.main(["build"]) == 0
    assert outside.read_text() == "keep\n"
    assert not staged.is_symlink() and staged.stat().st_size > 100


# ---------------------------------------------------------------------------------------------
# Killed runs: the old output or the new one, complete; nothing left behind


def _processes_in_group(pgid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _wait_until(check, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _run_and_signal(args: list[str], cwd: Path, tmpdir: Path, delay: float, sig: int
                    ) -> tuple[int, str]:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen([sys.executable, "-m", "kb", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    # Helpers forked by the run are in its process group; none may outlive it.
    assert _wait_until(lambda: not _processes_in_group(proc.pid)), _processes_in_group(proc.pid)
    return proc.returncode, err


def _timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kb", *args], cwd=cwd, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def _complete(folder: Path, reference: dict[str, bytes | str]) -> bool:
    return _snapshot(folder) == reference


KILL_POINTS = (0.05, 0.2, 0.4, 0.6, 0.75, 0.9, 1.0)


def _two_states(records: Path) -> Path:
    """Beside ``records``, a second records folder with one chip fewer (a different output)."""
    import shutil

    other = records.parent / "records-new"
    shutil.copytree(records, other)
    (other / "chips" / "acme-x1-lite.yaml").unlink()
    return other


def _kb(args: list[str], cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "kb", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.mark.parametrize("sig", (signal.SIGKILL, signal.SIGINT), ids=("SIGKILL", "SIGINT"))
def test_a_build_stopped_at_any_point_leaves_the_old_site_or_the_new(project, tmp_path, sig):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    newer = _two_states(project / "records")
    took = _timed(["build", "--records", str(newer)], project)
    new = _snapshot(project / "site")
    _kb(["build"], project)
    old = _snapshot(project / "site")
    assert old != new
    seen = []
    for fraction in KILL_POINTS:
        if seen and seen[-1] == "new":
            _kb(["build"], project)  # the old site again, to be replaced by the next run
        code, err = _run_and_signal(["build", "--records", str(newer)], project, tmpdir,
                                    took * fraction, sig)
        site = _snapshot(project / "site")
        assert site in (old, new), f"a mix after {fraction:.0%} of the build"
        seen.append("new" if site == new else "old")
        assert _wait_until(lambda: _leftovers(project) == []), _leftovers(project)
        assert list(tmpdir.iterdir()) == []
        if sig == signal.SIGINT:
            assert "Traceback" not in err
            # 130 from kb; or killed by the signal itself, when it came before Python had set
            # up its handler or after kb was done (both read as 130 in a shell). A run that
            # swapped its site in may have been stopped after that, but not one that did not.
            assert code in ((0, 130, -signal.SIGINT) if site == new else (130, -signal.SIGINT))
            assert code != 0 or "interrupted" not in err
    assert "old" in seen  # the points did stop runs before their end


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_killed_at_any_point_leaves_the_old_export_or_the_new(tmp_path, records_dir,
                                                                         fmt):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    newer = _two_states(records_dir)
    out = tmp_path / "out" / ("kb.sqlite" if fmt == "sqlite" else "export")
    args = ["export", "--format", fmt, str(out), "--records"]
    took = _timed([*args, str(newer)], tmp_path)
    new = _snapshot(out.parent)
    _kb([*args, str(records_dir)], tmp_path)
    old = _snapshot(out.parent)
    assert old != new
    seen = []
    for fraction in KILL_POINTS:
        if seen and seen[-1] == "new":
            _kb([*args, str(records_dir)], tmp_path)
        _run_and_signal([*args, str(newer)], tmp_path, tmpdir, took * fraction, signal.SIGKILL)
        assert _wait_until(lambda: _leftovers(out.parent) == []), _leftovers(out.parent)
        now = _snapshot(out.parent)
        assert now in (old, new), f"a mix after {fraction:.0%} of the export"
        seen.append("new" if now == new else "old")
        assert list(tmpdir.iterdir()) == []
    assert "old" in seen


def test_a_killed_kb_serve_leaves_no_temporary_site(project, tmp_path):
    import socket

    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", str(port)],
                            cwd=project, env={**os.environ, "TMPDIR": str(tmpdir)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the first build done: its temporary site exists
            if "rebuilt in" in line:
                break
        assert any(p.name.startswith("kb-serve-") for p in tmpdir.iterdir())
    finally:
        proc.kill()
        proc.wait(timeout=20)
    assert _wait_until(lambda: list(tmpdir.iterdir()) == []), list(tmpdir.iterdir())
    assert _wait_until(lambda: not _processes_in_group(proc.pid))
    assert (project / "build" / "docs" / outputs.MANIFEST).is_file()


@pytest.mark.parametrize("args", [
    ["build", "--out", ".", "--force"],
    ["build", "--out", "..", "--force"],
    ["build", "--out", "records", "--force"],
    ["build", "--out", "docs/site", "--force"],
    ["build", "--out", "build", "--force"],
    ["export", "--format", "json", ".", "--force"],
    ["export", "--format", "csv", "records/csv", "--force"],
    ["export", "--format", "sqlite", "records/kb.sqlite", "--force"],
], ids=lambda a: " ".join(a))
def test_not_even_force_replaces_what_the_run_reads(project, monkeypatch, capsys, args):
    monkeypatch.chdir(project)
    before = _snapshot(project.parent)
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "which this run reads; nothing was changed" in err and err.count("\n") == 1
    assert _snapshot(project.parent) == before


def test_a_terminated_build_cleans_up_and_says_so(project, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    _kb(["build"], project)
    old = _snapshot(project / "site")
    newer = _two_states(project / "records")
    took = _timed(["build", "--records", str(newer), "--out", str(tmp_path / "ref")], project)
    # The timed build made the charts and downloads; so must the stopped one, to be as long.
    (project / KEY_FILE).unlink()
    code, err = _run_and_signal(["build", "--records", str(newer)], project, tmpdir,
                                took * 0.5, signal.SIGTERM)
    assert (code, err) == (143, "kb build: terminated\n")
    assert _snapshot(project / "site") == old
    assert _leftovers(project) == [] and list(tmpdir.iterdir()) == []


def test_a_device_is_never_an_output_not_even_with_force(capsys):
    for extra in ((), ("--force",)):
        assert _export("sqlite", Path("/dev/full"), *extra) == 2
        assert "/dev/full is not a regular file; nothing was changed" in capsys.readouterr().err
    assert Path("/dev/full").is_char_device()
