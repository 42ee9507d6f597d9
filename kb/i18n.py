"""The language the reader's words are said in, and the message catalogs that say them.

English is the language of the records and of the engine's API: a message is its own English
text, so with English in force every function here gives back what it was given and nothing is
read from disk. Another language is put in force with :func:`speaking`; the words made while it
is in force (the engine's reasons, the pages' sentences, chart labels) come from that language's
catalog, ``kb/locale/<language>/LC_MESSAGES/kb.po``, which ``python -m kb.catalogs`` keeps in
step with the code.

Mark a message where it is made: ``_("in force from {day}").format(day=...)``; a message kept in
a table and said later is marked with :func:`N_` and said with ``_(...)`` where it is used.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = ("en", "ja")
"""The site's editions, English first (the language of the records)."""

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "kb"

_language: ContextVar[str] = ContextVar("kb_language", default="en")


def language() -> str:
    """The language in force (``"en"`` unless :func:`speaking` says otherwise)."""
    return _language.get()


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Say the words made inside this block in ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"no edition in {lang!r}; the editions are {', '.join(LANGUAGES)}")
    token = _language.set(lang)
    try:
        yield
    finally:
        _language.reset(token)


def catalog_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def messages(lang: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """The translated messages of ``lang``'s catalog (untranslated and fuzzy ones left out, so
    they fall back to English; ``python -m kb.catalogs --check`` fails on any of them)."""
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh)
    found: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        # A translation whose placeholders differ from the English would fail where it is
        # said: it is left out, as an untranslated one (the catalog check names both).
        if isinstance(message.id, tuple | list):
            forms = tuple(message.string)
            if all(forms) and all(placeholders(f) == placeholders(message.id[1])
                                  for f in forms):
                found[(message.id[0], message.id[1])] = forms
        elif message.string and placeholders(message.string) == placeholders(message.id):
            found[message.id] = message.string
    return found


_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)s")


def placeholders(text: str) -> list[str]:
    """The named placeholders of a message ({day} in Python, %(day)s in templates), sorted."""
    return sorted(_PLACEHOLDER.findall(text))


def gettext(message: str) -> str:
    """``message`` in the language in force."""
    lang = _language.get()
    if lang == "en":
        return message
    said = messages(lang).get(message)
    return said if isinstance(said, str) else message


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n``, in the language in force."""
    lang = _language.get()
    if lang != "en":
        forms = messages(lang).get((singular, plural))
        if isinstance(forms, tuple):
            # Japanese has one form; a catalog with more would need its plural rule here.
            return forms[0] if len(forms) == 1 else forms[0 if n == 1 else 1]
    return singular if n == 1 else plural


def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is kept; it is said later with ``_``."""
    return message


_DAY = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def day(value: dt.date | str | None) -> str:
    """A date, or a partial date (``2024`` or ``2024-03``), as the language writes it: ISO in
    English (the records' own form), 2025年4月9日 in Japanese."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if _language.get() != "ja":
        return text
    found = _DAY.match(text)
    if found is None:
        return text
    year, month, mday = found.groups()
    said = f"{int(year)}年"
    if month:
        said += f"{int(month)}月"
    if mday:
        said += f"{int(mday)}日"
    return said


def script_catalog(lang: str) -> str:
    """The catalog of the site's scripts (``kbT("...")`` in docs/assets/*.js) as a script that
    defines ``window.kbMessages``; empty for English, where a message is its own text."""
    table: dict[str, str] = {}
    if lang != "en":
        from kb.catalogs import script_messages

        known = messages(lang)
        for msgid in script_messages():
            said = known.get(msgid)
            if isinstance(said, str):
                table[msgid] = said
    text = json.dumps(table, ensure_ascii=False, sort_keys=True, indent=0)
    # Inside a script: "<" escaped so that no message can end the element.
    return ("// The words of the site's scripts in this edition's language (kb/i18n.py).\n"
            f"window.kbMessages = {text.replace('<', chr(92) + 'u003c')};\n"
            "window.kbT = function (m) { return window.kbMessages[m] || m; };\n")
