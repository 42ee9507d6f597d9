"""The loader reads YAML as data: no YAML 1.1 surprises, line marks for every value."""

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
