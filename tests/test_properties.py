"""Property-based tests: random valid records round-trip; random damage never crashes the loader."""

import json
import os
import re
import shutil
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kb
from kb import export, loader, models, yamlsafe
from kb.errors import KBError
from kb.metrics import OPERAND_TYPES

VALID = Path(__file__).parent / "fixtures" / "valid" / "records"
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

slugs = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True).filter(
    lambda s: s not in ("acme-x1", "acme-x1-lite"))
# Characters YAML can carry (it refuses C0/C1 controls, surrogates and U+FFFE/U+FFFF).
yaml_chars = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff")
text = st.text(yaml_chars, min_size=1, max_size=80)
figures = st.floats(min_value=0.001, max_value=1e6, allow_nan=False, allow_infinity=False)
chips = st.fixed_dictionaries(
    {"name": text, "kind": st.sampled_from(["gpu", "asic", "cpu", "fpga"])},
    optional={
        "family": text,
        "datacenter": st.booleans(),
        "die_area_mm2": figures,
        "dense_tops": st.dictionaries(st.sampled_from(OPERAND_TYPES), figures, min_size=1),
        "interconnect_gb_s": figures,
        "tdp_w": figures,
        "memory": st.fixed_dictionaries({}, optional={"type": text, "capacity_gb": figures,
                                                      "bandwidth_gb_s": figures}),
        "notes": st.text(yaml_chars, min_size=1, max_size=300),
    },
)


def _tree(tmp: Path) -> Path:
    root = tmp / "records"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(VALID, root)
    return root


@SETTINGS
@given(rid=slugs, fields=chips)
def test_random_valid_chips_round_trip_through_load_and_export(tmp_path_factory, rid, fields):
    root = _tree(tmp_path_factory.mktemp("rt"))
    cited = [f for f in ("datacenter", "die_area_mm2", "dense_tops", "interconnect_gb_s",
                         "tdp_w", "memory") if f in fields]
    record = {"id": rid, "vendor": "acme", **fields}
    if cited:
        record["citations"] = [{"source": "acme-datasheet", "fields": cited, "tier": "official"}]
    # JSON is YAML: every string is quoted, so nothing is read as anything but what it is.
    (root / "chips" / f"{rid}.yaml").write_text(json.dumps(record, ensure_ascii=False),
                                                encoding="utf-8")
    base = kb.load(root)
    expected = kb.Chip.model_validate(record)
    assert base.chips[rid].model_dump() == expected.model_dump()
    out = root.parent / "api"
    export.export_json(base, out)
    exported = json.loads((out / "chips" / f"{rid}.json").read_text(encoding="utf-8"))
    assert {k: exported[k] for k in expected.model_dump(mode="json")} == \
        expected.model_dump(mode="json")


RECORD_TEXT = (VALID / "chips" / "acme-x1.yaml").read_text(encoding="utf-8")
junk = st.text(string.printable + "&*!|>%@`{}[]:-#'\"\t\x00\ufeff", max_size=40)


@st.composite
def damaged(draw) -> str:
    lines = RECORD_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "replace", "indent"]))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if action == "delete" and lines:
            del lines[i]
        elif action == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif action == "insert":
            lines.insert(i, draw(junk))
        elif action == "replace" and lines:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {draw(junk)}"
        elif lines:
            lines[i] = draw(st.sampled_from(["  ", "\t", "- ", "    "])) + lines[i]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@SETTINGS
@given(text_=damaged())
def test_damaged_records_are_reported_never_crash(tmp_path_factory, text_):
    root = _tree(tmp_path_factory.mktemp("dmg"))
    (root / "chips" / "acme-x1.yaml").write_text(text_, encoding="utf-8", errors="surrogatepass")
    result = loader.load_records(root)  # must not raise
    for problem in result.problems:
        assert problem.path.endswith(".yaml") and problem.line >= 1 and problem.col >= 1
        assert problem.message


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_random_bytes_are_reported_never_crash(tmp_path_factory, raw):
    root = _tree(tmp_path_factory.mktemp("bin"))
    (root / "organizations" / "acme.yaml").write_bytes(raw)
    result = loader.load_records(root)
    assert result.errors  # nothing random is a valid organization named acme


# --- Hostile input: raw bytes, random YAML, deep nesting, refused characters ----------------
# With the random trees at the end, 23,000 examples (under a minute on two cores). Nothing may
# raise but the project's own errors, and whatever is accepted must be plain, clean data.

HOSTILE = settings(deadline=None, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck))
REFUSED = [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20),
                            *range(0x7F, 0xA0), 0x061C, *range(0x200B, 0x2010),
                            *range(0x2028, 0x202F), 0x2060, *range(0x2066, 0x206A), 0xFEFF,
                            0xFFFE, 0xFFFF]]
# The test's own account of what is refused, not the loader's pattern: a change to that pattern
# that lets one through is caught here.
REFUSED_PATTERN = re.compile("[" + re.escape("".join(REFUSED)) + "]")
ESCAPES = ["\\0", "\\a", "\\b", "\\e", "\\v", "\\f", "\\r", "\\N", "\\L", "\\P", "\\x1b",
           "\\x9b", "\\u202e", "\\u200b", "\\U0000202E", "\\ufeff", "\\t", "\\n", "\\\\", "\\_",
           "\\q", "\\ud800", "\\"]
TOKENS = ["\n", " ", "  ", "\t", "- ", ": ", "? ", "#", ",", "[", "]", "{", "}", "'", '"', "|",
          ">", "&a ", "*a", "!!str ", "!x ", "---\n", "...\n", "%YAML 1.2\n", "id", "name",
          "chips", "acme", "true", "1e999", ".nan", "0x1F", "2024-13-45", "~", "<<", "@", "`",
          "\ufeff", "\r\n", "\r", "é", "中", *REFUSED, *ESCAPES]


def _depth(data: object) -> int:
    depth, level = 0, [data]
    while level:  # breadth first: the data may be up to MAX_DEPTH deep, recursion is not needed
        depth += 1
        level = [v for item in level if isinstance(item, (dict, list))
                 for v in (item.values() if isinstance(item, dict) else item)]
    return depth - 1


def _clean(data: object) -> None:
    """Accepted data holds only plain values and no refused character, at most MAX_DEPTH deep."""
    assert _depth(data) <= yamlsafe.MAX_DEPTH
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            assert all(isinstance(k, str) and not REFUSED_PATTERN.search(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            assert not REFUSED_PATTERN.search(item), repr(item)
        else:
            assert item is None or isinstance(item, (bool, int, float)), repr(item)


def _check_parse(raw: bytes) -> None:
    result = yamlsafe.parse_bytes(raw)  # must not raise
    for issue in result.issues:
        assert issue.line >= 1 and issue.col >= 1 and issue.code and issue.message
        assert "\n" not in issue.message and not REFUSED_PATTERN.search(issue.message)
    if result.issues:
        assert result.data is None
    else:
        _clean(result.data)


@st.composite
def token_soup(draw) -> bytes:
    parts = draw(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6),
                                    st.binary(max_size=4).map(lambda b: b.decode("latin-1"))),
                          max_size=40))
    text = "".join(parts)
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else \
        text.encode("utf-8", "replace")


def _nest(shape: str, levels: int) -> str:
    if shape == "flow lists":
        return "[" * levels + "x" + "]" * levels
    if shape == "flow mappings":
        return "{a: " * levels + "x" + "}" * levels
    if shape == "flow mixed":
        openers = ["[", "{a: "] * (levels // 2) + ["["] * (levels % 2)
        return "".join(openers) + "x" + "".join("]" if o == "[" else "}" for o in openers[::-1])
    if shape == "block lists":
        return "\n" + "- " * levels + "x"
    # Indented one space a level, and no deeper than 700 levels: the file stays under the limit.
    levels = min(levels, 700)
    if shape == "block mappings":
        return "\n" + "".join(" " * i + "a:\n" for i in range(1, levels)) + " " * levels + "a: x"
    # A list item's mapping key stands two columns in: the next item goes under it.
    pairs = levels // 2
    return "\n" + "".join("  " * i + "- a:\n" for i in range(pairs)) + "  " * pairs + "- x"


@st.composite
def deep(draw) -> bytes:
    """Nesting from a few levels to far past libyaml's own limit (1,000), around the limit here
    (50) and where Python's recursion would end (about 500), in flow and block style, mixed,
    closed or cut short."""
    levels = draw(st.one_of(st.sampled_from([49, 50, 51, 52, 100, 499, 500, 700, 999, 1000, 1001,
                                             2000]), st.integers(1, 3000)))
    shape = draw(st.sampled_from(["flow lists", "flow mappings", "flow mixed", "block lists",
                                  "block mappings", "block mixed"]))
    text = draw(st.sampled_from(["", "id: x\nnotes: ", "a: ", "- "])) + _nest(shape, levels)
    if draw(st.integers(0, 3)) == 0:
        text = text[:draw(st.integers(0, len(text)))]
    return (text + "\n").encode()


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.text(st.characters(codec="utf-8"), max_size=12),
                    st.sampled_from(REFUSED + ["NO", "yes", "0700", "12:30", "2024-06-01"]))
structures = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=25)


@st.composite
def dumped(draw) -> bytes:
    """Random structure written by PyYAML in one of its styles (so every kind of scalar quoting,
    block and flow collections and its escapes), sometimes cut short."""
    data = draw(structures)
    style = draw(st.sampled_from([None, '"', "'", "|"]))
    try:
        text = yaml.safe_dump(data, default_style=style,
                              default_flow_style=draw(st.sampled_from([None, True, False])),
                              allow_unicode=draw(st.booleans()), width=draw(st.integers(5, 80)))
    except yaml.YAMLError:
        text = repr(data)
    if draw(st.booleans()):
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


@st.composite
def poisoned(draw) -> bytes:
    """A valid record with refused characters put in anywhere, raw or as escapes."""
    text = RECORD_TEXT
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        bad = draw(st.sampled_from(REFUSED))
        if draw(st.booleans()):
            bad = '"' + draw(st.sampled_from(ESCAPES)) + '"'
        text = text[:at] + bad + text[at:]
    return text.encode("utf-8", "surrogatepass")


# Integers around the most digits Python converts (4,300).
long_numbers = st.builds(lambda n, sign: f"id: x\nn: [{sign}{'7' * n}]\n".encode(),
                         st.integers(4290, 4310), st.sampled_from(["", "-", "+"]))
hostile = st.one_of(token_soup(), deep(), dumped(), poisoned(), long_numbers,
                    st.binary(max_size=200))


@settings(HOSTILE, max_examples=12_000)
@given(raw=hostile)
def test_hostile_bytes_never_crash_the_parser(raw):
    _check_parse(raw)


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tree(tmp_path_factory.mktemp("hostile"))


def _check_problems(problems: list) -> None:
    for problem in problems:
        assert problem.line >= 1 and problem.col >= 1 and problem.code and problem.message
        assert not REFUSED_PATTERN.search(problem.message + problem.field), problem


@settings(HOSTILE, max_examples=6_000)
@given(raw=hostile)
def test_hostile_bytes_never_crash_load_file(hostile_tree, raw):
    path = hostile_tree / "chips" / "hostile.yaml"
    path.write_bytes(raw)
    try:
        result = loader.load_file(path, "chips", hostile_tree)
    except KBError:
        return
    finally:
        path.unlink()
    _check_problems(result.problems)
    assert (result.record is None) == bool(result.problems)


@settings(HOSTILE, max_examples=3_000)
@given(raw=hostile, kind=st.sampled_from(list(models.KINDS)))
def test_hostile_bytes_never_crash_load_records(hostile_tree, raw, kind):
    path = hostile_tree / kind / "hostile.yaml"
    path.write_bytes(raw)
    try:
        result = loader.load_records(hostile_tree)
    except KBError:
        return
    finally:
        path.unlink()
    _check_problems(result.problems)
    # Nothing is skipped in silence: the file is either a record or reported.
    reported = any(p.path.endswith(f"{kind}/hostile.yaml") for p in result.errors)
    assert reported != ("hostile" in result.records[kind])


NAMES = st.sampled_from(["x.yaml", "x.YAML", "x.yml", "x.json", "x", "x.yaml~", ".x.yaml",
                         "acme.yaml", "LICENSE", "x y.yaml", "x\x1b.yaml", "x\u202e.yaml",
                         "é.yaml", "x.yaml.yaml"])
ENTRY_KINDS = st.sampled_from(["file", "empty file", "folder", "fifo", "link in", "link out",
                               "broken link", "link to folder", "link to fifo"])
PLACES = st.sampled_from(["", *models.KINDS, "chips/sub", "chip"])


def _make(root: Path, place: str, name: str, what: str, outside: Path) -> None:
    folder = root / place
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists() or path.is_symlink():
        return
    if what == "file":
        path.write_text(RECORD_TEXT.replace("acme-x1", "x"), encoding="utf-8")
    elif what == "empty file":
        path.write_bytes(b"")
    elif what == "folder":
        path.mkdir()
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "link in":
        path.symlink_to(root / "chips" / "acme-x1.yaml")
    elif what == "link out":
        path.symlink_to(outside)
    elif what == "broken link":
        path.symlink_to(root / "nowhere")
    elif what == "link to folder":
        path.symlink_to(root / "rules")
    else:
        if not (root / ".pipe").exists():
            os.mkfifo(root / ".pipe")
        path.symlink_to(root / ".pipe")


@settings(HOSTILE, max_examples=2_000)
@given(entries=st.lists(st.tuples(PLACES, NAMES, ENTRY_KINDS), max_size=8),
       removed=st.sets(st.sampled_from(list(models.KINDS))))
def test_hostile_trees_never_crash_or_hang_the_loader(tmp_path_factory, entries, removed):
    # Pipes are never opened (a read would block this test for ever); links never followed out.
    base = tmp_path_factory.mktemp("tree")
    root = _tree(base)
    outside = base / "outside.yaml"
    outside.write_text(RECORD_TEXT, encoding="utf-8")
    for kind in removed:
        shutil.rmtree(root / kind)
    for place, name, what in entries:
        _make(root, place, name, what, outside)
    try:
        result = loader.load_records(root)
    except KBError:
        return
    _check_problems(result.problems)
    for kind, records in result.records.items():
        for rid in records:
            assert not (root / kind / f"{rid}.yaml").is_fifo()
            target = (root / kind / f"{rid}.yaml").resolve()
            assert target.is_relative_to(root.resolve())
    shutil.rmtree(base)
