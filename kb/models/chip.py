"""Chips: AI accelerators and the figures export-control rules look at."""

import datetime as dt
import math
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Literal

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
from kb.models.figures import CONVENTIONS, ByConvention, exact, uncertain_figure

if TYPE_CHECKING:
    from kb.bounds import Interval

OperandType = Literal["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp6", "fp4", "int8", "int4"]
Positive = Annotated[Number, Field(gt=0)]
Uncertain = uncertain_figure(positive=True)
UncertainOrZero = uncertain_figure(positive=False)

# Fields that hold a figure and so need a citation when present (dotted for nested ones).
FIGURE_FIELDS: tuple[str, ...] = (
    "released", "datacenter", "foundry", "process", "die_area_mm2", "transistors_billion",
    "dense_tops", "stated_tpp", "logic_dies", "memory.type", "memory.capacity_gb",
    "memory.bandwidth_gb_s", "interconnect_gb_s", "tdp_w",
)


class Memory(Record):
    """On-package memory."""

    type: ShortText | None = None
    """Memory technology, e.g. HBM3, GDDR6X."""
    capacity_gb: Uncertain | None = None
    bandwidth_gb_s: Uncertain | None = None
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
    die_area_mm2: Uncertain | None = None
    """Applicable die area: the sum over the logic dies, in mm²; a number, a range
    ``{low, high}``, or values by convention ``{conventions: {bis_applicable: ..,
    processing_dies: ..}}``."""
    logic_dies: Annotated[int, Field(strict=True, ge=1, le=64)] | None = None
    """Number of logic dies counted in the die area (1: monolithic). Each die fits the 858 mm²
    lithography reticle, which bounds the area when it is not published."""
    transistors_billion: Positive | None = None
    dense_tops: dict[OperandType, Uncertain] = Field(default_factory=dict)
    """Dense (no sparsity) peak tera-operations per second, per operand type; each a number or a
    range ``{low, high}``."""
    dense_tops_complete: StrictBool = True
    """false when the recorded operand types leave out some the chip supports (no source gives
    them): TPP and performance density are then lower bounds, and the engine says so."""
    stated_tpp: Positive | None = None
    """A TPP figure stated by the vendor or a regulator, checked against the computed one."""
    memory: Memory | None = None
    interconnect_gb_s: UncertainOrZero | None = None
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
        tops = info.data.get("dense_tops") or {}
        exact_tops = {op: v for op, v in tops.items() if exact(v) is not None}
        computed = metrics.tpp(exact_tops) if len(exact_tops) == len(tops) else None
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

    @field_validator("die_area_mm2", "interconnect_gb_s")
    @classmethod
    def _known_conventions(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, ByConvention):
            known = CONVENTIONS.get(info.field_name or "", {})
            unknown = [name for name in value.conventions if name not in known]
            if unknown:
                offer = (f"; known conventions: {', '.join(known)}" if known else
                         "; no conventions are defined for this field (give a number or a "
                         "range {low, high})")
                raise ValueError(f"unknown convention {', '.join(unknown)}{offer}")
        return value

    @field_validator("dense_tops")
    @classmethod
    def _no_conventions(cls, value: dict[str, object]) -> dict[str, object]:
        for op, v in value.items():
            if isinstance(v, ByConvention):
                raise ValueError(f"{op}: no conventions are defined for dense figures (give a "
                                 "number or a range {low, high})")
        return value

    @cached_property
    def spans(self) -> "dict[str, Interval]":
        """Every numeric metric as the interval of values the figures allow (kb.bounds)."""
        # kb.bounds reads these models' figure types, so it is imported when first needed.
        from kb import bounds

        return bounds.number_spans(self)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def tpp(self) -> float | None:
        """Total processing performance, derived from ``dense_tops``: ``None`` unless the
        figures give one value (see ``tpp_low`` and ``tpp_high``)."""
        span = self.spans["tpp"]
        return span.low if span.exact else None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def tpp_low(self) -> float | None:
        """The least TPP the figures allow (``None``: nothing recorded)."""
        span = self.spans["tpp"]
        return span.low if span.low > 0 or span.high < math.inf else None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def tpp_high(self) -> float | None:
        """The greatest TPP the figures allow (``None``: unbounded)."""
        high = self.spans["tpp"].high
        return high if high < math.inf else None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def performance_density(self) -> float | None:
        """TPP / applicable die area, derived: ``None`` unless the figures give one value."""
        span = self.spans["performance_density"]
        return span.low if span.exact else None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def performance_density_low(self) -> float | None:
        span = self.spans["performance_density"]
        return span.low if span.low > 0 else None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def performance_density_high(self) -> float | None:
        high = self.spans["performance_density"].high
        return high if high < math.inf else None

    @cached_property
    def released_on(self) -> dt.date | None:
        """First day the release date can mean (a month counts from its first day)."""
        return partial_start(self.released)
