"""`kb watch`: Federal Register documents of BIS touching the chip-control parts of the EAR that
the records do not cite yet.

The fetch (:func:`fetch`, the only code that touches the network) is apart from the comparison
(:func:`missing`) and the rendering (:func:`markdown`, :func:`as_json`), which are pure and
tested on response-shaped data. Everything the API returns is untrusted text: titles are escaped
for Markdown and the terminal, and only federalregister.gov links are followed or printed.

Query parameters are the API's documented ones (https://www.federalregister.gov/developers/
documentation/api/v1): ``conditions[agencies][]``, ``conditions[cfr][title]``,
``conditions[cfr][part]`` (one part per request: a list is refused), ``conditions[publication_date]
[gte]``, ``fields[]``, ``per_page``, ``order``; further pages through ``next_page_url``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.errors import KBError
from kb.terminal import clean

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

API = "https://www.federalregister.gov/api/v1/documents.json"
AGENCY = "industry-and-security-bureau"
CFR_TITLE = 15
# 734 scope, 740 licence exceptions, 742 control policy, 744 end-user controls (Entity List),
# 772 definitions, 774 the Commerce Control List (3A090, 4A090 ...).
PARTS = (734, 740, 742, 744, 772, 774)
FIELDS = ("document_number", "title", "publication_date", "html_url", "type", "cfr_references")
PER_PAGE = 100
TIMEOUT_S = 30
MAX_PAGES = 50  # per part: a next_page_url loop cannot run forever

_SAFE_URL = re.compile(r"https://www\.federalregister\.gov/[A-Za-z0-9/._~%-]*")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A document number in a federalregister.gov URL: /documents/YYYY/MM/DD/NUMBER/slug, /d/NUMBER.
_URL_NUMBER = re.compile(r"federalregister\.gov/(?:documents/\d{4}/\d{2}/\d{2}|d)/([A-Za-z0-9-]+)")


class WatchError(KBError):
    """The Federal Register API could not be read (offline, HTTP error, not JSON)."""


@dataclass(frozen=True)
class Document:
    number: str
    title: str
    date: str
    url: str
    parts: tuple[int, ...] = field(default=())
    type: str = ""


def request_url(part: int, since: dt.date) -> str:
    """The first page's URL for BIS documents touching 15 CFR ``part`` published on or after
    ``since``."""
    params: list[tuple[str, str]] = [
        ("conditions[agencies][]", AGENCY),
        ("conditions[cfr][title]", str(CFR_TITLE)),
        ("conditions[cfr][part]", str(part)),
        ("conditions[publication_date][gte]", since.isoformat()),
        ("order", "newest"),
        ("per_page", str(PER_PAGE)),
    ] + [("fields[]", f) for f in FIELDS]
    return f"{API}?{urllib.parse.urlencode(params)}"


Opener = Callable[..., Any]


def _get(url: str, opener: Opener, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={
        "Accept": "application/json",
        "User-Agent": "kb-watch (AI chip export-controls knowledge base)"})
    try:
        with opener(request, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise WatchError(_unreachable(url, f"HTTP {exc.code} {exc.reason}")) from None
    except urllib.error.URLError as exc:
        raise WatchError(_unreachable(url, str(exc.reason))) from None
    except (TimeoutError, OSError) as exc:
        raise WatchError(_unreachable(url, str(exc) or type(exc).__name__)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WatchError(f"the Federal Register API ({url}) did not answer with JSON: "
                         f"{exc}") from None
    if not isinstance(data, dict):
        raise WatchError(f"the Federal Register API ({url}) answered with unexpected JSON")
    return data


def _unreachable(url: str, reason: str) -> str:
    return f"cannot reach the Federal Register API ({API}): {reason}; it needs the network"


def fetch(since: dt.date, opener: Opener | None = None,
          timeout: float = TIMEOUT_S) -> dict[int, list[dict[str, Any]]]:
    """Every result the API gives for each part, following ``next_page_url``: {part: results}.
    ``opener`` defaults to :func:`urllib.request.urlopen`, looked up at each call."""
    opener = opener or urllib.request.urlopen
    found: dict[int, list[dict[str, Any]]] = {}
    for part in PARTS:
        url: str | None = request_url(part, since)
        results: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            page = _get(url, opener, timeout)
            results += [r for r in page.get("results") or [] if isinstance(r, dict)]
            nxt = page.get("next_page_url")
            # Only the API's own pages are followed: the answer is untrusted.
            url = nxt if isinstance(nxt, str) and nxt.startswith(API + "?") else None
        found[part] = results
    return found


def documents(pages: dict[int, list[dict[str, Any]]]) -> list[Document]:
    """The results of :func:`fetch` as documents, one per document number, with the parts each
    touches (the queried parts that returned it, and its title-15 CFR references)."""
    by_number: dict[str, dict[str, Any]] = {}
    parts: dict[str, set[int]] = {}
    for part, results in pages.items():
        for r in results:
            number = r.get("document_number")
            if not isinstance(number, str) or not number:
                continue
            by_number.setdefault(number, r)
            parts.setdefault(number, set()).add(part)
            for ref in r.get("cfr_references") or []:
                if isinstance(ref, dict) and str(ref.get("title")) == str(CFR_TITLE):
                    try:
                        parts[number].add(int(ref.get("part")))
                    except (TypeError, ValueError):
                        continue
    out = []
    for number, r in by_number.items():
        out.append(Document(number=number, title=_text(r.get("title")),
                            date=_text(r.get("publication_date")),
                            url=_text(r.get("html_url")), parts=tuple(sorted(parts[number])),
                            type=_text(r.get("type"))))
    return sorted(out, key=lambda d: (d.date, d.number))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def newest_published(base: KnowledgeBase) -> dt.date | None:
    """The latest publication date of any recorded instrument."""
    days = [r.dates.published for r in base.rules.values() if r.dates.published]
    return max(days) if days else None


def _norm_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class Recorded:
    numbers: frozenset[str]
    urls: frozenset[str]


def recorded(base: KnowledgeBase) -> Recorded:
    """Document numbers and federalregister.gov URLs the rule and source records cite."""
    numbers: set[str] = set()
    urls: set[str] = set()
    for rule in base.rules.values():
        if rule.document_number:
            numbers.add(rule.document_number.strip())
    for record in [*base.rules.values(), *base.sources.values()]:
        urls.add(_norm_url(record.url))
        m = _URL_NUMBER.search(record.url)
        if m:
            numbers.add(m.group(1))
    return Recorded(frozenset(numbers), frozenset(urls))


def missing(docs: Iterable[Document], known: Recorded) -> list[Document]:
    """The documents whose number and URL no record cites."""
    return [d for d in docs if d.number not in known.numbers
            and not (d.url and _norm_url(d.url) in known.urls)]


def _link(d: Document) -> str | None:
    """The document's federalregister.gov page as the API gave it; anything else (another
    site, a ``javascript:`` URL, characters that would end a Markdown link) is not linked."""
    return d.url if _SAFE_URL.fullmatch(d.url) else None


def markdown(docs: list[Document], since: dt.date) -> str:
    """The list as Markdown, for a terminal or a GitHub issue; API text is escaped."""
    from kb.site.markup import md_escape

    lines = [f"## Federal Register documents not yet in the records (since {since.isoformat()})",
             "",
             f"BIS documents touching 15 CFR parts {', '.join(map(str, PARTS))}, published on "
             f"or after {since.isoformat()}, whose document number and URL no rule or source "
             "record cites.", ""]
    if not docs:
        lines += ["None: the records cite every such document.", ""]
    for d in docs:
        number = md_escape(d.number)
        link = _link(d)
        shown = f"[{number}]({link})" if link else str(number)
        day = d.date if _DAY.fullmatch(d.date) else md_escape(d.date or "date unknown")
        parts = ", ".join(str(p) for p in d.parts) or "-"
        lines.append(f"- **{md_escape(d.title or '(no title)')}** ({day}), FR Doc. {shown}, "
                     f"15 CFR parts {parts}")
    if docs:
        lines.append("")
    return clean("\n".join(lines))


def as_json(docs: list[Document], since: dt.date) -> str:
    out = {"since": since.isoformat(), "parts": list(PARTS),
           "missing": [{"document_number": d.number, "title": d.title,
                        "publication_date": d.date, "url": _link(d), "cfr_parts": list(d.parts),
                        "type": d.type} for d in docs]}
    # ensure_ascii: every control or bidi character in API text stays a visible escape.
    return json.dumps(out, indent=2, ensure_ascii=True)


def run(base: KnowledgeBase, since: dt.date | None, opener: Opener | None = None,
        timeout: float = TIMEOUT_S) -> tuple[dt.date, list[Document]]:
    start = since or newest_published(base)
    if start is None:
        raise WatchError("no recorded instrument has a publication date; give --since DATE")
    return start, missing(documents(fetch(start, opener, timeout)), recorded(base))


__all__ = ["API", "PARTS", "Document", "Recorded", "WatchError", "as_json", "documents",
           "fetch", "markdown", "missing", "newest_published", "recorded", "request_url", "run"]
