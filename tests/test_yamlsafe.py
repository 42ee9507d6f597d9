"""The loader reads YAML as data: no YAML 1.1 surprises, line marks for every value."""

import time

import pytest

from kb import yamlsafe


def parse(text: str):
    result = yamlsafe.parse_text(text)
    assert result.issues == []
    return result


def test_norway_and_yes_no_stay_strings():
    assert parse("a: [CN, NO, RU]\nb: yes\nc: off\n").data == {
        "a": ["CN", "NO", "RU"], "b": "yes", "c": "off"}


def test_only_true_and_false_are_booleans():
    assert parse("a: true\nb: false\nc: True\n").data == {"a": True, "b": False, "c": "True"}


def test_no_octal_sexagesimal_or_timestamps():
    data = parse("a: 0700\nb: 010\nc: 12:30\nd: 2023-10-17\ne: 1_000\n").data
    assert data == {"a": "0700", "b": "010", "c": "12:30", "d": "2023-10-17", "e": "1_000"}


def test_numbers_and_nulls():
    data = parse("a: 4800\nb: -3\nc: 5.92\nd: .5\ne: 1e3\nf: ~\ng:\nh: null\ni: .inf\n").data
    assert data == {"a": 4800, "b": -3, "c": 5.92, "d": 0.5, "e": 1000.0, "f": None, "g": None,
                    "h": None, "i": ".inf"}
    assert isinstance(data["a"], int)


def test_eccn_and_hs_codes_keep_their_text():
    assert parse("a: 3A090\nb: '8471.50'\n").data == {"a": "3A090", "b": "8471.50"}


def test_marks_point_at_keys_and_items():
    result = parse("id: x\nmemory:\n  capacity_gb: 80\nlist:\n  - a\n  - b: 1\n")
    assert result.mark(("memory", "capacity_gb")) == (3, 3)
    assert result.mark(("list", 1, "b")) == (6, 5)
    assert result.mark(("list", 0)) == (5, 5)
    # Unknown deeper parts fall back to the nearest known parent.
    assert result.mark(("memory", "capacity_gb", "x")) == (3, 3)


def test_duplicate_keys_are_reported_with_both_lines():
    result = yamlsafe.parse_text("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert [(i.line, i.code) for i in result.issues] == [(4, "duplicate-key")]
    assert "first on line 3" in result.issues[0].message


def test_alias_bomb_is_refused_before_expansion():
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\ne: [*d,*d]\n'
    result = yamlsafe.parse_text(bomb)
    assert result.data is None
    assert {i.code for i in result.issues} == {"anchor", "alias"}


def test_text_with_ampersand_and_star_is_fine():
    assert parse("notes: 'R&D * 2, see !'\n").data == {"notes": "R&D * 2, see !"}


def test_explicit_tag_refused():
    result = yamlsafe.parse_text("a: !!str 5\n")
    assert [i.code for i in result.issues] == ["tag"]


# --- nesting -------------------------------------------------------------------------------

def _nested(levels: int, flow: bool) -> str:
    """A mapping holding lists ``levels`` deep in all (the mapping is the first level)."""
    if flow:
        return "a: " + "[" * (levels - 1) + "x" + "]" * (levels - 1) + "\n"
    return "a:\n" + "".join("  " * i + "-\n" for i in range(1, levels - 1)) + \
        "  " * (levels - 1) + "- x\n"


@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_fifty_levels_are_read_fifty_one_refused(flow):
    assert parse(_nested(yamlsafe.MAX_DEPTH, flow)).data is not None
    result = yamlsafe.parse_text(_nested(yamlsafe.MAX_DEPTH + 1, flow))
    assert [(i.code, i.message) for i in result.issues] == [
        ("too-deep", "lists and mappings are nested more than 50 levels deep here; a record "
                     "needs only a few levels")]
    assert result.data is None


@pytest.mark.parametrize("levels", [500, 999, 1001, 60_000])
def test_any_depth_is_refused_without_recursion_errors(levels):
    # 1,000 is libyaml's own limit; beyond it the same message, at the place libyaml stopped.
    result = yamlsafe.parse_text("a: " + "[" * levels + "]" * levels + "\n")
    assert [i.code for i in result.issues] == ["too-deep"]
    result = yamlsafe.parse_text("a: " + "{b: " * levels + "1" + "}" * levels + "\n")
    assert [i.code for i in result.issues] == ["too-deep"]


def test_deep_nesting_after_a_duplicate_key_is_reported_without_recursion():
    # The duplicate key sends the file down the slow path, which walks the tree again.
    text = "a: 1\na: 2\nb: " + "[" * 900 + "]" * 900 + "\n"
    codes = sorted(i.code for i in yamlsafe.parse_text(text).issues)
    assert codes == ["duplicate-key", "too-deep"]


# --- characters ----------------------------------------------------------------------------

def test_tab_newline_and_other_scripts_are_fine():
    data = parse('notes: "one\\ttwo\\nthree"\nname: 東京エレクトロン\nalt: إنفيديا\n'
                 'block: |\n  line one\n  two\tcolumns\nnbsp: "a\\_b"\n').data
    assert data["notes"] == "one\ttwo\nthree"
    assert data["block"] == "line one\ntwo\tcolumns\n"
    assert data["nbsp"] == "a\u00a0b"


def test_an_escaped_backslash_is_not_an_escape():
    assert parse('a: "C:\\\\e\\\\0"\n').data == {"a": "C:\\e\\0"}


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C,
                                                   *range(0x0E, 0x20), *range(0x7F, 0xA0),
                                                   0x061C, *range(0x200B, 0x2010),
                                                   *range(0x2028, 0x202F), 0x2060,
                                                   *range(0x2066, 0x206A), 0xFEFF]])
@pytest.mark.parametrize("written", ["raw", "escaped"])
def test_every_refused_character_is_refused_raw_and_escaped(char, written):
    value = char if written == "raw" else f"\\u{ord(char):04x}"
    result = yamlsafe.parse_text(f'id: x\nlist:\n  - ok\n  - "a{value}b"\n')
    assert result.data is None
    [issue] = result.issues
    assert (issue.line, issue.col, issue.code, issue.loc) == (4, 7, "bad-character", ("list", 1))
    assert issue.message.startswith(f"character U+{ord(char):04X} ({yamlsafe.character_name(char)})"
                                    " is not allowed in text: ")


def test_only_the_first_ten_characters_are_listed():
    result = yamlsafe.parse_text("a: " + "\u200b" * 25 + "\n")
    assert [i.col for i in result.issues] == [*range(4, 14), 14]
    assert result.issues[-1].message == "and 15 more refused character(s) from here on"


def test_a_lone_surrogate_in_python_text_is_refused_not_raised():
    [issue] = yamlsafe.parse_text("a: b\udc80c\n").issues
    assert issue.message.startswith("character U+DC80 (lone surrogate) is not allowed in text")


# --- the largest hostile files: answered in moments, in a few lines ----------------------

_BIG = yamlsafe.MAX_BYTES // 8


@pytest.mark.parametrize(("text", "code"), [
    ("\x00" * yamlsafe.MAX_BYTES, "bad-character"),
    ("a: [" + ", ".join(["\u200b"] * _BIG) + "]\n", "bad-character"),
    ("a: [" + ", ".join(['"\\e"'] * _BIG) + "]\n", "bad-character"),
    ("".join(f"k{i}: \x1b\n" for i in range(_BIG // 2)), "bad-character"),
    ("".join("a: 1\n" for _ in range(_BIG)), "duplicate-key"),
    ("a: [" + ", ".join(f"&a{i} x" for i in range(_BIG // 2)) + "]\n", "anchor"),
], ids=["nul", "zero-width-list", "escape-list", "escape-keys", "duplicate-keys", "anchors"])
def test_a_file_with_thousands_of_problems_is_answered_quickly_in_few_lines(text, code):
    started = time.perf_counter()
    result = yamlsafe.parse_text(text)
    # Locating every problem against every value would take minutes here.
    assert time.perf_counter() - started < 10
    assert len(result.issues) in (11, 21)
    assert result.issues[0].code == code
    assert result.issues[-1].message.startswith("and ")
    assert result.issues[-1].message.endswith(" from here on")
