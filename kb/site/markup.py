"""Record text made safe for Markdown pages: escaped by default, sanitised where Markdown is
allowed.

Contributed text never becomes markup by accident. Plain fields go through :func:`md_escape`
(HTML special characters and Markdown punctuation escaped); fields that may hold Markdown go
through :func:`rich` (rendered, then cleaned by nh3 with a small allowlist and http(s) links only).
"""

from __future__ import annotations

import functools
from typing import Any

import markdown as md
import nh3
from markupsafe import Markup, escape

from kb import i18n

_ALLOWED_TAGS = {"p", "em", "strong", "code", "a", "ul", "ol", "li", "br", "blockquote"}
_URL_SCHEMES = {"http", "https", "mailto"}


# One pass over the original characters: HTML specials become entities (whose own '#' and ';'
# must stay as they are), Markdown punctuation Python-Markdown can escape gets a backslash.
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
    | {c: "\\" + c for c in "\\`*_{}[]()#+!|"}
)


def md_escape(value: Any) -> Markup:
    """Plain text for a Markdown page or table cell: no HTML, no Markdown syntax, one line."""
    return Markup(" ".join(str(value).split()).translate(_ESCAPES))


@functools.cache
def _markdown() -> md.Markdown:
    return md.Markdown(output_format="html")


def rich(value: str | None) -> Markup:
    """A field that may hold Markdown, as sanitised HTML (a block: put blank lines around it)."""
    if not value:
        return Markup("")
    html = _markdown().reset().convert(value)
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")
    return Markup(f'<div class="kb-text" markdown="0">{clean}</div>')


def link(url: str, text: Any) -> Markup:
    """An external link; records only hold http(s) URLs (checked by the models)."""
    if not url.startswith(("http://", "https://")):
        return md_escape(text)
    return Markup(f'<a href="{escape(url)}" rel="noopener noreferrer">{escape(text)}</a>')


def finalize(value: Any) -> Any:
    """Jinja's finalize hook: every {{ value }} is escaped unless already safe markup."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return md_escape(value)


def html_text(value: Any) -> Markup:
    """Plain text inside a raw HTML block (where Markdown is not processed): HTML-escaped."""
    if value is None:
        return Markup("")
    return escape(" ".join(str(value).split()))


class Said(Markup):
    """A template's own words from the catalogs: trusted text, whose placeholders are escaped
    as :func:`finalize` escapes any ``{{ value }}`` (record text never becomes markup)."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any) -> Said:
        return cls(finalize(s))


def gettext(message: str) -> Said:
    """The templates' ``_()`` and ``{% trans %}`` (newstyle: a literal % is written %%)."""
    return Said(i18n.gettext(message))


def ngettext(singular: str, plural: str, n: int) -> Said:
    return Said(i18n.ngettext(singular, plural, n))
