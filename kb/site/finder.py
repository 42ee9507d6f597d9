"""What the site's two searches know beyond the page text.

The theme's search (lunr, in a web worker) ranks sections by how rare the query's words are, and
matches every word as a prefix: "H20" finds the H200's and a dozen H20 rules' titles as readily as
the H20's own page. Record pages therefore carry a search boost and their aliases as search tags
(a field the theme weighs far above titles), written into each page's front matter; a chip whose
name begins another chip's gets a higher boost (:data:`PREFIX_BOOST`).

The record finder (``assets/finder.js``, on every page) reads ``assets/records.js``: every chip,
rule, vendor and claim with its aliases, and every glossary entry with its anchor. It is a plain
script, not fetched JSON, so it also works when the site is opened from disk.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kb.knowledge import KnowledgeBase
from kb.site import markup

# Page boosts by kind. Record pages outrank the many pages that mention a record in passing; the
# glossary (docs/glossary.md, its own front matter) outranks both for the terms it defines.
BOOST = {"chip": 3.0, "vendor": 2.0, "rule": 1.5}
PREFIX_BOOST = 2.0
"""How much more a chip page weighs where one of its model names begins another chip's ("H20",
the H200's "H200"): the search matches the shorter name as a prefix of the longer one about as
strongly as the name itself, and this keeps the page of the exact name well ahead (about 2 to 1).
Squared for the L4, whose "L4" begins the L40's name, which begins the L40S's."""
_SEPARATOR = re.compile(r"[\s\-]+")
"""How the theme's search cuts text into words (its default, which mkdocs.yml keeps)."""

GLOSSARY = "glossary.md"
# "## TPP (total processing performance) {#tpp}": a term, what it stands for, its anchor.
_ENTRY = re.compile(r"^#{2,3} (?P<title>.+?) \{#(?P<anchor>[a-z0-9-]+)\}\s*$", re.M)
_EXPANSION = re.compile(r"^(?P<short>.+?) \((?P<long>[^()]+)\)$")


def search_meta(kind: str, aliases: list[str] | tuple[str, ...] = (),
                prefix_depth: int = 0) -> dict[str, Any]:
    """Front matter for a record page: its boost, and its aliases as search tags. The theme
    inserts tags into search results as HTML, so they are escaped here. ``prefix_depth``: how
    many longer chip names in a row begin with one of the chip's (see :func:`prefix_depths`)."""
    meta: dict[str, Any] = {"search": {"boost": BOOST[kind] * PREFIX_BOOST ** prefix_depth}}
    if aliases:
        meta["tags"] = [str(markup.html_text(a)) for a in aliases]
    return meta


def _model_words(names: list[str]) -> set[str]:
    """The words of a chip's names that hold a digit, as the theme's search cuts them ("h20",
    "910", "mi250"); single digits and pairs of them ("2", "96") say too little to count."""
    return {w for name in names for w in _SEPARATOR.split(name.lower())
            if any(ch.isdigit() for ch in w) and not (w.isdigit() and len(w) < 3)}


def prefix_depths(base: KnowledgeBase) -> dict[str, int]:
    """Chips one of whose model names begins another chip's and is not that chip's own ("h20" of
    the H20 begins "h200" of the H200), with how many such longer names follow in a row: 2 for
    the L4 ("l40", then "l40s"), 1 for the L40 and the H20. Other chips are left out."""
    owners: dict[str, set[str]] = {}
    for chip in base.chips.values():
        for word in _model_words([chip.name, *chip.aliases]):
            owners.setdefault(word, set()).add(chip.id)
    ordered = sorted(owners)
    depth: dict[str, int] = {}
    # Longest words first, so each word's longer ones are done before it; the words that start
    # with a word follow it in sorted order.
    for i in range(len(ordered) - 1, -1, -1):
        word = ordered[i]
        depth[word] = 0
        for other in ordered[i + 1:]:
            if not other.startswith(word):
                break
            if owners[other] - owners[word]:
                depth[word] = max(depth[word], depth[other] + 1)
    out: dict[str, int] = {}
    for word, d in depth.items():
        if d:
            for cid in owners[word]:
                out[cid] = max(out.get(cid, 0), d)
    return out


def glossary_entries(text: str) -> list[dict[str, Any]]:
    """The glossary's entries: title, the names it may be looked up by, and anchor."""
    out = []
    for m in _ENTRY.finditer(text):
        title = m["title"].strip()
        names = [title]
        if expanded := _EXPANSION.match(title):
            names += [expanded["short"].strip(), expanded["long"].strip()]
        out.append({"title": title, "aliases": names[1:], "id": m["anchor"], "kind": "term",
                    "url": f"glossary.html#{m['anchor']}"})
    return out


def records_script(base: KnowledgeBase, vendors: list[str], glossary: str | None) -> str:
    """``assets/records.js``: the finder's index. URLs are relative to the site's root."""
    items: list[dict[str, Any]] = [
        {"title": c.name, "aliases": list(c.aliases), "id": c.id, "kind": "chip",
         "url": f"chips/{c.id}.html"} for c in base.chips.values()
    ] + [
        {"title": r.short_title, "aliases": [a for a in (r.citation,) if a], "id": r.id,
         "kind": "rule", "url": f"rules/{r.id}.html"} for r in base.rules.values()
    ] + [
        {"title": base.organizations[v].name, "aliases": list(base.organizations[v].aliases),
         "id": v, "kind": "vendor", "url": f"vendors/{v}.html"} for v in vendors
    ] + [
        {"title": c.statement, "aliases": [], "id": c.id, "kind": "claim",
         "url": f"claims/{c.id}.html"} for c in base.claims.values()
    ] + (glossary_entries(glossary) if glossary else [])
    # ensure_ascii: the file is read as a script whatever encoding the browser guesses; "</"
    # escaped so no record text can close a script element that inlines this file.
    data = json.dumps(items, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return "window.KB_RECORDS = " + data.replace("</", "<\\/") + ";\n"
