"""Claims: public statements about chips, controls and markets, checked against evidence."""

from typing import Literal

from pydantic import Field, model_validator

from kb.models.common import (
    Number,
    PastDay,
    PastPartialDate,
    Problems,
    Record,
    ShortText,
    Slug,
    Text,
    Tier,
    partial_start,
)
from kb.models.translations import ClaimTranslations


class ClaimedFigure(Record):
    """One figure a claim states, exactly as stated."""

    value: Number
    """The number as stated; a range or a word such as "most" goes in ``what``."""
    unit: ShortText
    """What the number counts, e.g. "million USD", "percent", "times per year"."""
    what: Text
    """What the figure is said to measure, in the claimant's terms."""


class Evidence(Record):
    """A source that bears on a claim, and how."""

    source: Slug
    stance: Literal["supports", "contradicts", "qualifies"]
    """supports or contradicts the claim, or qualifies it (adds what it leaves out)."""
    tier: Tier
    note: Text
    """What the source says that bears on the claim."""


class Related(Record):
    """Records a claim touches, so pages and queries can link them."""

    chips: list[Slug] = Field(default_factory=list)
    rules: list[Slug] = Field(default_factory=list)
    market_shares: list[Slug] = Field(default_factory=list)
    organizations: list[Slug] = Field(default_factory=list)


class Claim(Record):
    """A public statement (who, when, where, the figure), the evidence, and a verdict."""

    id: Slug
    statement: Text
    """The claim, quoted or closely paraphrased."""
    claimant: ShortText
    """Who made it (a person, with their role, or an organization)."""
    organization: Slug | None = None
    """The claimant's organization, when it is in records/organizations/."""
    made: PastPartialDate | None = None
    """When the claim was made; absent only where the date the claim was made could not be found,
    which ``where`` then says."""
    where: ShortText
    """Where it was made: the report, interview, filing or post."""
    source: Slug | None = None
    """A source record where a reader can find the claim itself; none only where no public copy
    of it could be found, which ``where`` then says."""
    figures: list[ClaimedFigure] = Field(default_factory=list)
    verdict: Literal["supported", "disputed", "misleading", "unverified"]
    reasoning: Text
    """Why the verdict, from the evidence."""
    evidence: list[Evidence] = Field(min_length=1)
    related: Related = Field(default_factory=Related)
    last_reviewed: PastDay
    """When the claim and its evidence were last checked."""
    translations: ClaimTranslations | None = None
    """The statement, where and reasoning in other languages (text only)."""

    @model_validator(mode="after")
    def _reviewed_after_made(self) -> "Claim":
        made = partial_start(self.made)
        if made is not None and self.last_reviewed < made:
            found = Problems("Claim")
            found.add(("last_reviewed",), self.last_reviewed.isoformat(),
                      f"last_reviewed {self.last_reviewed.isoformat()} is before the claim was "
                      f"made ({self.made}): a claim can only be checked once it is made",
                      "date_order")
            found.raise_any()
        return self
