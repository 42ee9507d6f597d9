"""Translations of record text: their stamps, and the checks ``kb validate`` runs on them.

A translated field (:mod:`kb.models.translations`) records ``of``, a stamp of the English text
it was made from. When the English changes, the stamp no longer matches and the translation is
reported as stale, as gettext marks a message fuzzy; a translation without a stamp is reported
with the stamp to write once it has been checked against the English. A translation of a field
the record leaves empty in English is an error: the English is the record, a translation only
follows it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from pydantic import BaseModel

LANGUAGES = {"ja": "Japanese"}
KINDS = ("rules", "claims")  # the record kinds that carry translations


def stamp(english: str) -> str:
    """The stamp of an English text: the first 8 hexadecimal digits of the SHA-256 of its
    NFC form (the same text typed on another system gives the same stamp)."""
    return hashlib.sha256(unicodedata.normalize("NFC", english).encode()).hexdigest()[:8]


def translated(record: Any, language: str) -> dict[str, Any]:
    """The fields of ``record`` translated into ``language``: field name -> TranslatedText."""
    texts = getattr(getattr(record, "translations", None), language, None)
    if not isinstance(texts, BaseModel):
        return {}
    return {name: value for name, value in texts if value is not None}


def text(record: Any, field: str, language: str) -> tuple[str, bool]:
    """What a reader of ``language`` reads for ``field``: the translation, if it exists and is
    up to date with the English, else the English; and whether it is the translation."""
    english = getattr(record, field)
    item = translated(record, language).get(field)
    if item is not None and english is not None and item.of == stamp(english):
        return item.text, True
    return english, False


def check(ck: Any) -> None:
    """Report each translation's problems through the loader's checker ``ck``: errors for a
    translation of an empty English field, warnings for a missing or stale stamp."""
    for kind in KINDS:
        for rid, record in ck.records[kind].items():
            for language, name in LANGUAGES.items():
                for field, item in translated(record, language).items():
                    loc = ("translations", language, field)
                    ck.ref(kind, rid, loc + ("source",), "sources", item.source)
                    english = getattr(record, field)
                    if english is None:
                        ck.problem(kind, rid, loc, "translation-without-english",
                                   f"a {name} {field} but no English one: write the English "
                                   f"{field} first; a translation follows it")
                        continue
                    now = stamp(english)
                    if item.of is None:
                        ck.warning(kind, rid, loc + ("of",), "translation-unstamped",
                              f"the {name} {field} has no stamp: once it is checked against "
                              f"the English, add  of: \"{now}\"")
                    elif item.of != now:
                        ck.warning(kind, rid, loc + ("of",), "translation-stale",
                              f"the English {field} has changed since the {name} was made "
                              f"(stamp {item.of}, English now {now}): bring the {name} up to "
                              f"date, then write  of: \"{now}\"")

