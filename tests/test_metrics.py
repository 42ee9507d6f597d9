"""Derived figures: one definition, checked on hand-worked chips."""

import pytest

import kb
from kb import bounds, metrics


def test_tpp_is_max_of_tops_times_bit_length():
    assert metrics.tpp({"fp8": 1978.9, "fp16": 989.4, "fp64": 67}) == pytest.approx(15831.2)
    chip = kb.Chip.model_validate({"id": "x", "name": "X", "vendor": "v", "kind": "gpu",
                                   "dense_tops": {"fp8": 1978.9, "fp16": 989.4}})
    assert bounds.setting_operand(chip) == "fp8"
    assert metrics.tpp({}) is None
    assert metrics.tpp(None) is None


def test_bis_worked_example():
    # 88 FR 73458, Technical Note to 3A090: 600 TOPS at 8 bits or 300 TFLOPS at 16 bits reach 4800.
    assert metrics.tpp({"int8": 600}) == 4800
    assert metrics.tpp({"fp16": 300}) == 4800


def test_every_operand_type_has_a_bit_length():
    from kb.models.chip import OperandType

    assert set(OperandType.__args__) == set(metrics.BIT_LENGTH)


def test_performance_density_needs_both_inputs():
    assert metrics.performance_density(4800, 600) == 8
    assert metrics.performance_density(None, 600) is None
    assert metrics.performance_density(4800, None) is None


def test_hand_checked_records(base):
    h100 = base.chips["nvidia-h100-sxm"]
    assert h100.tpp == pytest.approx(15832, rel=1e-4)
    assert h100.performance_density == pytest.approx(h100.tpp / 814)
    assert base.chips["nvidia-a100-sxm"].tpp == pytest.approx(4992)
    assert base.chips["nvidia-h20"].tpp == pytest.approx(2368)


def test_hypothetical_chip_derives_the_same_way():
    chip = kb.Chip.model_validate({"id": "acme-x1", "name": "Acme X1", "vendor": "acme",
                                   "kind": "asic", "dense_tops": {"int8": 700},
                                   "die_area_mm2": 500})
    assert chip.tpp == 5600
    assert chip.performance_density == pytest.approx(11.2)
    assert chip.model_dump()["tpp"] == 5600


def test_format_number():
    assert metrics.format_number(15832) == "15,832"
    assert metrics.format_number(15831.2) == "15,831.2"
    assert metrics.format_number(4706.88) == "4,706.88"
    assert metrics.format_number(5.92) == "5.92"
    assert metrics.format_number(1.6) == "1.6"
