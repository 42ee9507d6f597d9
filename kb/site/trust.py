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

from kb import i18n, outputs
from kb.errors import KBError
from kb.i18n import N_, _
from kb.site.editions import edition_of

DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
SITE_URL_VARIABLE = "KB_SITE_URL"
SITE_NAME = outputs.METADATA_TITLE

# Page folder -> (what a reader calls the record, the folder of its JSON under downloads/api/).
# The kind is also the BibTeX key's; a reader is shown RECORD_KINDS[kind] said with _().
RECORD_FOLDERS: dict[str, tuple[str, str]] = {
    "chips": ("chip", "chips"),
    "rules": ("rule", "rules"),
    "vendors": ("organization", "organizations"),
    "claims": ("claim", "claims"),
}
RECORD_KINDS = {"chip": N_("chip"), "rule": N_("rule"), "organization": N_("organization"),
                "claim": N_("claim")}

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
        return i18n.day(self.last_reviewed) if self.last_reviewed else _("date not recorded")

    @property
    def kind_label(self) -> str:
        """What a reader calls the record ("chip"), in the language in force."""
        return _(RECORD_KINDS[self.kind]) if self.kind in RECORD_KINDS else self.kind

    @property
    def text(self) -> str:
        return _("{site}. \u201c{title}\u201d ({kind} record {id}), last reviewed {reviewed}. "
                 "{url}").format(site=SITE_NAME, title=self.title, kind=self.kind_label,
                                 id=self.id, reviewed=self.reviewed, url=self.url)

    @property
    def bibtex(self) -> str:
        fields = [("title", "{" + bibtex_escape(self.title) + "}"),
                  ("howpublished", bibtex_escape(SITE_NAME)),
                  ("note", bibtex_escape(_("{Kind} record {id}, last reviewed {reviewed}").format(
                      Kind=self.kind_label.capitalize(), id=self.id, reviewed=self.reviewed)))]
        if self.last_reviewed:
            fields += [("year", str(self.last_reviewed.year)),
                       ("month", str(self.last_reviewed.month))]
        # \url{} takes the address verbatim (only %, # and \ would need care, and the address
        # is the site's own plus a slug).
        fields.append(("url", self.url))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@misc{{{bibtex_key(self.kind, self.id)},\n{body}\n}}"


def edition_url(environ: dict[str, str] | None = None) -> str:
    """The published address of the edition in the language in force."""
    return site_url(environ) + edition_of().prefix


def downloads_path(rel: str) -> str:
    """A download's path from the root of the edition in force: the downloads are made once,
    at the site's root (the English edition's); another edition sits one folder down."""
    return ("../" if edition_of().prefix else "") + "downloads/" + rel


def citation(page: str, record: Any, title: str, base_url: str) -> Citation | None:
    """The citation of a record page (``chips/<id>.md`` and the like); None for other pages."""
    folder, _, name = page.partition("/")
    if folder not in RECORD_FOLDERS or "/" in name or name == "index.md" or record is None:
        return None
    kind, api = RECORD_FOLDERS[folder]
    rid = name.removesuffix(".md")
    json_path = f"api/{api}/{rid}.json"
    # ``base_url`` is the edition's address; the downloads are at the site's.
    folder_url = edition_of().prefix
    root_url = base_url.removesuffix(folder_url) if folder_url else base_url
    return Citation(
        kind=kind, id=rid, title=" ".join(str(title).split()),
        last_reviewed=getattr(record, "last_reviewed", None),
        url=base_url + page_url(page), json_url=root_url + "downloads/" + json_path,
        json_href="../" + downloads_path(json_path),
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


# A full stop ends a sentence unless it ends an abbreviation ("U.S.", "e.g.", "No. 5"); a
# Japanese full stop (。) always does.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"\u201c(])|(?<=\u3002)(?=.)")
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
    """``china``: the chip's China answer (kb.site.render.china_status), said here."""
    return shorten(_("{name} ({vendor}): {china} for exports to China as of {day}; TPP {tpp}. "
                     "Figures, sources and status over time.").format(
        name=name, vendor=vendor, china=_(china), day=i18n.day(day), tpp=tpp))


# A rule's dates by name (RuleDates' fields), as a description names the first public one.
DATE_NAMES = {"announced": N_("announced"), "public_inspection": N_("public inspection"),
              "published": N_("published"), "effective": N_("effective")}


def rule_description(short_title: str, dates: Any, summary: str) -> str:
    first = dates.first_public() or dates.first_day()
    sentence = first_sentence(plain(summary))
    if not first:
        return shorten(_("{title}: {summary}").format(title=short_title, summary=sentence))
    name = _(DATE_NAMES[first[0]]) if first[0] in DATE_NAMES else first[0].replace("_", " ")
    return shorten(_("{title}, {event} {day}: {summary}").format(
        title=short_title, event=name, day=i18n.day(first[1]), summary=sentence))


# Organizations' kinds as a vendor page's description names them.
ORGANIZATION_KINDS = {"chip-designer": N_("chip designer"), "foundry": N_("foundry"),
                      "government": N_("government"), "analyst": N_("analyst"),
                      "company": N_("company"), "other": N_("other")}


def vendor_description(name: str, kind: str, chips: int, shares: int) -> str:
    said = _(ORGANIZATION_KINDS[kind]) if kind in ORGANIZATION_KINDS else kind.replace("-", " ")
    return shorten(_("{name} ({kind}): {chips} chip(s) and {shares} market-share estimate(s) in "
                     "the records, with whether each chip needs a licence for China today."
                     ).format(name=name, kind=said, chips=chips, shares=shares))


# A claim's verdicts (Claim.verdict), as a reader is told them.
VERDICTS = {"supported": N_("supported"), "disputed": N_("disputed"),
            "misleading": N_("misleading"), "unverified": N_("unverified")}


def claim_description(statement: str, claimant: str, made: Any, verdict: str) -> str:
    return shorten(_("Claim by {claimant} ({made}), verdict {verdict}: {statement}").format(
        claimant=claimant, made=i18n.day(made), verdict=_(VERDICTS.get(verdict, verdict)),
        statement=statement))
