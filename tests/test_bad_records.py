"""Every bad-record fixture produces exactly the messages it names, at the lines it names."""

import re
from pathlib import Path

import pytest

from kb import cli

BAD = sorted((Path(__file__).parent / "fixtures" / "bad").glob("*.yaml"))


def _expected(path: Path) -> tuple[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    kind = re.search(r"^# kind: (\S+)$", text, re.M)
    assert kind, f"{path.name} names no kind"
    expects = re.findall(r"^# expect: (.+)$", text, re.M)
    assert expects, f"{path.name} names no expected message"
    return kind.group(1), expects


@pytest.mark.parametrize("fixture", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture_reports_exactly_its_problems(fixture, records_dir, capsys):
    kind, expects = _expected(fixture)
    target = records_dir / kind / fixture.name
    content = fixture.read_bytes()
    target.write_bytes(content)

    status = cli.main(["validate", str(records_dir)])

    out, err = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in out + err
    prefix = f"{kind}/{fixture.name}:"
    reported = [line.split(prefix, 1)[1] for line in err.splitlines() if prefix in line]
    assert reported == expects
    # Nothing else is reported, and the file is left as it was.
    others = [line for line in err.splitlines() if ": [" in line and prefix not in line]
    assert others == []
    assert target.read_bytes() == content


def test_corpus_covers_every_loader_error_kind():
    codes = {re.search(r"\[([a-z-]+)\]", e).group(1) for f in BAD for e in _expected(f)[1]}
    assert {
        "yaml-syntax", "duplicate-key", "anchor", "alias", "tag", "multiple-documents",
        "tab-indent", "empty-file", "not-a-mapping", "unknown-field", "missing-field",
        "wrong-type", "invalid-choice", "invalid-id", "out-of-range", "invalid-value",
        "id-mismatch", "unknown-reference", "missing-citation", "wrong-size",
        "bad-character", "too-deep", "byte-order-mark",
    } <= codes


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xef\xbb\xbfid: x\n", "1:1: [byte-order-mark] file starts with a byte-order mark; "
                                 "save it as UTF-8 without BOM"),
        (b"id: x\nname: caf\xe9\n", "2:1: [not-utf8] byte 0xe9 is not valid UTF-8; "
                                    "save the file as UTF-8"),
        (b"id: x\nnotes: " + b"a" * 300_000 + b"\n",
         "1:1: [file-too-large] file is 300,014 bytes; a record may be at most 262,144 bytes"),
        (b"id: x\nname: a\x0cb\n",
         "2:8: [bad-character] name: character U+000C (form feed) is not allowed in text: a "
         "control character can drive a terminal or break a web page or database; delete it"),
    ],
    ids=["bom", "not-utf8", "too-large", "control-character"],
)
def test_byte_level_problems(content, expected, write_record, records_dir, capsys):
    write_record("organizations", "binary-case", content)
    assert cli.main(["validate", str(records_dir)]) == 1
    err = capsys.readouterr().err
    assert f"organizations/binary-case.yaml:{expected}" in err


def test_every_problem_in_every_file_in_one_run(write_record, records_dir, capsys):
    write_record("chips", "first-bad", "id: first-bad\nname: A\nvendor: acme\nkind: gpu\nfoo: 1\n")
    write_record("organizations", "second-bad", "id: second-bad\nname: B\nkind: nope\n")
    (records_dir / "chips" / "third.yml").write_text("id: third\n")
    assert cli.main(["validate", str(records_dir)]) == 1
    err = capsys.readouterr().err
    assert "chips/first-bad.yaml:5:1: [unknown-field] foo: unknown field 'foo'" in err
    assert "organizations/second-bad.yaml:3:1: [invalid-choice] kind:" in err
    assert "chips/third.yml:1:1: [misplaced-file] record files end in .yaml, not .yml" in err
    assert "3 error(s), 0 warning(s)" in err
