"""Derived figures and the registry of metrics that rule criteria may name.

Every derived figure has one definition here; the models, the engine, the database and the site
all call these functions rather than computing their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kb.i18n import N_

if TYPE_CHECKING:
    from kb.models.chip import Chip

# Bit length of each operand type: ECCN 3A090's technical note multiplies by "the bit length of the
# operation". No BIS guidance on TF32 was found: its operands are stored in 32 bits, of which 19
# are significant. The table of terms shows 32; the engine counts both readings (BIT_LENGTHS), so a
# chip whose TPP depends on the choice is answered "whichever reading" or "undetermined: decided by
# the TF32 reading". docs/methodology.md gives the sources and the chips for which it matters.
BIT_LENGTH: dict[str, int] = {
    "fp64": 64,
    "fp32": 32,
    "tf32": 32,
    "bf16": 16,
    "fp16": 16,
    "fp8": 8,
    "fp6": 6,
    "fp4": 4,
    "int8": 8,
    "int4": 4,
}

OPERAND_TYPES: tuple[str, ...] = tuple(BIT_LENGTH)

BIT_LENGTHS: dict[str, tuple[int, ...]] = {"tf32": (19, 32)}
"""Operand types with more than one defensible bit length, each reading listed."""

# A vendor's stated TPP may differ from the computed one by rounding, not by more.
STATED_TPP_TOLERANCE = 0.01


def tpp_terms(dense_tops: dict[str, float]) -> dict[str, float]:
    """TOPS x bit length for each operand type (TPP = 2 x MacTOPS x bit length)."""
    return {op: dense_tops[op] * BIT_LENGTH[op] for op in OPERAND_TYPES if op in dense_tops}


def tpp(dense_tops: dict[str, float] | None) -> float | None:
    """Total processing performance: the maximum over operand types of dense TOPS x bit length."""
    if not dense_tops:
        return None
    return max(tpp_terms(dense_tops).values())


def performance_density(tpp_value: float | None, die_area_mm2: float | None) -> float | None:
    """TPP divided by the applicable die area in mm²; ``None`` when either input is missing."""
    if tpp_value is None or die_area_mm2 is None:
        return None
    return tpp_value / die_area_mm2


MetricType = Literal["number", "bool", "text", "date"]


@dataclass(frozen=True)
class Metric:
    """A figure that a rule criterion may compare."""

    name: str
    type: MetricType
    label: str
    """The metric in words (English, marked for the catalog: say it with ``_(metric.label)``)."""
    get: Callable[[Chip], Any]
    unit: str = ""
    doc: str = ""
    inputs: tuple[str, ...] = ()
    """Record fields the metric is computed from, named when it is missing."""


def _released(chip: Chip) -> dt.date | None:
    return chip.released_on


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("tpp", "number", N_("TPP"), lambda c: c.tpp, "",
               "total processing performance, max of dense TOPS x bit length", ("dense_tops",)),
        Metric("performance_density", "number", N_("performance density"),
               lambda c: c.performance_density, "TPP/mm²", "TPP / applicable die area",
               ("dense_tops", "die_area_mm2")),
        Metric("interconnect_gb_s", "number", N_("interconnect"), lambda c: c.interconnect_gb_s,
               "GB/s", "aggregate bidirectional chip-to-chip transfer rate",
               ("interconnect_gb_s",)),
        Metric("memory_bandwidth_gb_s", "number", N_("memory bandwidth"),
               lambda c: c.memory.bandwidth_gb_s if c.memory else None, "GB/s",
               "memory bandwidth", ("memory.bandwidth_gb_s",)),
        Metric("memory_capacity_gb", "number", N_("memory capacity"),
               lambda c: c.memory.capacity_gb if c.memory else None, "GB", "memory capacity",
               ("memory.capacity_gb",)),
        Metric("die_area_mm2", "number", N_("die area"), lambda c: c.die_area_mm2, "mm²",
               "applicable die area", ("die_area_mm2",)),
        Metric("datacenter", "bool", N_("designed or marketed for data centres"),
               lambda c: c.datacenter, "", "designed or marketed for use in data centres",
               ("datacenter",)),
        Metric("vendor", "text", N_("vendor"), lambda c: c.vendor, "", "vendor organization id"),
        Metric("kind", "text", N_("kind"), lambda c: c.kind, "", "gpu, asic, cpu or fpga"),
        Metric("id", "text", N_("chip"), lambda c: c.id, "", "chip id"),
        Metric("released", "date", N_("release date"), _released, "", "release date",
               ("released",)),
    )
}


def format_number(value: float) -> str:
    """Numbers as reasons show them: thousands separators, no needless decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
