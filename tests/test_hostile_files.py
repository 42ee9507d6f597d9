"""Hostile files in a real records folder: what cannot be a fixture file (pipes, links, devices,
folders, wrong names, missing or empty kind folders, raw bytes). Each is reported with its exact
message, every problem of the run together, exit status 1, nothing read that is not a regular
file and nothing changed."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from kb import cli, loader, models, yamlsafe

LIMIT = yamlsafe.MAX_BYTES
ACME_X1 = (Path(__file__).parent / "fixtures" / "valid" / "records" / "chips" /
           "acme-x1.yaml").read_bytes()
KINDS = ", ".join(models.KINDS)
REGULAR_ONLY = "only regular files are read"
OUTSIDE = ("this is a link to a file outside the records folder; records are read only from "
           "inside it")


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under ``root`` as it stands, links and pipes included but never opened."""
    seen: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                seen[path] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode) and info.st_size <= 4 * LIMIT:
                seen[path] = ("file", hashlib.sha256(Path(path).read_bytes()).hexdigest())
            else:
                seen[path] = (stat.S_IFMT(info.st_mode), info.st_size)
    return seen


def validate(root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The problem lines of ``kb validate root``, which must fail cleanly and change nothing."""
    before = snapshot(root)
    status = cli.main(["validate", str(root)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err
    assert status == 1, err
    assert snapshot(root) == before
    return [line for line in err.splitlines() if ": [" in line]


def fifo(r: Path, t: Path) -> None:
    os.mkfifo(r / "chips" / "x.yaml")


def socket_file(r: Path, t: Path) -> None:
    # AF_UNIX paths are limited to about 100 bytes: bind from inside the folder.
    here = os.getcwd()
    os.chdir(r / "chips")
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind("x.yaml")
        sock.close()
    finally:
        os.chdir(here)


def device(r: Path, t: Path) -> None:
    try:
        os.mknod(r / "chips" / "x.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("creating a device file needs CAP_MKNOD")


def link(target: str | Callable[[Path, Path], str], name: str = "x.yaml",
         kind: str = "chips") -> Callable[[Path, Path], None]:
    def build(r: Path, t: Path) -> None:
        (r / kind / name).symlink_to(target(r, t) if callable(target) else target)
    return build


def outside_file(r: Path, t: Path) -> str:
    (t / "outside.yaml").write_bytes(ACME_X1.replace(b"acme-x1", b"x"))
    return str(t / "outside.yaml")


def inside_fifo(r: Path, t: Path) -> str:
    os.mkfifo(r / ".pipe")
    return "../.pipe"


def link_loop(r: Path, t: Path) -> None:
    (r / "chips" / "x.yaml").symlink_to("y.yaml")
    (r / "chips" / "y.yaml").symlink_to("x.yaml")


def copy_as(name: str, kind: str = "chips") -> Callable[[Path, Path], None]:
    def build(r: Path, t: Path) -> None:
        (r / kind / name).write_bytes(ACME_X1)
    return build


def folder_named(name: str) -> Callable[[Path, Path], None]:
    def build(r: Path, t: Path) -> None:
        (r / "chips" / name).mkdir()
        (r / "chips" / name / "acme-x9.yaml").write_bytes(ACME_X1)
    return build


def kind_as_file(r: Path, t: Path) -> None:
    for path in (r / "rules").iterdir():
        path.unlink()
    (r / "rules").rmdir()
    (r / "rules").write_text("id: test-rule\n")


def kind_as_link(r: Path, t: Path) -> None:
    (r / "rules").rename(t / "rules")
    (r / "rules").symlink_to(t / "rules")


def emptied(kind: str) -> Callable[[Path, Path], None]:
    def build(r: Path, t: Path) -> None:
        for path in (r / kind).iterdir():
            path.unlink()
        (r / kind / ".gitkeep").write_text("")
    return build


def removed(kind: str) -> Callable[[Path, Path], None]:
    def build(r: Path, t: Path) -> None:
        for path in (r / kind).iterdir():
            path.unlink()
        (r / kind).rmdir()
    return build


def everything_removed(r: Path, t: Path) -> None:
    for kind in models.KINDS:
        removed(kind)(r, t)


def only_licence(r: Path, t: Path) -> None:
    everything_removed(r, t)
    (r / "LICENSE").write_text("CC-BY-4.0\n")


def record_at_top(r: Path, t: Path) -> None:
    (r / "acme-x9.yaml").write_bytes(ACME_X1)


def subfolder_record(r: Path, t: Path) -> None:
    (r / "chips" / "old").mkdir()
    (r / "chips" / "old" / "acme-x9.yaml").write_bytes(ACME_X1)


def unknown_folder(r: Path, t: Path) -> None:
    (r / "chip").mkdir()
    (r / "chip" / "acme-x9.yaml").write_bytes(ACME_X1)


def sparse(r: Path, t: Path) -> None:
    # A terabyte that takes no disk: read, it would take the machine's memory.
    with open(r / "chips" / "x.yaml", "wb") as f:
        f.truncate(1 << 40)


def just_over(r: Path, t: Path) -> None:
    (r / "chips" / "x.yaml").write_bytes(b"id: x\nnotes: " + b"a" * (LIMIT - 13) + b"\n")


def missing_message(kind: str) -> str:
    return (f"records/{kind}:1:1: [missing-folder] records/{kind}/ is missing; create it (git "
            "keeps an empty folder only with a file in it, such as an empty .gitkeep)")


def empty_message(kind: str) -> str:
    label = kind[:-1].replace("-", " ")
    return (f"records/{kind}:1:1: [empty-folder] records/{kind}/ holds no records; the knowledge "
            f"base needs at least one {label}")


def file_line(name: str, code: str, message: str, kind: str = "chips") -> str:
    return f"records/{kind}/{name}:1:1: [{code}] {message}"


NOT_READ_JSON = "record files are YAML files ending in .yaml; this .json file is not read"
NOT_RECORD = "not a record file: records/chips/ holds only .yaml files; move it elsewhere"
MISPLACED = f"record files go directly in one of records/{{{KINDS}}}/"
NO_RECORDS = (f"records:1:1: [no-records] no records here: a records folder holds the folders "
              f"{KINDS}, each with one .yaml file per record")

CASES: list[tuple[str, Callable[[Path, Path], None], list[str]]] = [
    ("fifo", fifo, [file_line("x.yaml", "not-a-file",
                              f"this is a named pipe (FIFO), not a regular file; {REGULAR_ONLY}")]),
    ("socket", socket_file, [file_line("x.yaml", "not-a-file",
                                       f"this is a socket, not a regular file; {REGULAR_ONLY}")]),
    ("device", device, [file_line("x.yaml", "not-a-file",
                                  f"this is a character device, not a regular file; "
                                  f"{REGULAR_ONLY}")]),
    ("link-to-dev-zero", link("/dev/zero"), [file_line("x.yaml", "link-outside", OUTSIDE)]),
    ("link-to-dev-null", link("/dev/null"), [file_line("x.yaml", "link-outside", OUTSIDE)]),
    ("link-to-etc-passwd", link("/etc/passwd"), [file_line("x.yaml", "link-outside", OUTSIDE)]),
    ("link-to-file-outside", link(outside_file), [file_line("x.yaml", "link-outside", OUTSIDE)]),
    ("relative-link-climbing-out", link(lambda r, t: os.path.relpath(outside_file(r, t),
                                                                     r / "chips")),
     [file_line("x.yaml", "link-outside", OUTSIDE)]),
    ("link-to-folder-inside", link("../rules"),
     [file_line("x.yaml", "not-a-file", f"this is a link to a folder; {REGULAR_ONLY}")]),
    ("link-to-fifo-inside", link(inside_fifo),
     [file_line("x.yaml", "not-a-file", f"this is a link to a named pipe (FIFO); {REGULAR_ONLY}")]),
    ("broken-link", link("nowhere.yaml"),
     [file_line("x.yaml", "broken-link", "this is a link that leads to no file")]),
    ("link-loop", link_loop,
     [file_line("x.yaml", "broken-link", "this is a link that leads to no file"),
      file_line("y.yaml", "broken-link", "this is a link that leads to no file")]),
    ("link-to-record-inside-read-as-itself", link("acme-x1-lite.yaml"),
     ["records/chips/x.yaml:1:1: [id-mismatch] id: id 'acme-x1-lite' differs from the file name "
      "'x'; rename the file or change the id"]),
    ("folder-named-yaml", folder_named("x.yaml"),
     [file_line("x.yaml", "not-a-file", "this is a folder, not a record file"),
      f"records/chips/x.yaml/acme-x9.yaml:1:1: [misplaced-file] {MISPLACED}"]),
    ("upper-case-extension", copy_as("x.YAML"),
     [file_line("x.YAML", "wrong-extension",
                "record files end in .yaml in lower case, not '.YAML'; rename it")]),
    ("mixed-case-extension", copy_as("x.Yaml"),
     [file_line("x.Yaml", "wrong-extension",
                "record files end in .yaml in lower case, not '.Yaml'; rename it")]),
    ("json", copy_as("x.json"), [file_line("x.json", "wrong-extension", NOT_READ_JSON)]),
    ("yml", copy_as("x.yml"),
     [file_line("x.yml", "misplaced-file", "record files end in .yaml, not .yml")]),
    ("upper-case-yml", copy_as("x.YML"),
     [file_line("x.YML", "misplaced-file", "record files end in .yaml, not .yml")]),
    ("no-extension", copy_as("acme-x9"), [file_line("acme-x9", "wrong-extension", NOT_RECORD)]),
    ("editor-backup", copy_as("acme-x1.yaml~"),
     [file_line("acme-x1.yaml~", "wrong-extension", NOT_RECORD)]),
    ("txt", copy_as("x.txt"), [file_line("x.txt", "wrong-extension", NOT_RECORD)]),
    ("yaml-then-more", copy_as("x.yaml.bak"), [file_line("x.yaml.bak", "wrong-extension",
                                                         NOT_RECORD)]),
    ("kind-folder-is-a-file", kind_as_file,
     ["records/rules:1:1: [not-a-folder] records/rules is a file, not a folder; records/rules/ "
      "holds one .yaml file per record"]),
    ("kind-folder-is-a-link", kind_as_link,
     ["records/rules:1:1: [not-a-folder] records/rules is a link; it must be a real folder "
      "inside the records folder"]),
    ("empty-records-folder", everything_removed, [NO_RECORDS]),
    ("records-folder-with-a-licence-only", only_licence, [NO_RECORDS]),
    ("record-at-the-top", record_at_top,
     [f"records/acme-x9.yaml:1:1: [misplaced-file] {MISPLACED}"]),
    ("record-in-a-subfolder", subfolder_record,
     [f"records/chips/old/acme-x9.yaml:1:1: [misplaced-file] {MISPLACED}"]),
    ("misspelt-kind-folder", unknown_folder,
     [f"records/chip/acme-x9.yaml:1:1: [misplaced-file] {MISPLACED}"]),
    ("sparse-terabyte", sparse,
     [file_line("x.yaml", "file-too-large",
                f"file is {1 << 40:,} bytes; a record may be at most {LIMIT:,} bytes")]),
    ("one-byte-over", just_over,
     [file_line("x.yaml", "file-too-large",
                f"file is {LIMIT + 1:,} bytes; a record may be at most {LIMIT:,} bytes")]),
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_entry_is_reported_never_read(build, expected, records_dir, tmp_path, capsys):
    build(records_dir, tmp_path)
    assert validate(records_dir, capsys) == expected


def test_every_hostile_entry_of_a_run_is_reported_together(records_dir, tmp_path, capsys):
    os.mkfifo(records_dir / "chips" / "pipe.yaml")
    (records_dir / "chips" / "zero.yaml").symlink_to("/dev/zero")
    (records_dir / "chips" / "x.json").write_bytes(ACME_X1)
    (records_dir / "chips" / "x.YAML").write_bytes(ACME_X1)
    (records_dir / "organizations" / "bad.yaml").write_text("id: bad\nname: [\n")
    removed("claims")(records_dir, tmp_path)
    lines = validate(records_dir, capsys)
    assert [line.split(":", 1)[0] for line in lines] == [
        "records/chips/pipe.yaml", "records/chips/x.YAML", "records/chips/x.json",
        "records/chips/zero.yaml", "records/claims", "records/organizations/bad.yaml"]


FOLDER_CASES = [
    *[(f"missing-{kind}", removed(kind), missing_message(kind)) for kind in models.KINDS],
    *[(f"empty-{kind}", emptied(kind), empty_message(kind)) for kind in loader.REQUIRED_KINDS],
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in FOLDER_CASES],
                         ids=[c[0] for c in FOLDER_CASES])
def test_a_missing_or_empty_kind_folder_is_reported(build, expected, records_dir, tmp_path,
                                                    capsys):
    build(records_dir, tmp_path)
    lines = validate(records_dir, capsys)
    assert expected in lines
    # The other records' references into the lost folder are reported too, and nothing else.
    others = [line for line in lines if line != expected]
    assert all("[unknown-reference]" in line for line in others), others


@pytest.mark.parametrize("kind", [k for k in models.KINDS if k not in loader.REQUIRED_KINDS])
def test_an_optional_kind_may_be_an_empty_folder(kind, records_dir, tmp_path, capsys):
    emptied(kind)(records_dir, tmp_path)
    # Nothing else refers to the removed records but the claim and estimate fixtures themselves.
    status = cli.main(["validate", str(records_dir)])
    out, err = capsys.readouterr()
    if kind == "country-groups":
        # The fixture rule names the fixture group: only that reference is reported.
        assert status == 1
        assert all("[unknown-reference]" in line for line in err.splitlines() if ": [" in line)
        assert "country-groups:1:1" not in err
    else:
        assert status == 0, err
        assert out.startswith("ok: ")


def test_a_link_to_a_record_elsewhere_in_the_folder_is_read(records_dir, capsys):
    # A hidden folder is not walked, so the record is read once: through its link.
    (records_dir / ".shared").mkdir()
    (records_dir / ".shared" / "acme-x9.yaml").write_bytes(ACME_X1.replace(b"acme-x1", b"acme-x9"))
    (records_dir / "chips" / "acme-x9.yaml").symlink_to("../.shared/acme-x9.yaml")
    assert cli.main(["validate", str(records_dir)]) == 0, capsys.readouterr().err
    assert loader.load(records_dir).chips["acme-x9"].name == "Acme X1"


@pytest.mark.parametrize("name", ["x.yaml", "x.json", "notes"])
def test_a_pipe_outside_any_kind_folder_is_never_opened(name, records_dir, capsys):
    os.mkfifo(records_dir / name)
    status = cli.main(["validate", str(records_dir)])
    err = capsys.readouterr().err
    if name == "notes":
        assert status == 0, err  # not named as a record: not the validator's business
    else:
        assert status == 1
        assert f"records/{name}:1:1: [misplaced-file] {MISPLACED}" in err


# --- load_file on its own: the same refusals without the folder walk ------------------------

@pytest.mark.parametrize(("path", "message"), [
    ("/dev/zero", "this is a character device, not a regular file; only regular files are read"),
    ("/dev/null", "this is a character device, not a regular file; only regular files are read"),
    ("/", "this is a folder, not a regular file; only regular files are read"),
])
def test_load_file_refuses_what_is_not_a_regular_file(path, message):
    result = loader.load_file(Path(path), "chips")
    assert [(p.code, p.message) for p in result.problems] == [("not-a-file", message)]


def test_load_file_does_not_hang_on_a_pipe(tmp_path):
    os.mkfifo(tmp_path / "x.yaml")
    result = loader.load_file(tmp_path / "x.yaml", "chips")
    assert [p.code for p in result.problems] == ["not-a-file"]


def test_load_file_says_a_missing_file_is_missing(tmp_path):
    result = loader.load_file(tmp_path / "x.yaml", "chips")
    assert [(p.code, p.message) for p in result.problems] == [
        ("unreadable", "cannot read file: no such file or directory")]


def test_the_size_limit_holds_while_reading(tmp_path, monkeypatch):
    # A file that grows after its size was taken (or a /proc file that says it is empty): the
    # read stops one byte past the limit.
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a" * (4 * LIMIT))
    real_fstat, real_read = os.fstat, os.read
    asked: list[int] = []

    def fstat(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 0, *info[7:10]))

    def read(fd: int, n: int) -> bytes:
        asked.append(n)
        return real_read(fd, min(n, 4096))  # short reads, as a pipe or network file gives

    monkeypatch.setattr(loader.os, "fstat", fstat)
    monkeypatch.setattr(loader.os, "read", read)
    result = loader.load_file(path, "chips")
    assert [(p.code, p.message) for p in result.problems] == [
        ("file-too-large",
         f"file is over {LIMIT:,} bytes; a record may be at most {LIMIT:,} bytes")]
    assert sum(min(n, 4096) for n in asked) == LIMIT + 1


@pytest.mark.skipif(not os.path.exists("/proc/kallsyms"), reason="Linux /proc only")
def test_a_proc_file_that_says_it_is_empty_is_read_only_up_to_the_limit():
    # /proc/kallsyms reports size 0 but holds megabytes.
    result = loader.load_file(Path("/proc/kallsyms"), "chips")
    assert [p.code for p in result.problems] == ["file-too-large"]


# --- raw bytes that no fixture file (read as UTF-8 text) can hold ----------------------------

RAW: list[tuple[str, bytes, str]] = [
    ("utf16-le", "id: x\n".encode("utf-16"),
     "1:1: [not-utf8] byte 0xff is not valid UTF-8; save the file as UTF-8"),
    ("latin1", b"id: x\nname: Bj\xf6rk\n",
     "2:1: [not-utf8] byte 0xf6 is not valid UTF-8; save the file as UTF-8"),
    ("overlong-slash", b"id: x\nname: a\xc0\xafb\n",
     "2:1: [not-utf8] byte 0xc0 is not valid UTF-8; save the file as UTF-8"),
    ("encoded-surrogate", b"id: x\nname: a\xed\xa0\x80b\n",
     "2:1: [not-utf8] byte 0xed is not valid UTF-8; save the file as UTF-8"),
    ("truncated-sequence", b"id: x\nname: a\xe2\x80",
     "2:1: [not-utf8] byte 0xe2 is not valid UTF-8; save the file as UTF-8"),
    ("gzip", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
     "1:1: [not-utf8] byte 0x8b is not valid UTF-8; save the file as UTF-8"),
    ("nul-bytes", b"id: x\nname: a\x00\x00b\n",
     "2:8: [bad-character] name: character U+0000 (null) is not allowed in text: a control "
     "character can drive a terminal or break a web page or database; delete it\n"
     "2:9: [bad-character] name: character U+0000 (null) is not allowed in text: a control "
     "character can drive a terminal or break a web page or database; delete it"),
    ("raw-escape-sequence", b"id: x\nname: \x1b[31mred\n",
     "2:7: [bad-character] name: character U+001B (escape) is not allowed in text: a control "
     "character can drive a terminal or break a web page or database; delete it"),
    ("raw-c1-csi", "id: x\nname: a\x9b2Jb\n".encode(),
     "2:8: [bad-character] name: character U+009B (control sequence introducer) is not allowed "
     "in text: a control character can drive a terminal or break a web page or database; "
     "delete it"),
    ("raw-delete", b"id: x\nname: a\x7fb\n",
     "2:8: [bad-character] name: character U+007F (delete) is not allowed in text: a control "
     "character can drive a terminal or break a web page or database; delete it"),
    ("bom-in-the-middle", "id: x\nname: a\ufeffb\n".encode(),
     "2:8: [bad-character] name: character U+FEFF (zero-width no-break space) is not allowed in "
     "text: it cannot be seen; delete it"),
    # A lone CR is a line break to YAML (and to editors): "b" is a key without its colon.
    ("lone-cr-inside-a-line", b"id: x\nname: a\rb\n",
     "4:1: [yaml-syntax] invalid YAML: while scanning a simple key: could not find expected ':'"),
    ("noncharacter", "id: x\nname: a\ufffeb\n".encode(),
     "2:8: [bad-character] name: character U+FFFE (noncharacter) is not allowed in text: it is "
     "no character of any script; delete it"),
    ("all-binary", bytes(range(256)),
     "2:1: [not-utf8] byte 0x80 is not valid UTF-8; save the file as UTF-8"),
]


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in RAW], ids=[c[0] for c in RAW])
def test_raw_bytes_are_reported_with_their_place(content, expected, records_dir, capsys):
    (records_dir / "organizations" / "x.yaml").write_bytes(content)
    lines = validate(records_dir, capsys)
    mine = [line.removeprefix("records/organizations/x.yaml:") for line in lines
            if line.startswith("records/organizations/x.yaml:")]
    assert len(mine) == len(lines)
    assert mine == expected.split("\n")


def test_crlf_line_ends_are_fine(records_dir, capsys):
    (records_dir / "chips" / "acme-x1.yaml").write_bytes(ACME_X1.replace(b"\n", b"\r\n"))
    assert cli.main(["validate", str(records_dir)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(("stem", "shown"), [("x\x1b]0;pwned\x07", "x\\u001b]0;pwned\\u0007"),
                                             ("x\u202egpj.", "x\\u202egpj."),
                                             ("x\r", "x\\u000d")])
def test_a_file_name_with_control_characters_is_quoted_escaped(stem, shown, records_dir):
    (records_dir / "chips" / f"{stem}.yaml").write_text("id: x\nname: X\nvendor: acme\n"
                                                        "kind: asic\n")
    result = loader.load_records(records_dir)
    [problem] = [p for p in result.errors if p.code == "id-mismatch"]
    assert problem.message == (f"id 'x' differs from the file name '{shown}'; rename the file "
                               "or change the id")


def test_load_file_on_a_link_loop_says_so(tmp_path):
    (tmp_path / "x.yaml").symlink_to("y.yaml")
    (tmp_path / "y.yaml").symlink_to("x.yaml")
    result = loader.load_file(tmp_path / "x.yaml", "chips")
    assert [(p.code, p.message) for p in result.problems] == [
        ("unreadable", "cannot read file: too many levels of symbolic links")]


def test_a_kind_folder_given_as_the_records_folder_says_so(records_dir, capsys):
    status = cli.main(["validate", str(records_dir / "chips")])
    err = capsys.readouterr().err
    assert status == 1
    assert [line for line in err.splitlines() if ": [" in line] == [
        "chips:1:1: [no-records] this is the folder of one kind (chips); give the records "
        "folder that holds it"]


def test_a_folder_of_other_files_given_as_the_records_folder_says_so_once(tmp_path, capsys):
    (tmp_path / "records").mkdir()
    for name in ("a.yaml", "b.json", "notes.md"):
        (tmp_path / "records" / name).write_text("id: a\n")
    assert validate(tmp_path / "records", capsys) == [NO_RECORDS]


def test_a_file_that_refuses_reading_is_reported(records_dir, monkeypatch, capsys):
    # As root every file can be read: the refusal is the system's, simulated for one file.
    target = str(records_dir / "chips" / "acme-x1.yaml")
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(loader.os, "open", refusing_open)
    lines = validate(records_dir, capsys)
    assert "records/chips/acme-x1.yaml:1:1: [unreadable] cannot read file: permission denied" \
        in lines


def test_a_kind_folder_that_refuses_listing_is_reported(records_dir, monkeypatch, capsys):
    target = str(records_dir / "sources")
    real_scandir = os.scandir

    def refusing_scandir(path):
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_scandir(path)

    monkeypatch.setattr(loader.os, "scandir", refusing_scandir)
    lines = validate(records_dir, capsys)
    assert "records/sources:1:1: [unreadable] cannot read folder: permission denied" in lines
