"""Rules: legal instruments, letters, decisions, allied and counter-measures, and controls."""

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from kb.models.common import Citation, CountryCode, Day, Record, ShortText, Slug, Text
from kb.models.criteria import Criterion
from kb.models.source import HttpsUrl

Instrument = Literal[
    "interim-final-rule",
    "final-rule",
    "correction",
    "rescission",
    "regulation",
    "law",
    "proclamation",
    "licence-letter",
    "licensing-decision",
    "announcement",
    "guidance",
    "administrative-action",
]

LicencePolicy = Literal[
    "presumption-of-denial",
    "case-by-case",
    "presumption-of-approval",
    "approval-with-conditions",
    "prohibited",
    "notification",
    "not-stated",
]


class RuleDates(Record):
    """The dates that matter for an instrument; publication and effect are different things."""

    announced: Day | None = None
    public_inspection: Day | None = None
    """Federal Register public-inspection day; a rule may take effect "on display", before
    publication."""
    published: Day | None = None
    effective: Day | None = None
    compliance: Day | None = None
    """Day from which compliance is required, where later than the effective date."""
    comment_deadline: Day | None = None
    end: Day | None = None
    """Last day in force (rescinded, replaced, expired)."""

    @model_validator(mode="after")
    def _order(self) -> "RuleDates":
        # Interim final rules often take effect on public display or announcement, days before
        # Federal Register publication; what can never be is effect before any public act.
        if self.published and self.effective:
            earliest = min(d for d in (self.published, self.public_inspection, self.announced) if d)
            if self.effective < earliest:
                raise ValueError(
                    "effective date is before publication; give public_inspection (or announced) "
                    "if the rule took effect on display"
                )
        if self.effective and self.end and self.end < self.effective:
            raise ValueError("end is before effective")
        if self.announced and self.published and self.published < self.announced:
            raise ValueError("published is before announced")
        return self


class Reach(Record):
    """Where a licence is needed: countries and groups, less exclusions."""

    worldwide: bool = False
    countries: list[CountryCode] = Field(default_factory=list)
    groups: list[Slug] = Field(default_factory=list)
    """Country-group ids; membership is read on the date asked about."""
    except_countries: list[CountryCode] = Field(default_factory=list)
    except_groups: list[Slug] = Field(default_factory=list)
    headquartered_in: list[CountryCode] = Field(default_factory=list)
    """Also to entities headquartered in these countries (or whose parent is), wherever they are."""
    headquartered_in_groups: list[Slug] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> "Reach":
        if not (self.worldwide or self.countries or self.groups):
            raise ValueError("give worldwide: true, countries or groups")
        return self


class LicenceException(Record):
    """A licence exception or exemption available under a control."""

    id: ShortText
    """The exception's name, e.g. NAC/ACA, LPP."""
    description: Text
    destinations: Reach | None = None
    """Destinations it is available for; empty means every destination the control reaches."""
    criterion: Criterion | None = None
    """Which chips may use it, where that is narrower than the control's criterion."""


class DestinationPolicy(Record):
    """A licence review policy that applies to some of a control's destinations."""

    countries: list[CountryCode] = Field(default_factory=list)
    groups: list[Slug] = Field(default_factory=list)
    policy: LicencePolicy
    note: Text | None = None


class ControlRef(Record):
    """A control of another rule, named by rule id and paragraph id."""

    rule: Slug
    control: ShortText


class Control(Record):
    """One paragraph of an instrument: what it catches, where a licence is needed, how reviewed."""

    id: ShortText
    """Paragraph id, e.g. ``3A090.a``; unique within the rule."""
    paragraph: ShortText | None = None
    """Where in the legal text, e.g. "15 CFR 774 Supp. 1, ECCN 3A090.a"."""
    description: Text
    criterion: Criterion | None = None
    """Which chips the paragraph catches; empty where it controls other items."""
    items: Text | None = None
    """What the control covers when it is not a chip criterion (equipment, materials)."""
    effective: Day | None = None
    end: Day | None = None
    """Last day in force; where a later control supersedes this one, its end is derived."""
    supersedes: list[ControlRef] = Field(default_factory=list)
    """Controls of earlier rules that this one replaces: they end the day before it starts."""
    destinations: Reach | None = None
    effect: Literal["licence-requirement", "review-policy"] = "licence-requirement"
    """licence-requirement: a licence is needed; review-policy: the control only changes how the
    licences required by the controls in ``policy_of`` are reviewed, for the chips it catches."""
    policy_of: list[ControlRef] = Field(default_factory=list)
    licence_policy: LicencePolicy | None = None
    """Review policy for every destination not matched in ``policy_by_destination``."""
    policy_by_destination: list[DestinationPolicy] = Field(default_factory=list)
    policy_note: Text | None = None
    exceptions: list[LicenceException] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Control":
        if self.criterion is None and self.items is None:
            raise ValueError("a control needs a criterion (chips) or items (what else it covers)")
        if self.effect == "review-policy" and not (self.policy_of and self.licence_policy):
            raise ValueError("a review-policy control needs policy_of and licence_policy")
        if self.effect == "licence-requirement" and self.policy_of:
            raise ValueError("policy_of is for controls with effect: review-policy")
        if self.effective and self.end and self.end < self.effective:
            raise ValueError("end is before effective")
        return self


class Rule(Record):
    """A legal instrument or official measure with its controls."""

    id: Slug
    title: Text
    short_title: ShortText
    jurisdiction: Literal["EU"] | CountryCode
    authority: Slug
    instrument: Instrument
    citation: ShortText | None = None
    """Official citation, e.g. ``88 FR 73458``."""
    document_number: ShortText | None = None
    url: HttpsUrl
    """The official text."""
    dates: RuleDates
    amends: list[Slug] = Field(default_factory=list)
    replaces: list[Slug] = Field(default_factory=list)
    ends: list[Slug] = Field(default_factory=list)
    summary: Text
    status_note: Text | None = None
    """Where the official status is unusual, said plainly."""
    controls: list[Control] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    last_reviewed: Day | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""

    @model_validator(mode="after")
    def _controls_unique(self) -> "Rule":
        seen: set[str] = set()
        for c in self.controls:
            if c.id in seen:
                raise ValueError(f"control id '{c.id}' appears twice")
            seen.add(c.id)
        return self

    @property
    def start(self) -> dt.date | None:
        """First day in force: effective, else published, else announced."""
        return self.dates.effective or self.dates.published or self.dates.announced

    def control_span(self, control: Control) -> tuple[dt.date | None, dt.date | None]:
        """First and last day a control is in force (its own dates, else the rule's)."""
        start = control.effective or self.start
        ends = [d for d in (control.end, self.dates.end) if d]
        return start, min(ends) if ends else None
