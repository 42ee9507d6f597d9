"""Trust and reuse: where the site lives, how to cite a record, and what a page says about itself.

The site's address is ``KB_SITE_URL`` (default :data:`DEFAULT_SITE_URL`); mkdocs.yml reads the same
variable with the same default (``!ENV``), so permanent links in the pages, the canonical links,
the sitemap and the feeds name one address. The project names no published address of its own:
the default is where ``kb serve`` serves the site, so every link works on the machine serving it;
set ``KB_SITE_URL`` to the published address when publishing.

Everything here is a pure function of a record and the address: no clock is read (a citation's
date is the record's ``last_reviewed``).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nh3

from kb import outputs
from kb.errors import KBError

DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
SITE_URL_VARIABLE = "KB_SITE_URL"
SITE_NAME = outputs.METADATA_TITLE

# Page folder -> (what a reader calls the record, the folder of its JSON under downloads/api/).
RECORD_FOLDERS: dict[str, tuple[str, str]] = {
    "chips": ("chip", "chips"),
    "rules": ("rule", "rules"),
    "vendors": ("organization", "organizations"),
    "claims": ("claim", "claims"),
}

# Long enough to say what a page is, short enough that search results show it whole.
DESCRIPTION_LIMIT = 220


class SiteUrlError(KBError):
    """KB_SITE_URL is not an http(s) address."""


def site_url(environ: dict[str, str] | None = None) -> str:
    """The site's published address, ending in "/" (as mkdocs normalises its ``site_url``)."""
    env = os.environ if environ is None else environ
    # Set but empty would leave mkdocs without an address (no sitemap, no canonical links)
    # while the pages named the default: refused like any other bad address.
    url = env.get(SITE_URL_VARIABLE, DEFAULT_SITE_URL)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SiteUrlError(f"{SITE_URL_VARIABLE}={url!r} is not an http(s) address of the site "
                           "(like https://example.org/kb/)")
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class Citation:
    """How to cite one record page, and where its machine-readable forms are."""

    kind: str
    id: str
    title: str
    last_reviewed: dt.date | None
    url: str
    """The page's permanent address."""
    json_url: str
    json_href: str
    """The record's JSON, relative to the page."""
    feed_href: str | None
    """The record's own Atom feed, relative to the page (chips only)."""

    @property
    def reviewed(self) -> str:
        return self.last_reviewed.isoformat() if self.last_reviewed else "date not recorded"

    @property
    def text(self) -> str:
        return (f"{SITE_NAME}. \u201c{self.title}\u201d ({self.kind} record {self.id}), "
                f"last reviewed {self.reviewed}. {self.url}")

    @property
    def bibtex(self) -> str:
        fields = [("title", "{" + bibtex_escape(self.title) + "}"),
                  ("howpublished", bibtex_escape(SITE_NAME)),
                  ("note", bibtex_escape(f"{self.kind.capitalize()} record {self.id}, "
                                         f"last reviewed {self.reviewed}"))]
        if self.last_reviewed:
            fields += [("year", str(self.last_reviewed.year)),
                       ("month", str(self.last_reviewed.month))]
        # \url{} takes the address verbatim (only %, # and \ would need care, and the address
        # is the site's own plus a slug).
        fields.append(("url", self.url))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@misc{{{bibtex_key(self.kind, self.id)},\n{body}\n}}"


def citation(page: str, record: Any, title: str, base_url: str) -> Citation | None:
    """The citation of a record page (``chips/<id>.md`` and the like); None for other pages."""
    folder, _, name = page.partition("/")
    if folder not in RECORD_FOLDERS or "/" in name or name == "index.md" or record is None:
        return None
    kind, api = RECORD_FOLDERS[folder]
    rid = name.removesuffix(".md")
    json_path = f"downloads/api/{api}/{rid}.json"
    return Citation(
        kind=kind, id=rid, title=" ".join(str(title).split()),
        last_reviewed=getattr(record, "last_reviewed", None),
        url=base_url + page_url(page), json_url=base_url + json_path,
        json_href="../" + json_path,
        feed_href=f"../feeds/chips/{rid}.xml" if folder == "chips" else None)


def page_url(page: str) -> str:
    """A docs-relative .md path as the site's URL path (use_directory_urls is off)."""
    return page.removesuffix(".md") + ".html"


def bibtex_key(kind: str, rid: str) -> str:
    # Record ids are lowercase slugs (letters, digits, hyphens): valid in a BibTeX key as they are.
    return f"kb:{kind}:{rid}"


# LaTeX's special characters in running text, as BibTeX passes them on to LaTeX.
_BIBTEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&",
           "#": r"\#", "$": r"\$", "_": r"\_", "~": r"\textasciitilde{}",
           "^": r"\textasciicircum{}"}


def bibtex_escape(text: str) -> str:
    """Record text as a BibTeX field value: LaTeX specials escaped, braces balanced."""
    return "".join(_BIBTEX.get(ch, ch) for ch in text)


# ---------------------------------------------------------------------------------------------
# Page descriptions (the meta description and og:description)


def plain(markdown_text: str | None) -> str:
    """A Markdown field as one line of plain text (tags dropped, entities read)."""
    if not markdown_text:
        return ""
    from kb.site.markup import _markdown

    rendered = _markdown().reset().convert(markdown_text)
    return " ".join(html.unescape(nh3.clean(rendered, tags=set())).split())


# A full stop ends a sentence unless it ends an abbreviation ("U.S.", "e.g.", "No. 5").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"\u201c(])")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:(?:[A-Za-z]\.)+|No\.|Nos\.|Art\.|Inc\.|Ltd\.|Co\.|"
                           r"Corp\.|approx\.|vs\.|Mr\.|Ms\.|Dr\.|St\.)$")


def first_sentence(text: str) -> str:
    for match in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text[:match.start()]):
            return text[:match.start()]
    return text


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """At most ``limit`` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def chip_description(name: str, vendor: str, china: str, tpp: str, day: dt.date) -> str:
    return shorten(f"{name} ({vendor}): {china} for exports to China as of {day.isoformat()}; "
                   f"TPP {tpp}. Figures, sources and status over time.")


def rule_description(short_title: str, dates: Any, summary: str) -> str:
    first = dates.first_public() or dates.first_day()
    when = f", {first[0].replace('_', ' ')} {first[1].isoformat()}" if first else ""
    return shorten(f"{short_title}{when}: {first_sentence(plain(summary))}")


def vendor_description(name: str, kind: str, chips: int, shares: int) -> str:
    return shorten(f"{name} ({kind.replace('-', ' ')}): {chips} chip(s) and {shares} "
                   "market-share estimate(s) in the records, with whether each chip needs a "
                   "licence for China today.")


def claim_description(statement: str, claimant: str, made: Any, verdict: str) -> str:
    return shorten(f"Claim by {claimant} ({made}), verdict {verdict}: {statement}")
