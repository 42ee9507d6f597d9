"""Figures that rest only on weak sources: warnings for ``kb validate``.

A source's reliability (:attr:`kb.models.source.Source.reliability_mark`) is official,
reputable or weak. A weak source may still be cited beside a better one (it often is the only
copy of a number that a reputable report then confirms); a figure that *only* weak sources
support is worth a contributor's attention, but is not an error: the record stays loadable and
the site marks each such citation in words.
"""

from __future__ import annotations

from typing import Any

Loc = tuple[str | int, ...]


def supporting_sources(path: str, citations: list[Any]) -> list[str]:
    """Ids of the sources whose citations cover the dotted field ``path`` (a parent field
    covers its children, as :func:`kb.models.common.covered` reads it), in citation order."""
    out: list[str] = []
    for c in citations:
        if any(path == f or path.startswith(f + ".") for f in c.fields) and c.source not in out:
            out.append(c.source)
    return out


def weak_figures(chip: Any, figure_paths: list[str],
                 sources: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(figure path, its weak sources) for each figure of ``chip`` whose every citing source is
    marked weak. Unknown source ids are skipped (the loader reports those as errors)."""
    out = []
    for path in figure_paths:
        ids = [s for s in supporting_sources(path, chip.citations) if s in sources]
        if ids and all(sources[s].reliability_mark == "weak" for s in ids):
            out.append((path, ids))
    return out


def check(ck: Any, figure_paths: Any) -> None:
    """Report, as warnings through the loader's checker ``ck``, every chip figure supported
    only by weak sources (``figure_paths(chip)``: the chip's figure paths present)."""
    sources = ck.records["sources"]
    for rid, chip in ck.records["chips"].items():
        for path, ids in weak_figures(chip, figure_paths(chip), sources):
            loc: Loc = tuple(path.split("."))
            ck.warning("chips", rid, loc, "weak-sources-only",
                       f"'{path}' rests only on weak sources: {', '.join(ids)}; cite a "
                       "reputable one")
