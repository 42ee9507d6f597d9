"""Rule scenarios as data (OpenFisca-style): chip, date, destination, expected outcome."""

from pathlib import Path
from typing import Any

import pytest

import kb
from kb import yamlsafe

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        parsed = yamlsafe.parse_bytes(path.read_bytes())
        assert not parsed.issues, f"{path.name}: {parsed.issues}"
        out.extend((f"{path.stem}: {case['name']}", case) for case in parsed.data)
    return out


SCENARIOS = _load()


def _key(item: Any) -> str:
    return f"{item.rule_id} {item.control_id}"


@pytest.mark.parametrize("case", [c for _, c in SCENARIOS], ids=[n for n, _ in SCENARIOS])
def test_scenario(case: dict[str, Any], base: kb.KnowledgeBase) -> None:
    chip = case["chip"] if isinstance(case["chip"], str) else kb.Chip.model_validate(case["chip"])
    expect = case["expect"]
    dets = base.classify(chip, on=case["on"])
    controlled = sorted(_key(d) for d in dets if d.controlled is True)
    undetermined = sorted(_key(d) for d in dets if d.controlled is None)
    if "controlled" in expect:
        assert controlled == sorted(expect["controlled"])
        assert undetermined == sorted(expect.get("undetermined", []))
    reasons = [r for d in dets for r in d.reasons]
    for reason in expect.get("reasons", []):
        assert reason in reasons
    missing = {m for d in dets for m in d.missing}
    assert set(expect.get("missing", [])) <= missing
    if "overall" in expect or "jointly" in expect:
        verdict = base.verdict(chip, on=case["on"], destination=case.get("to"))
        if "overall" in expect:
            assert verdict.status == expect["overall"]
        if "jointly" in expect:
            assert verdict.jointly is expect["jointly"]
    for want in expect.get("deciding", []):
        verdict = base.verdict(chip, on=case["on"], destination=case.get("to"))
        found = [d for d in [*verdict.deciders, *(x for d in dets for x in d.deciders)]
                 if d.input == want["input"]]
        assert found, f"no decider {want['input']}"
        if "flip" in want:
            assert any(round(want["flip"], 2) in {round(f, 2) for f in d.flips} for d in found)
        if "when" in want:
            assert any(want["when"] in d.condition for d in found), [d.condition for d in found]
    if "licences" in expect:
        reqs = base.license_required(chip, case["to"], on=case["on"],
                                     headquartered_in=case.get("hq"))
        got = {_key(r): r for r in reqs}
        assert sorted(got) == sorted(expect["licences"])
        for key, want in expect["licences"].items():
            req = got[key]
            for field, value in want.items():
                actual = req.policy if field == "policy" else getattr(req, field)
                assert actual == value, f"{key} {field}"


def test_scenarios_cover_every_chip_rule():
    named = {k for _, c in SCENARIOS for k in c["expect"].get("controlled", [])} | {
        k for _, c in SCENARIOS for k in c["expect"].get("licences", {})}
    rules = {n.split(" ")[0] for n in named if n}
    assert {"us-bis-2022-10-advanced-computing", "us-bis-2023-01-macau",
            "us-bis-2023-10-advanced-computing", "us-bis-2024-04-corrections",
            "us-bis-2025-01-ai-diffusion", "us-2025-04-nvidia-h20-licence-requirement"} <= rules
