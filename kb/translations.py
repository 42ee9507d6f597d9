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



def edition(base: Any, language: str) -> Any:
    """The knowledge base as the ``language`` edition shows it: the same records, with each
    translated field of rules and claims in ``language`` where an up-to-date translation exists,
    and elsewhere the English, marked as English for the reader. Figures are untouched
    (translations are text only), so every answer is the English edition's; the reasons come
    in ``language`` from the engine made for it (use under ``kb.i18n.speaking(language)``)."""
    from kb.i18n import _
    from kb.knowledge import KnowledgeBase
    from kb.models.translations import ClaimTexts, RuleTexts

    def said(record: Any, fields: tuple[str, ...]) -> Any:
        update: dict[str, str] = {}
        for field in fields:
            english = getattr(record, field)
            if english is None:
                continue
            value, done = text(record, field, language)
            update[field] = value if done else _("(in English) {text}").format(text=english)
        return record.model_copy(update=update)

    rule_fields = tuple(RuleTexts.model_fields)
    claim_fields = tuple(ClaimTexts.model_fields)
    copy = KnowledgeBase(
        chips=base.chips, organizations=base.organizations,
        rules={k: said(r, rule_fields) for k, r in base.rules.items()},
        country_groups=base.country_groups, market_shares=base.market_shares,
        sources=base.sources,
        claims={k: said(c, claim_fields) for k, c in base.claims.items()},
        root=base.root, warnings=base.warnings)
    copy._matrix = base._matrix  # which criteria hold: figures only, the same in every language
    return copy
