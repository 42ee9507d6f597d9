"""Chips: AI accelerators and the figures export-control rules look at."""

import datetime as dt
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, computed_field, field_validator

from kb import metrics
from kb.models.common import (
    Citation,
    Disputed,
    Number,
    PartialDate,
    PastDay,
    Record,
    ShortText,
    Slug,
    StrictBool,
    Text,
    partial_start,
)

OperandType = Literal["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp6", "fp4", "int8", "int4"]
Positive = Annotated[Number, Field(gt=0)]

# Fields that hold a figure and so need a citation when present (dotted for nested ones).
FIGURE_FIELDS: tuple[str, ...] = (
    "released", "datacenter", "foundry", "process", "die_area_mm2", "transistors_billion",
    "dense_tops", "stated_tpp", "memory.type", "memory.capacity_gb", "memory.bandwidth_gb_s",
    "interconnect_gb_s", "tdp_w",
)


class Memory(Record):
    """On-package memory."""

    type: ShortText | None = None
    """Memory technology, e.g. HBM3, GDDR6X."""
    capacity_gb: Positive | None = None
    bandwidth_gb_s: Positive | None = None
    """Peak memory bandwidth in GB/s."""


class Chip(Record):
    """An accelerator with its control-relevant figures."""

    id: Slug
    name: ShortText
    vendor: Slug
    """Organization id of the designer."""
    kind: Literal["gpu", "asic", "cpu", "fpga"]
    family: ShortText | None = None
    released: PartialDate | None = None
    """Release (or first announcement, as the notes say), YYYY-MM-DD or YYYY-MM."""
    datacenter: StrictBool | None = None
    """Designed or marketed for use in data centres (a rule criterion)."""
    foundry: Slug | None = None
    process: ShortText | None = None
    die_area_mm2: Positive | None = None
    """Applicable die area: the sum over the processing dies, in mm²."""
    transistors_billion: Positive | None = None
    dense_tops: dict[OperandType, Positive] = Field(default_factory=dict)
    """Dense (no sparsity) peak tera-operations per second, per operand type."""
    dense_tops_complete: StrictBool = True
    """false when the recorded operand types leave out some the chip supports (no source gives
    them): TPP and performance density are then lower bounds, and the engine says so."""
    stated_tpp: Positive | None = None
    """A TPP figure stated by the vendor or a regulator, checked against the computed one."""
    memory: Memory | None = None
    interconnect_gb_s: Annotated[Number, Field(ge=0)] | None = None
    """Aggregate bidirectional chip-to-chip transfer rate in GB/s."""
    tdp_w: Positive | None = None
    form_factor: ShortText | None = None
    variant_of: Slug | None = None
    """The parent chip of a compliance or market variant."""
    aliases: list[ShortText] = Field(default_factory=list)
    notes: Text | None = None
    citations: list[Citation] = Field(default_factory=list)
    disputed: list[Disputed] = Field(default_factory=list)
    last_reviewed: PastDay | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""

    @field_validator("stated_tpp")
    @classmethod
    def _stated_matches(cls, value: float | None, info: ValidationInfo) -> float | None:
        computed = metrics.tpp(info.data.get("dense_tops"))
        if (
            value is not None
            and computed is not None
            and abs(value - computed) > metrics.STATED_TPP_TOLERANCE * computed
        ):
            raise ValueError(
                f"stated TPP {metrics.format_number(value)} differs from the TPP computed from "
                f"dense_tops ({metrics.format_number(computed)}) by more than 1 %; check for "
                "sparse figures typed as dense"
            )
        return value

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def tpp(self) -> float | None:
        """Total processing performance, derived from ``dense_tops``."""
        return metrics.tpp(self.dense_tops)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def performance_density(self) -> float | None:
        """TPP / applicable die area, derived."""
        return metrics.performance_density(self.tpp, self.die_area_mm2)

    @cached_property
    def released_on(self) -> dt.date | None:
        """First day the release date can mean (a month counts from its first day)."""
        return partial_start(self.released)
