"""Answers under uncertainty: what stays undetermined names what decides it, and whatever the
engine answers from bounds holds for every exact chip inside them."""

import datetime as dt
import random
import sqlite3

import pytest

import kb
from kb import cells
from kb.engine import evaluate

TODAY = dt.date(2026, 12, 2)

# Every chip whose licence answer for China is undetermined today, with the record fields that
# would decide it. Each is undetermined because no reputable source read so far publishes the
# figure (see each chip's notes); a change here means a figure was added or lost.
UNDETERMINED_CN_TODAY = {
    "aws-inferentia2": ("dense_tops", "die_area_mm2"),
    "aws-trainium": ("dense_tops", "die_area_mm2"),
    "biren-br106": ("dense_tops", "die_area_mm2"),
    "biren-br110": ("dense_tops", "die_area_mm2"),
    "cambricon-mlu370-x8": ("die_area_mm2",),
    "cambricon-mlu590": ("dense_tops", "die_area_mm2"),
    "cambricon-mlu690": ("dense_tops", "die_area_mm2"),
    "cerebras-wse-3": ("dense_tops",),
    "enflame-dtu-1": ("dense_tops", "die_area_mm2"),
    "google-tpu-v3": ("die_area_mm2",),
    "google-tpu-v4": ("die_area_mm2",),
    "google-tpu-v5e": ("die_area_mm2",),
    "huawei-ascend-910d": ("dense_tops", "die_area_mm2"),
    "iluvatar-corex-bi": ("die_area_mm2",),
    "intel-gaudi2-hl225b": ("dense_tops", "die_area_mm2"),
    "intel-gaudi3-hl328": ("dense_tops", "die_area_mm2"),
    "intel-gaudi3-hl388": ("dense_tops", "die_area_mm2"),
    "kunlunxin-m100": ("dense_tops", "die_area_mm2"),
    "kunlunxin-m300": ("dense_tops", "die_area_mm2"),
    "kunlunxin-p800": ("dense_tops", "die_area_mm2"),
    "metax-c500": ("die_area_mm2",),
    "metax-c600": ("dense_tops", "die_area_mm2"),
    "moore-threads-mtt-s4000": ("die_area_mm2",),
    "nvidia-b30a": ("dense_tops", "die_area_mm2", "memory.bandwidth_gb_s", "interconnect_gb_s"),
    "nvidia-rtx-pro-6000d": ("dense_tops",),
    "nvidia-rubin-cpx": ("dense_tops", "die_area_mm2", "memory.bandwidth_gb_s",
                         "interconnect_gb_s"),
    "t-head-zhenwu-810e": ("dense_tops", "die_area_mm2"),
    "t-head-zhenwu-m890": ("dense_tops", "die_area_mm2"),
}


def test_chips_undetermined_for_china_today_each_name_what_decides_them(base):
    found = {}
    for chip in base.chips.values():
        verdict = base.verdict(chip, on=TODAY, destination="CN")
        if verdict.value is not None:
            continue
        found[chip.id] = tuple(dict.fromkeys(d.input for d in verdict.deciders))
        assert verdict.deciders, chip.id
        for decider in verdict.deciders:
            assert decider.known, (chip.id, decider)
        if len(verdict.deciders) == 1 and chip.spans["tpp"].low > 0:
            # One open figure, and something known of the rest: the flip value is named.
            (decider,) = verdict.deciders
            assert decider.flips and decider.condition, (chip.id, decider)
    assert found == UNDETERMINED_CN_TODAY


def test_single_figure_flip_values_are_solved_through_the_formula(base):
    # TPU v3: TPP 1,968 exactly; 3A090.b's second line (density 3.2) is crossed at 615 mm².
    verdict = base.verdict("google-tpu-v3", on=TODAY, destination="CN")
    (decider,) = verdict.deciders
    assert decider.input == "die_area_mm2" and decider.flips == (615.0,)
    assert decider.condition == "the die area is at most 615 mm² (performance density at least 3.2)"


def test_no_chip_caught_by_3a090a_is_also_under_3a090b(base):
    for day in base.change_dates():
        for chip in base.chips.values():
            dets = {(d.rule_id, d.control_id): d for d in base.classify(chip, on=day)}
            for (rule, control), det in dets.items():
                if control != "3A090.a" or det.controlled is not True:
                    continue
                b = dets.get((rule, "3A090.b"))
                if b is not None:
                    assert b.controlled is False, (chip.id, day, rule)
                    assert "caught by 3A090.a" in b.reasons


def test_joint_answers_show_up_in_the_timeline(base):
    entries = base.timeline("amd-mi100")
    assert entries and all(e.status == "controlled" and e.jointly for e in entries)
    assert entries[0].date == dt.date(2023, 11, 17)


def test_the_ascend_910b_range_is_caught_whichever_value(base):
    chip = base.chips["huawei-ascend-910b"]
    assert chip.tpp is None and chip.tpp_low == 4480 and chip.tpp_high == 6400
    verdict = base.verdict(chip, on=TODAY, destination="CN")
    assert verdict.value is True and not verdict.jointly
    assert ("us-bis-2024-04-corrections", "3A090.a") in verdict.by


def test_sql_export_carries_range_ends_and_the_deciding_figure(base, tmp_path):
    from kb.export import export_sqlite

    out = tmp_path / "kb.sqlite"
    export_sqlite(base, out)
    con = sqlite3.connect(out)
    row = con.execute("SELECT tpp, tpp_low, tpp_high, performance_density_low FROM chip "
                      "WHERE id = 'huawei-ascend-910b'").fetchone()
    assert row[0] is None and row[1] == 4480 and row[2] == 6400 and row[3] > 6.7
    query = ("SELECT status, deciding_input, round(flip_value, 2), decided_when FROM "
             "determination WHERE chip_id = 'google-tpu-v3' AND rule_id = "
             "'us-bis-2024-04-corrections' AND control_id = ?")
    row = con.execute(query, ("3A090.a",)).fetchone()
    assert row == ("undetermined", "die_area_mm2", 332.43,
                   "the die area is at most 332.43 mm² (performance density at least 5.92)")
    row = con.execute(query, ("3A090.b",)).fetchone()
    # Two flips (3A090.b lies between density 3.2 and 5.92): the words carry both.
    assert row[:3] == ("undetermined", "die_area_mm2", None)
    assert row[3].startswith("the die area is more than 332.43 mm²") and "615 mm²" in row[3]
    tops = con.execute("SELECT dense_tops, dense_tops_low, dense_tops_high, bit_lengths FROM "
                       "chip_tops WHERE chip_id = 'aws-trainium' AND operand = 'tf32'").fetchone()
    assert tops == (190, 190, 190, "19 or 32")
    con.close()


# ---------------------------------------------------------------------------------------------
# Soundness: an answer given from bounds holds for every exact chip within them.

@pytest.fixture(scope="module")
def criteria(base):
    out = []
    for rule in base.rules.values():
        for control in rule.controls:
            if control.criterion is not None:
                out.append((f"{rule.id} {control.id}", control.criterion,
                            base.engine.resolver(rule)))
    return out


def _uncertain_chip(rng: random.Random) -> dict:
    def figure(low: float, high: float) -> object:
        a, b = sorted(rng.uniform(low, high) for _ in range(2))
        return round(a, 1) if rng.random() < 0.4 else {"low": round(a, 1), "high": round(b, 1)}

    chip: dict = {"id": "hypo", "name": "Hypo", "vendor": "acme", "kind": "gpu",
                  "datacenter": rng.choice([True, False, None])}
    if rng.random() < 0.85:
        chip["dense_tops"] = {rng.choice(["fp16", "int8", "tf32", "fp8"]): figure(50, 700)}
    if rng.random() < 0.7:
        chip["die_area_mm2"] = figure(200, 900)
    elif rng.random() < 0.5:
        chip["logic_dies"] = rng.choice([1, 2])
    if rng.random() < 0.7:
        chip["interconnect_gb_s"] = figure(0, 1200)
    if rng.random() < 0.7:
        chip["memory"] = {"bandwidth_gb_s": figure(500, 5000)}
    return {k: v for k, v in chip.items() if v is not None}


def _exact_inside(data: dict, rng: random.Random) -> dict:
    """A chip with exact figures that the uncertain one allows."""
    def pick(value: object) -> object:
        if isinstance(value, dict):
            return rng.choice([value["low"], value["high"], rng.uniform(value["low"],
                                                                          value["high"])])
        return value

    out = {k: v for k, v in data.items() if k not in ("dense_tops", "logic_dies")}
    if "dense_tops" in data:
        (op, value), = data["dense_tops"].items()
        tops = pick(value)
        if op == "tf32":
            # TF32 counts at 19 or 32 bits: the exact chip takes one reading, written as the
            # FP32 rate that gives the same TPP.
            out["dense_tops"] = {"fp32": tops * rng.choice([19, 32]) / 32}
        else:
            out["dense_tops"] = {op: tops}
    else:
        out["dense_tops"] = {"int8": rng.choice([10, 300, 600, 2000])}
    if "die_area_mm2" in data:
        out["die_area_mm2"] = pick(data["die_area_mm2"])
    else:
        cap = 858 * data.get("logic_dies", 3)
        out["die_area_mm2"] = rng.choice([1, cap / 3, cap])
    for field, choices in (("interconnect_gb_s", [0, 600, 900, 1800]),):
        out[field] = pick(data[field]) if field in data else rng.choice(choices)
    memory = data.get("memory", {}).get("bandwidth_gb_s")
    out["memory"] = {"bandwidth_gb_s": pick(memory) if memory is not None
                     else rng.choice([1000, 4000, 8000])}
    if "datacenter" not in out:
        out["datacenter"] = rng.choice([True, False])
    return out


def test_answers_from_bounds_hold_for_every_exact_chip_inside_them(criteria):
    rng = random.Random(14)
    checked = 0
    for _ in range(300):
        data = _uncertain_chip(rng)
        chip = kb.Chip.model_validate(data)
        answers = {name: evaluate(c, chip, resolve).value for name, c, resolve in criteria}
        for _ in range(6):
            exact = kb.Chip.model_validate(_exact_inside(data, rng))
            for name, c, resolve in criteria:
                want = answers[name]
                if want is None:
                    continue
                assert evaluate(c, exact, resolve).value is want, (name, data, exact)
                checked += 1
    assert checked > 10_000


def test_cells_answer_equals_exact_evaluation_on_exact_chips(base, criteria):
    # On chips with every figure exact there is one cell: the answer is the plain one.
    for chip in base.chips.values():
        if all(s.exact for s in chip.spans.values()) and chip.datacenter is not None:
            values = cells.known_values(chip)
            for _, c, resolve in criteria:
                fn = cells.point_function(c, resolve)
                assert evaluate(c, chip, resolve).value is fn(values)


def test_tpp_and_density_move_together():
    # Area 500 mm²: a TPP below 2,500 means a density below 5, so "TPP < 2,500 and density >= 6"
    # holds for no value of the range, though each comparison alone is open.
    chip = kb.Chip.model_validate({"id": "hypo", "name": "Hypo", "vendor": "acme", "kind": "gpu",
                                   "die_area_mm2": 500,
                                   "dense_tops": {"fp16": {"low": 125, "high": 250}}})
    criterion = kb.Criterion.model_validate(
        {"all": [{"tpp": {"lt": 2500}}, {"performance_density": {"gte": 6}}]})
    assert evaluate(criterion, chip).value is False
    # And where the two can meet, the answer stays open with the TPP that decides it.
    meets = kb.Criterion.model_validate(
        {"all": [{"tpp": {"lt": 3500}}, {"performance_density": {"gte": 6}}]})
    out = evaluate(meets, chip)
    assert out.value is None
    assert out.deciders[0].condition == ("dense FP16 is at least 187.5 TFLOPS (TPP at least "
                                         "3,000) and less than 218.75 TFLOPS (TPP less than 3,500)")
