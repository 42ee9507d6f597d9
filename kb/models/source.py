"""Sources: the documents every figure in the records can be traced to."""

import re
import unicodedata
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, model_validator

from kb.models.common import (
    PastDay,
    PastPartialDate,
    Problems,
    Record,
    ShortText,
    Slug,
    Text,
    partial_start,
)

MAX_URL = 2000
# What an address cannot hold raw (RFC 3986: white space, controls, "<>\^`{|}), and the
# apostrophe too: a quote of either kind would end the attribute or link it is written into.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\"'<>\\^`{|}]")
_NAMED = {" ": "a space", "\n": "a line break", "\r": "a carriage return", "\t": "a tab"}


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad_character(value: str) -> str | None:
    found = _UNSAFE.search(value)
    if found:
        return found.group()
    if not value.isascii():
        # Letters of any script are fine in an address (browsers encode them); invisible and
        # white-space characters are not.
        for ch in value:
            if ord(ch) > 127 and (ch.isspace()
                                  or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")):
                return ch
    return None


def _check_url(value: str) -> str:
    if len(value) > MAX_URL:
        raise ValueError(f"not a URL: {len(value):,} characters; an address is at most "
                         f"{MAX_URL:,}")
    ch = _bad_character(value)
    if ch is not None:
        what = _NAMED.get(ch) or (f"the character {ch!r}" if ord(ch) > 32 and ord(ch) < 127
                                  else f"the character U+{ord(ch):04X}")
        fix = f"percent-encode it as %{ord(ch):02X}" if ord(ch) < 128 else "remove it"
        raise ValueError(f"not a URL: {_shown(value)} holds {what}; {fix}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"not a URL: {_shown(value)}; its host or port cannot be read (a port is "
                         "a number, an IPv6 host is written in [brackets])") from None
    if parts.scheme not in ("http", "https") or not value.lower().startswith(parts.scheme + "://"):
        raise ValueError(f"not a URL: {_shown(value)}; expected an http(s) address such as "
                         "https://example.org/page")
    if not parts.hostname:
        raise ValueError(f"not a URL: {_shown(value)} names no host; expected an address such "
                         "as https://example.org/page")
    return value


Reliability = Literal["official", "reputable", "weak"]
"""How far a source can be trusted on its own: ``official`` (regulators, filings, vendor
datasheets and pages), ``reputable`` (established press and named analysts) or ``weak`` (content
farms, SEO relays, AI-generated wikis, personal blogs copying datasheets, spec databases)."""

DEFAULT_RELIABILITY: dict[str, Reliability] = {
    "regulation": "official", "filing": "official", "datasheet": "official",
    "official-statement": "official", "analysis": "reputable", "news": "reputable",
    "reference": "reputable",
}
"""The mark a source gets from its ``kind`` when its record sets no ``reliability``: the kinds
that are the issuer's own document are official; press, analysis and reference works are taken
as reputable until a contributor marks one weak."""

RELIABILITY_LABELS: dict[Reliability, str] = {
    "official": "official", "reputable": "reputable press or analyst", "weak": "weak source",
}
"""The mark in words, as pages show it beside a citation (never colour alone)."""


HttpsUrl = Annotated[str, AfterValidator(_check_url)]
"""An http or https address with a host; other schemes (javascript:, file:), spaces, line
breaks, quotes and control characters are refused."""


class Source(Record):
    """A document a reader can open: regulation, datasheet, filing, analysis or news."""

    id: Slug
    title: ShortText
    publisher: ShortText
    published: PastPartialDate | None = None
    url: HttpsUrl
    kind: Literal["regulation", "datasheet", "filing", "analysis", "news", "official-statement",
                  "reference"]
    notes: Text | None = None
    last_reviewed: PastDay | None = None
    """When the record was last checked against its sources (YYYY-MM-DD)."""
    reliability: Reliability | None = None
    """official, reputable or weak; unset, it follows ``kind`` (:data:`DEFAULT_RELIABILITY`)."""

    @property
    def reliability_mark(self) -> Reliability:
        """The source's reliability: as recorded, else the default for its kind."""
        return self.reliability or DEFAULT_RELIABILITY[self.kind]

    @property
    def reliability_label(self) -> str:
        """The reliability in words, for pages."""
        return RELIABILITY_LABELS[self.reliability_mark]

    @model_validator(mode="after")
    def _reviewed_after_published(self) -> "Source":
        published = partial_start(self.published)
        if self.last_reviewed and published and self.last_reviewed < published:
            found = Problems("Source")
            found.add(("last_reviewed",), self.last_reviewed.isoformat(),
                      f"last_reviewed {self.last_reviewed.isoformat()} is before the source was "
                      f"published ({self.published})", "date_order")
            found.raise_any()
        return self
