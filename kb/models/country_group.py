"""Country groups with dated membership (EAR Supplement No. 1 to Part 740, diffusion tiers)."""

import datetime as dt
import itertools
from functools import cached_property

from pydantic import Field, field_validator, model_validator

from kb.models.common import (
    Citation,
    CountryCode,
    Day,
    PastDay,
    Problems,
    Record,
    ShortText,
    Slug,
    Text,
)


class Membership(Record):
    """A country's membership of a group over a period; open ends mean "not known to end"."""

    country: CountryCode
    from_: Day | None = Field(default=None, alias="from")
    """First day of membership; empty means since before the records' period."""
    to: Day | None = None
    """Last day of membership; empty means still a member."""
    source: Slug | None = None
    """The instrument or document that made the change, when it differs from the group's."""

    @model_validator(mode="after")
    def _order(self) -> "Membership":
        if self.from_ and self.to and self.to < self.from_:
            found = Problems("Membership")
            found.add(("to",), self.to.isoformat(),
                      f"membership ends ({self.to.isoformat()}) before it starts (from "
                      f"{self.from_.isoformat()})", "date_order")
            found.raise_any()
        return self

    def holds_on(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (self.to is None or day <= self.to)


class CountryGroup(Record):
    """A named set of destinations whose membership changes over time."""

    id: Slug
    name: ShortText
    code: ShortText | None = None
    """The code the authority uses, e.g. D:5."""
    authority: Slug
    description: Text | None = None
    members: list[Membership] = Field(min_length=1)
    citations: list[Citation] = Field(default_factory=list)
    last_reviewed: PastDay | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""

    @field_validator("members")
    @classmethod
    def _no_overlap(cls, members: list[Membership]) -> list[Membership]:
        spans: dict[str, list[Membership]] = {}
        for m in members:
            spans.setdefault(m.country, []).append(m)
        for country, items in spans.items():
            items.sort(key=lambda m: m.from_ or dt.date.min)
            for a, b in itertools.pairwise(items):
                if a.to is None or (b.from_ or dt.date.min) <= a.to:
                    raise ValueError(f"{country} has overlapping memberships; end the first "
                                     "with 'to' before the next begins")
        return members

    def members_on(self, day: dt.date) -> tuple[str, ...]:
        """Sorted member codes on a day."""
        return tuple(sorted({m.country for m in self.members if m.holds_on(day)}))

    @cached_property
    def _by_country(self) -> dict[str, list[Membership]]:
        # Asked for every country and day ("Can I ship it?" tables): a look-up, not a scan.
        out: dict[str, list[Membership]] = {}
        for m in self.members:
            out.setdefault(m.country, []).append(m)
        return out

    def has(self, country: str, day: dt.date) -> bool:
        return any(m.holds_on(day) for m in self._by_country.get(country, ()))
