"""The engine: Kleene logic, supersession, timelines, what-if, and the public API shapes."""

import datetime as dt

import pytest

import kb
from kb.engine import evaluate
from kb.models import Criterion

CHIP = kb.Chip.model_validate({"id": "hypo", "name": "Hypo", "vendor": "acme", "kind": "asic",
                               "dense_tops": {"int8": 700}, "datacenter": True})


def value(criterion: dict) -> bool | None:
    return evaluate(Criterion.model_validate(criterion), CHIP).value


def test_kleene_and_or_not():
    known_true = {"tpp": {"gte": 4800}}
    known_false = {"tpp": {"lt": 100}}
    unknown = {"die_area_mm2": {"gte": 1}}
    assert value({"all": [known_true, unknown]}) is None
    assert value({"all": [known_false, unknown]}) is False
    assert value({"any": [known_true, unknown]}) is True
    assert value({"any": [known_false, unknown]}) is None
    assert value({"not": unknown}) is None
    assert value({"not": known_false}) is True
    assert value({"vendor": {"in": ["acme", "other"]}, "kind": "asic"}) is True
    assert value({"released": {"gte": "2020-01-01"}}) is None


def test_unknown_names_the_missing_inputs():
    out = evaluate(Criterion.model_validate({"performance_density": {"gte": 1}}), CHIP)
    assert out.value is None
    assert out.missing == ("die_area_mm2",)
    bare = kb.Chip.model_validate({"id": "b", "name": "B", "vendor": "acme", "kind": "asic"})
    out = evaluate(Criterion.model_validate({"performance_density": {"gte": 1}}), bare)
    assert out.missing == ("dense_tops", "die_area_mm2")
    assert out.reasons == ("performance density unknown (dense compute figures and die area not "
                           "recorded)",)


def test_classify_accepts_ids_chips_and_date_strings(base):
    a = base.classify("nvidia-h100-sxm", on="2024-01-01")
    b = base.classify(base.chips["nvidia-h100-sxm"], on=dt.date(2024, 1, 1))
    assert a == b
    assert all(isinstance(d, kb.Determination) for d in a)
    assert {(d.rule_id, d.control_id, d.controlled) for d in a} >= {
        ("us-bis-2023-10-advanced-computing", "3A090.a", True)}


def test_unknown_chip_and_bad_inputs(base):
    with pytest.raises(kb.UnknownRecord, match="did you mean nvidia-h100-sxm"):
        base.classify("nvidia-h100-sx")
    with pytest.raises(ValueError):
        base.classify("nvidia-h100-sxm", on="yesterday")
    with pytest.raises(ValueError, match="ISO 3166"):
        base.license_required("nvidia-h100-sxm", destination="XX", on="2024-01-01")


def test_superseded_controls_end_the_day_before(base):
    eng = base.engine
    assert eng.spans[("us-bis-2022-10-advanced-computing", "3A090.a")] == (
        dt.date(2022, 10, 7), dt.date(2023, 11, 16))
    assert eng.spans[("us-bis-2023-10-advanced-computing", "3A090.a")] == (
        dt.date(2023, 11, 17), dt.date(2024, 4, 3))


def test_timeline_of_a800(base):
    entries = base.timeline("nvidia-a800")
    # NVIDIA was told on 2023-10-23 that the October 2023 rule bound the A800 at once.
    assert entries[0].date == dt.date(2023, 10, 23)
    assert entries[0].status == "controlled"
    assert ("us-bis-2023-10-advanced-computing", "3A090.a") in entries[0].controlled_by


def test_timeline_of_a100_records_each_rule_change(base):
    entries = base.timeline("nvidia-a100-sxm")
    # First caught by the notice to NVIDIA of August 26, 2022, then by the October 2022 rule.
    assert entries[0].date == dt.date(2022, 8, 26)
    assert entries[0].controlled_by == [("us-2022-08-nvidia-a100-h100-licence-requirement",
                                         "A100/H100 notice")]
    days = [e.date for e in entries]
    first_rule = entries[days.index(dt.date(2022, 10, 7))]
    assert first_rule.controlled_by == [("us-bis-2022-10-advanced-computing", "3A090.a")]
    assert dt.date(2023, 1, 17) in days and dt.date(2023, 11, 17) in days
    second = entries[days.index(dt.date(2023, 11, 17))]
    assert ("us-bis-2022-10-advanced-computing", "3A090.a") in second.released_from


def test_what_if_lists_who_flips(base):
    result = base.what_if({"tpp": {"gte": 1000}}, on="2024-06-01")
    assert "nvidia-h20" in result.caught and "nvidia-h20" in result.newly_caught
    assert "nvidia-h100-sxm" in result.caught and "nvidia-h100-sxm" not in result.newly_caught
    assert "amd-mi308x" in result.undetermined
    assert result.undetermined["amd-mi308x"] == ["dense_tops"]
    higher = base.what_if({"tpp": {"gte": 20000}}, on="2024-06-01")
    assert "nvidia-a800" in higher.released
    assert set(higher.caught) | set(higher.not_caught) | set(higher.undetermined) == set(base.chips)


def test_change_dates_are_sorted_and_include_rule_starts(base):
    days = base.change_dates()
    assert days == sorted(days)
    assert {dt.date(2022, 10, 7), dt.date(2023, 11, 17), dt.date(2025, 1, 13),
            dt.date(2025, 5, 13)} <= set(days)


def test_engine_is_pure(base):
    before = base.classify("nvidia-h20", on="2025-06-01")
    base.what_if({"tpp": {"gte": 1}})
    assert base.classify("nvidia-h20", on="2025-06-01") == before


def test_incomplete_dense_tops_make_tpp_a_lower_bound():
    partial = kb.Chip.model_validate({"id": "p", "name": "P", "vendor": "acme", "kind": "gpu",
                                      "dense_tops": {"fp64": 40}, "dense_tops_complete": False})
    assert partial.tpp is None and partial.tpp_low == 2560 and partial.tpp_high is None

    def check(criterion: dict) -> bool | None:
        return evaluate(Criterion.model_validate(criterion), partial).value

    assert check({"tpp": {"gte": 2000}}) is True     # at least 2,560: certainly >= 2,000
    assert check({"tpp": {"gte": 4800}}) is None     # could be more than 4,800
    assert check({"tpp": {"lt": 2000}}) is False     # at least 2,560: certainly not < 2,000
    assert check({"tpp": {"lt": 21000}}) is None
    assert check({"tpp": {"eq": 2560}}) is None
    out = evaluate(Criterion.model_validate({"tpp": {"gte": 4800}}), partial)
    assert out.missing == ("dense_tops",)
    assert out.reasons[0] == ("TPP at least 2,560, not known against 4,800 (the recorded operand "
                              "types leave some out)")
    assert out.deciders[0].input == "dense_tops" and out.deciders[0].flips == (4800,)
    assert out.reasons[1] == ("caught if TPP is at least 4,800; the records: TPP at least 2,560; "
                              "the recorded operand types leave some out")


def test_bulk_statuses_agree_with_classify_on_every_change_date(base):
    for day in base.change_dates() + [dt.date(2022, 10, 6), dt.date(2026, 6, 1)]:
        bulk = base.statuses(on=day)
        for chip in base.chips.values():
            want = base.verdict(chip, on=day).status
            assert bulk[chip.id] == want, (chip.id, day)
            dets = base.classify(chip, on=day)
            if any(d.controlled is True for d in dets):
                assert want == "controlled"
            elif not any(d.controlled is None for d in dets):
                assert want == "not controlled"


def test_compiled_criteria_agree_with_evaluate(base):
    from kb.engine import compile_criterion

    for rule in base.rules.values():
        for control in rule.controls:
            if control.criterion is None:
                continue
            resolve = base.engine.resolver(rule)
            fn = compile_criterion(control.criterion, resolve)
            for chip in base.chips.values():
                slow = evaluate(control.criterion, chip, resolve)
                value, missing = fn(chip)
                assert value == slow.value, (rule.id, control.id, chip.id)
                if value is None:
                    assert set(missing) <= set(slow.missing) and missing
