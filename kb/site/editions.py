"""The site's editions, one per language: where each is configured, staged and published.

English is at the site's root; each other edition sits in its own folder below it (``ja/``),
from the same records. ``kb build`` builds them (:mod:`kb.site.build`); the pages ask here for
their own edition's address and for the way to the downloads, which are made once, at the root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb import i18n

CHARTS = Path("assets") / "charts"
DOWNLOADS = Path("downloads")
ASSETS = (CHARTS, DOWNLOADS)
"""What the assets process makes, as folders inside an edition."""


@dataclass(frozen=True)
class Edition:
    """One language's site: its mkdocs configuration, where its pages are staged (under
    ``build/``) and where it goes inside the site (English at the root)."""

    lang: str
    config: str
    staging: str
    folder: str

    @property
    def assets(self) -> tuple[Path, ...]:
        """What the assets process makes for this edition (the downloads are the records',
        made once, with the English edition; the others link them)."""
        return ASSETS if self.folder == "" else (CHARTS,)

    @property
    def prefix(self) -> str:
        """The edition's path from the site's root ("" or "ja/")."""
        return f"{self.folder}/" if self.folder else ""


EDITIONS = (Edition("en", "mkdocs.yml", "docs", ""),
            Edition("ja", "mkdocs.ja.yml", "docs-ja", "ja"))


def edition_of(lang: str | None = None) -> Edition:
    """The edition of ``lang`` (default: the language in force)."""
    lang = lang or i18n.language()
    return next(e for e in EDITIONS if e.lang == lang)
