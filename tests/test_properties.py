"""Property-based tests: random valid records round-trip; random damage never crashes the loader."""

import json
import shutil
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kb
from kb import export, loader
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
