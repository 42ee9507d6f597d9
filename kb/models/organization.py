"""Organizations: chip designers, foundries, governments, analysts."""

from typing import Literal

from pydantic import Field

from kb.models.common import Citation, CountryCode, PastDay, Record, ShortText, Slug, Text
from kb.models.source import HttpsUrl


class Organization(Record):
    """A company, agency or analyst that records refer to."""

    id: Slug
    name: ShortText
    kind: Literal["chip-designer", "foundry", "government", "analyst", "company", "other"]
    country: CountryCode | None = None
    """Where it is headquartered (ISO 3166-1 alpha-2)."""
    url: HttpsUrl | None = None
    aliases: list[ShortText] = Field(default_factory=list)
    notes: Text | None = None
    citations: list[Citation] = Field(default_factory=list)
    last_reviewed: PastDay | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""
