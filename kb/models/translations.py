"""Record text in another language, kept beside the English it translates.

Only text is translated, never a figure, a date or an id: a record states each fact once, in its
English fields, and a translation carries the sentences a reader of that language reads. Each
translated field holds the text and ``of``, a stamp of the English it was made from (see
:func:`kb.translations.stamp`), so that ``kb validate`` can say which translations an English
edit has left behind.
"""

from pydantic import Field

from kb.models.common import Record, Slug, Text

STAMP_PATTERN = r"^[0-9a-f]{8}$"


class TranslatedText(Record):
    """One field's text in another language, and the stamp of the English it translates."""

    text: Text
    """The translation."""
    of: str | None = Field(default=None, pattern=STAMP_PATTERN)
    """The first 8 hexadecimal digits of the SHA-256 of the English text it translates; kb
    validate gives the value to write, and warns when the English has changed since."""
    source: Slug | None = None
    """A source record that writes it so: for a name as an official body or the trade press of
    that language gives it (a rule's Japanese name as JETRO or METI writes it, say)."""


class RuleTexts(Record):
    """A rule's translatable fields in one language."""

    title: TranslatedText | None = None
    """The rule's official title, as the language's official and trade sources write it."""
    short_title: TranslatedText | None = None
    """The rule's short name."""
    summary: TranslatedText | None = None
    """The summary of what the rule does."""
    status_note: TranslatedText | None = None
    """The note on the rule's unusual status."""


class ClaimTexts(Record):
    """A claim's translatable fields in one language."""

    statement: TranslatedText | None = None
    """The claim; for a claim first made in this language, its own words."""
    where: TranslatedText | None = None
    """Where the claim was made."""
    reasoning: TranslatedText | None = None
    """Why the verdict."""


class RuleTranslations(Record):
    """A rule's text in other languages, by language code."""

    ja: RuleTexts | None = None
    """Japanese."""


class ClaimTranslations(Record):
    """A claim's text in other languages, by language code."""

    ja: ClaimTexts | None = None
    """Japanese."""
