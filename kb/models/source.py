"""Sources: the documents every figure in the records can be traced to."""

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator

from kb.models.common import Day, PartialDate, Record, ShortText, Slug, Text


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(
            f"expected an http(s) address such as https://example.org/page; found {value!r}"
        )
    return value


HttpsUrl = Annotated[str, AfterValidator(_check_url)]
"""An http or https URL (other schemes, such as javascript:, are refused)."""


class Source(Record):
    """A document a reader can open: regulation, datasheet, filing, analysis or news."""

    id: Slug
    title: ShortText
    publisher: ShortText
    published: PartialDate | None = None
    url: HttpsUrl
    kind: Literal["regulation", "datasheet", "filing", "analysis", "news", "official-statement",
                  "reference"]
    notes: Text | None = None
    last_reviewed: Day | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""
