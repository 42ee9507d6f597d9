"""Market-share estimates: who measured whose share of which market, and how."""

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from kb.models.common import (
    Citation,
    CountryCode,
    Number,
    PartialDate,
    PastDay,
    PastPartialDate,
    Problems,
    Record,
    ShortText,
    Slug,
    Text,
    partial_start,
)

Percent = Annotated[Number, Field(ge=0, le=100)]


class MarketShare(Record):
    """One estimate of one organization's share of one market in one period."""

    id: Slug
    subject: Slug
    """Organization whose share is estimated."""
    estimator: Slug
    """Organization that made the estimate."""
    market: ShortText
    """The market as the estimator defines it."""
    scope: Literal["gpu", "ai-accelerator", "ai-chip", "other"]
    region: Literal["global"] | CountryCode
    period_start: PartialDate
    period_end: PartialDate
    metric: Literal["revenue", "units", "shipments", "unstated"]
    """What is counted; "unstated" where the estimator did not say."""
    value_pct: Percent | None = None
    """The share in percent (0-100), not a fraction."""
    value_pct_low: Percent | None = None
    value_pct_high: Percent | None = None
    qualifier: Literal["about", "at-least", "at-most", "exact"] = "about"
    quote: Text | None = None
    published: PastPartialDate | None = None
    notes: Text | None = None
    citations: list[Citation] = Field(default_factory=list)
    last_reviewed: PastDay | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""

    @field_validator("value_pct", "value_pct_low", "value_pct_high")
    @classmethod
    def _percent_not_fraction(cls, value: float | None) -> float | None:
        # A share between 0 and 1 % is almost always a fraction typed for a percentage.
        if value is not None and 0 < value < 1:
            raise ValueError(f"{value} looks like a fraction; shares are percentages from 0 to "
                             f"100: write {value * 100:g}")
        return value

    @model_validator(mode="after")
    def _value_shape(self) -> "MarketShare":
        has_range = self.value_pct_low is not None or self.value_pct_high is not None
        if self.value_pct is None and not has_range:
            raise ValueError("give value_pct, or value_pct_low and value_pct_high for a range")
        if has_range and (self.value_pct_low is None or self.value_pct_high is None):
            raise ValueError("a range needs both value_pct_low and value_pct_high")
        if has_range and self.value_pct_low > self.value_pct_high:  # type: ignore[operator]
            raise ValueError("value_pct_low is above value_pct_high")
        published = partial_start(self.published)
        if self.last_reviewed and published and self.last_reviewed < published:
            found = Problems("MarketShare")
            found.add(("last_reviewed",), self.last_reviewed.isoformat(),
                      f"last_reviewed {self.last_reviewed.isoformat()} is before the estimate was "
                      f"published ({self.published})", "date_order")
            found.raise_any()
        return self

    @field_validator("period_end")
    @classmethod
    def _period_order(cls, value: str, info: ValidationInfo) -> str:
        start = info.data.get("period_start")
        if start is not None and partial_start(start) > partial_start(value):  # type: ignore[operator]
            raise ValueError(f"period_end {value} is before period_start {start}")
        return value
