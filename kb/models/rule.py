"""Rules: legal instruments, letters, decisions, allied and counter-measures, and controls."""

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from kb.models.common import (
    Citation,
    CountryCode,
    Day,
    PastDay,
    Problems,
    Record,
    ShortText,
    Slug,
    StrictBool,
    Text,
)
from kb.models.criteria import Criterion
from kb.models.source import HttpsUrl
from kb.models.translations import RuleTranslations

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

    announced: PastDay | None = None
    public_inspection: PastDay | None = None
    """Federal Register public-inspection day; a rule may take effect "on display", before
    publication."""
    published: PastDay | None = None
    effective: Day | None = None
    compliance: Day | None = None
    """Day from which compliance is required, where later than the effective date."""
    comment_deadline: Day | None = None
    end: Day | None = None
    """Last day in force (rescinded, replaced, expired)."""

    def first_public(self) -> tuple[str, dt.date] | None:
        """The earliest public act (announcement, public display, publication): name and day."""
        acts = [(name, day) for name, day in (("announced", self.announced),
                                              ("public_inspection", self.public_inspection),
                                              ("published", self.published)) if day]
        return min(acts, key=lambda act: act[1]) if acts else None

    def first_day(self) -> tuple[str, dt.date] | None:
        """The first day in force as :attr:`Rule.start` reads it: name and day."""
        for name in ("effective", "published", "announced"):
            if getattr(self, name):
                return name, getattr(self, name)
        return None

    @model_validator(mode="after")
    def _order(self) -> "RuleDates":
        # Whether effect may precede every public act depends on the instrument (a licence
        # letter binds on notice): Rule checks that; here, the orders no instrument changes.
        found = Problems("RuleDates")
        if self.published:
            for name in ("announced", "public_inspection"):
                earlier = getattr(self, name)
                if earlier and self.published < earlier:
                    found.add(("published",), self.published.isoformat(),
                              f"published {self.published} is before {name} {earlier}",
                              "date_order")
                    break
        start = self.first_day()
        if self.compliance and start and self.compliance < start[1]:
            found.add(("compliance",), self.compliance.isoformat(),
                      f"compliance {self.compliance} is before {start[0]} {start[1]}: compliance "
                      "is required from the day the rule takes effect or later", "date_order")
        public = self.first_public()
        if self.comment_deadline and public and self.comment_deadline < public[1]:
            found.add(("comment_deadline",), self.comment_deadline.isoformat(),
                      f"comment_deadline {self.comment_deadline} is before {public[0]} "
                      f"{public[1]}: comments are invited once a rule is made public",
                      "date_order")
        if self.end and start and self.end < start[1]:
            found.add(("end",), self.end.isoformat(),
                      f"end {self.end} is before {start[0]} {start[1]}: the last day in force "
                      "comes after the first", "date_order")
        found.raise_any()
        return self


class Reach(Record):
    """Where a licence is needed: countries and groups, less exclusions."""

    worldwide: StrictBool = False
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

    @model_validator(mode="after")
    def _somewhere(self) -> "DestinationPolicy":
        if not (self.countries or self.groups):
            raise ValueError("give the countries or groups this policy applies to (the policy "
                             "for every other destination is the control's licence_policy)")
        return self


class ControlRef(Record):
    """A control of another rule, named by rule id and paragraph id."""

    rule: Slug
    control: ShortText


class EarlierFor(Record):
    """An earlier first day of a control for named chips or vendors: the government may tell a
    company that a rule binds its products at once, before the rule's own effective date."""

    effective: Day
    chips: list[Slug] = Field(default_factory=list)
    vendors: list[Slug] = Field(default_factory=list)
    """Organization ids: every chip of theirs the control's criterion catches."""
    source: Slug
    """The source that says so (a filing, a notice, a report of one)."""
    note: Text
    """What the government said, and to whom, in a sentence."""

    @model_validator(mode="after")
    def _names_something(self) -> "EarlierFor":
        if not (self.chips or self.vendors):
            raise ValueError("name the chips or vendors the earlier date applies to")
        return self

    def names(self, chip_id: str, vendor: str) -> bool:
        return chip_id in self.chips or vendor in self.vendors


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
    earlier_for: list[EarlierFor] = Field(default_factory=list)
    """Named chips or vendors for which the control took effect before its own first day."""
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
            found = Problems("Control")
            found.add(("end",), self.end.isoformat(),
                      f"end {self.end} is before effective {self.effective}: the last day in "
                      "force comes after the first", "date_order")
            found.raise_any()
        return self


# Instruments that bind their addressee on notice, which may come before any public act (the
# April 2025 H20 letter took effect on 2025-04-09 and was made public on 2025-04-15).
BINDS_ON_NOTICE = ("licence-letter",)


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
    last_reviewed: PastDay | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""
    translations: RuleTranslations | None = None
    """The rule's title, summary and status note in other languages (text only)."""

    @model_validator(mode="after")
    def _controls_unique(self) -> "Rule":
        seen: set[str] = set()
        for c in self.controls:
            if c.id in seen:
                raise ValueError(f"control id '{c.id}' appears twice")
            seen.add(c.id)
        return self

    @model_validator(mode="after")
    def _dates_against_instrument_and_controls(self) -> "Rule":
        found = Problems("Rule")
        public = self.dates.first_public()
        on_notice = self.instrument in BINDS_ON_NOTICE
        why = ("a rule takes effect on or after its first public act; give public_inspection or "
               "announced if it took effect on display (only a licence letter binds its "
               "addressee before any public act)")
        effective = self.dates.effective
        if public and effective and effective < public[1] and not on_notice:
            found.add(("dates", "effective"), effective.isoformat(),
                      f"effective {effective} is before {public[0]} {public[1]}: {why}",
                      "date_order")
        if public and self.last_reviewed and self.last_reviewed < public[1]:
            found.add(("last_reviewed",), self.last_reviewed.isoformat(),
                      f"last_reviewed {self.last_reviewed} is before {public[0]} {public[1]}: "
                      "a rule can only be checked once it is public", "date_order")
        end = self.dates.end
        for i, control in enumerate(self.controls):
            if control.effective and public and control.effective < public[1] and not on_notice:
                found.add(("controls", i, "effective"), control.effective.isoformat(),
                          f"effective {control.effective} is before the rule's {public[0]} "
                          f"{public[1]}: {why}", "date_order")
            if control.effective and end and control.effective > end:
                found.add(("controls", i, "effective"), control.effective.isoformat(),
                          f"effective {control.effective} is after the rule's end {end}: a "
                          "control is in force only while its rule is", "date_order")
            start = self.start
            first = control.effective or start
            for j, early in enumerate(control.earlier_for):
                if first and early.effective >= first:
                    found.add(("controls", i, "earlier_for", j, "effective"),
                              early.effective.isoformat(),
                              f"effective {early.effective} is not before the control's first "
                              f"day {first}: an earlier date for named items comes before it",
                              "date_order")
            if control.end and control.effective is None and start and control.end < start:
                found.add(("controls", i, "end"), control.end.isoformat(),
                          f"end {control.end} is before the rule starts ({start}): the last "
                          "day in force comes after the first", "date_order")
            if control.end and end and control.end > end:
                found.add(("controls", i, "end"), control.end.isoformat(),
                          f"end {control.end} is after the rule's end {end}: a control is in "
                          "force only while its rule is; drop the control's end or the rule's",
                          "date_order")
        found.raise_any()
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
