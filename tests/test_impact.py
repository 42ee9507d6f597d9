"""Rule pages' impact lists, checked against the engine on the real records.

The expected sets are worked out here from the engine's spans and ``KnowledgeBase.verdict``,
not from :func:`kb.site.render.rule_impact`, so a slip in either shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import kb
from kb.site.render import environment, rule_impact

OCT_2022 = "us-bis-2022-10-advanced-computing"
OCT_2023 = "us-bis-2023-10-advanced-computing"


def chip_controls(rule: Any) -> list[Any]:
    return [c for c in rule.controls
            if c.criterion is not None and c.effect == "licence-requirement"]


def last_day(base: kb.KnowledgeBase, rule: Any) -> dt.date | None:
    ends = [base.engine.spans[(rule.id, c.id)][1] for c in chip_controls(rule)]
    return None if any(e is None for e in ends) else max(ends)


def ids(chips: list[Any]) -> list[str]:
    return [c.id for c in chips]


def every_list(impact: dict[str, Any]) -> dict[str, list[str]]:
    """Each chip list of an impact summary, by a name saying where it is."""
    out = {name: ids(impact[name]) for name in
           ("jointly", "newly", "was_undetermined", "near_undated")}
    out["near"] = [n["chip"].id for n in impact["near"]]
    for item in impact["controls"]:
        cid = item["control"].id
        out[f"{cid} caught"] = ids(item["caught"])
        out[f"{cid} undetermined"] = [c.id for c, _ in item["unknown"]]
        out[f"{cid} undated caught"] = ids(item["undated_caught"])
        out[f"{cid} undated undetermined"] = ids(item["undated_unknown"])
    return out


def expected_newly(base: kb.KnowledgeBase, rule: Any) -> tuple[set[str], set[str]]:
    """Chips controlled under the rule on its first day for them (or their release, if later)
    and not controlled the day before it began for them; and those undetermined that day."""
    newly, was_open = set(), set()
    end = last_day(base, rule)
    for chip in base.chips.values():
        released = chip.released_on
        if released is None or (end is not None and released > end):
            continue
        starts = [base.engine.span_for(rule, c, chip)[0] for c in chip_controls(rule)]
        first = min(s for s in starts if s is not None)
        on = max(first, released)
        now = base.verdict(chip, on=on)
        if now.value is not True or rule.id not in {r for r, _ in now.by}:
            continue
        before = base.verdict(chip, on=first - dt.timedelta(days=1)).value
        if before is False:
            newly.add(chip.id)
        elif before is None:
            was_open.add(chip.id)
    return newly, was_open


@pytest.fixture(scope="module")
def impacts(base: kb.KnowledgeBase) -> dict[str, dict[str, Any]]:
    return {rid: rule_impact(base, rule) for rid, rule in base.rules.items()}


def test_october_2022_caught_only_chips_released_while_it_applied(base, impacts):
    end = last_day(base, base.rules[OCT_2022])
    assert end == dt.date(2023, 11, 16)  # the day before the October 2023 rule replaced it
    caught = [c for item in impacts[OCT_2022]["controls"] for c in item["caught"]]
    assert caught, "the rule caught the A100 and H100 at least"
    late = [c.id for c in caught if c.released_on is None or c.released_on > end]
    assert late == []
    for later in ("nvidia-b200", "nvidia-b300", "google-tpu-v7", "amd-mi355x"):
        assert later not in ids(caught)
    assert {"nvidia-a100-sxm", "nvidia-h100-sxm"} <= set(ids(caught))


def test_october_2023_newly_controlled_matches_the_verdicts(base, impacts):
    rule = base.rules[OCT_2023]
    impact = impacts[OCT_2023]
    end = last_day(base, rule)
    newly = impact["newly"]
    assert all(c.released_on is not None and c.released_on <= end for c in newly)
    assert "huawei-ascend-910c" not in ids(newly)  # no release date recorded
    want_newly, want_open = expected_newly(base, rule)
    assert set(ids(newly)) == want_newly
    assert set(ids(impact["was_undetermined"])) == want_open
    # NVIDIA's A800 and H800 were controlled from 2023-10-23 under this rule, not under 2022's.
    assert {"nvidia-a800", "nvidia-h800"} <= want_newly
    # Undetermined the day before is not "not controlled": the RTX 4090 was open under 2022's
    # interconnect line (no figure), so it is apart.
    assert base.verdict("nvidia-rtx-4090", on="2023-11-16").value is None
    assert "nvidia-rtx-4090" in want_open and "nvidia-rtx-4090" not in want_newly


def test_jointly_caught_counts_as_controlled(base, impacts):
    # The MI100: undetermined under 3A090.a and .b alone, caught by one of them either way.
    verdict = base.verdict("amd-mi100", on="2023-11-17")
    assert verdict.value is True and verdict.jointly
    assert "amd-mi100" in ids(impacts[OCT_2023]["jointly"])
    assert "amd-mi100" in ids(impacts[OCT_2023]["newly"])


def test_chips_without_a_release_date_are_apart(impacts):
    impact = impacts[OCT_2023]
    dated = set(ids(impact["newly"])) | {c.id for item in impact["controls"]
                                          for c in item["caught"]}
    undated = {c.id for item in impact["controls"] for c in item["undated_caught"]}
    assert "huawei-ascend-910c" in undated and "huawei-ascend-910c" not in dated


def test_no_chip_twice_in_any_list(impacts):
    repeats = {f"{rid}: {name}": sorted({c for c in chips if chips.count(c) > 1})
               for rid, impact in impacts.items()
               for name, chips in every_list(impact).items() if len(set(chips)) < len(chips)}
    assert repeats == {}


def test_variants_just_below_are_listed_once_with_their_margin(base, impacts):
    near = {n["chip"].id: n for n in impacts[OCT_2023]["near"]}
    assert [n["chip"].id for n in impacts[OCT_2023]["near"]].count("nvidia-rtx-4090d") == 1
    assert [g["text"] for g in near["nvidia-rtx-4090d"]["lines"]] == [
        "TPP 4,706.88, 93.12 below the 4,800 line"]
    assert near["nvidia-rtx-4090d"]["parent"].id == "nvidia-rtx-4090"
    # Released after the October 2022 rule was replaced: not one of its near misses.
    assert "nvidia-rtx-4090d" not in {n["chip"].id for n in impacts[OCT_2022]["near"]}
    a800 = {n["chip"].id: n for n in impacts[OCT_2022]["near"]}["nvidia-a800"]
    assert [g["text"] for g in a800["lines"]] == [
        "interconnect 400 GB/s, 200 GB/s below the 600 GB/s line"]
    for impact in impacts.values():
        for n in impact["near"]:
            released = n["chip"].released_on
            assert released is not None and impact["first"] < released
            assert impact["last"] is None or released <= impact["last"]


def test_the_rule_page_names_each_chip_once_by_name(base, impacts):
    # The impact section as rule pages include it, rendered on its own.
    page = f"rules/{OCT_2023}.md"
    text = environment().get_template("_impact.md.j2").render(
        page=page, base=base, rule=base.rules[OCT_2023], impact=impacts[OCT_2023])
    impact = text[text.index("## Impact"):text.index("### Vendors affected")]
    below = impact[impact.index("### Released afterwards"):]
    assert below.count("(../chips/nvidia-rtx-4090d.md)") == 1
    assert below.count("(../chips/nvidia-rtx-5090d.md)") == 0  # released after 2024-04-03
    assert "93.12 below the 4,800 line" in below
    newly = impact[impact.index("### Newly controlled"):impact.index("### Released afterwards")]
    assert "[NVIDIA A800 SXM4 80GB](../chips/nvidia-a800.md)" in newly
    assert "nvidia-a800 " not in impact and "missing dense_tops" not in impact
