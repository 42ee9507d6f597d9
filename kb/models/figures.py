"""Figures known only within bounds: a range with a source for each end, or one value per named
convention (the ways of counting that sources differ on).

A figure field holds a number when it is known exactly; these forms say what is known when it is
not, so the engine can tell "controlled whichever value is used" from "undetermined".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from kb.i18n import N_
from kb.models.common import Number, Problems, Record, Text

Positive = Annotated[Number, Field(gt=0)]
NonNegative = Annotated[Number, Field(ge=0)]

RETICLE_MM2 = 858.0
"""The largest field a lithography scanner exposes, 26 mm x 33 mm: no single die is larger."""

# Named conventions per field, and which one the rules use. A record may give a value under
# several; the engine uses the rules' convention where given and, where only another is, the
# bound that convention implies.
CONVENTIONS: dict[str, dict[str, str]] = {
    "die_area_mm2": {
        "bis_applicable": "the applicable die area of ECCN 3A090's technical note: every logic "
                          "die made on a non-planar (FinFET or gate-all-around) process, I/O "
                          "dies included",
        "processing_dies": "the processing (compute) dies only, I/O and base dies left out",
    },
}
CONVENTION_LABELS: dict[str, str] = {
    "bis_applicable": N_("all logic dies, as ECCN 3A090 counts them"),
    "processing_dies": N_("processing dies only"),
}
"""Short names for the conventions, as pages show them beside a value (English, marked for the
catalog: say one with ``_(CONVENTION_LABELS[name])``)."""
RULES_CONVENTION: dict[str, str] = {"die_area_mm2": "bis_applicable"}
# A value under ``processing_dies`` can only be smaller than or equal to the applicable area,
# which adds the other logic dies.
LOWER_BOUND_CONVENTIONS: dict[str, tuple[str, ...]] = {"die_area_mm2": ("processing_dies",)}


class FigureRange(Record):
    """A figure reported differently by different sources: the lowest and highest, each cited."""

    low: NonNegative
    high: NonNegative
    note: Text | None = None
    """Why the figure is a range (which sources, which variants)."""

    @model_validator(mode="after")
    def _ordered(self) -> FigureRange:
        if self.low > self.high:
            found = Problems("FigureRange")
            found.add(("low",), self.low,
                      f"low {self.low:g} is above high {self.high:g}: give the smaller value as "
                      "low", "range_order")
            found.raise_any()
        return self


ConventionName = Literal["bis_applicable", "processing_dies"]
"""Every convention name of :data:`CONVENTIONS` (which field takes which is checked there)."""


class ByConvention(Record):
    """One value per named way of counting, e.g. a die area with and without the I/O dies."""

    conventions: dict[ConventionName, Positive] = Field(min_length=1)
    note: Text | None = None


# Tags of the three forms: pydantic puts them in error locations, where the loader drops them
# (parentheses cannot start a field name).
NUMBER_FORM, RANGE_FORM, CONVENTIONS_FORM = "(number)", "(range)", "(conventions)"
FORMS = (NUMBER_FORM, RANGE_FORM, CONVENTIONS_FORM)


def _form(value: Any) -> str:
    # Which form a value is written in decides the one model that reads it, so a mistake gets
    # that form's message rather than one for every form.
    if isinstance(value, dict):
        return CONVENTIONS_FORM if "conventions" in value else RANGE_FORM
    if isinstance(value, FigureRange | ByConvention):
        return RANGE_FORM if isinstance(value, FigureRange) else CONVENTIONS_FORM
    return NUMBER_FORM


def uncertain_figure(positive: bool) -> Any:
    """The annotated type of a figure field: a number, a range or values by convention."""
    number = Positive if positive else NonNegative
    return Annotated[
        Annotated[number, Tag(NUMBER_FORM)]  # type: ignore[valid-type]
        | Annotated[FigureRange, Tag(RANGE_FORM)]
        | Annotated[ByConvention, Tag(CONVENTIONS_FORM)],
        Discriminator(_form),
    ]


def exact(value: Any) -> float | None:
    """The value of a figure known exactly, else ``None``."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def cited_paths(field: str, value: Any) -> list[str]:
    """The dotted paths a figure's citations must cover: each end of a range, each convention."""
    if isinstance(value, FigureRange):
        return [f"{field}.low", f"{field}.high"]
    if isinstance(value, ByConvention):
        return [f"{field}.conventions.{name}" for name in value.conventions]
    return [field]
