"""The words a reader sees: no record id, field name, code or raw operator in the prose the build
generates (record text that contributors wrote, code and URLs aside)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kb import words
from kb.site import build

# What never reads as English: the records' own codes for policies, instruments and scopes,
# and the field names of the chip records.
CODES = {*words.POLICIES, *words.INSTRUMENTS, *words.SCOPES, "review-policy",
         "licence-requirement", "at-least", "at-most", "chip-designer"} - {
    "correction", "rescission", "regulation", "law", "proclamation", "announcement",
    "guidance", "prohibited", "notification", "gpu", "other", "case-by-case"}
FIELDS = {f for f in words.FIELDS if "_" in f} | {
    "bandwidth_gb_s", "capacity_gb", "memory_bandwidth_gb_s", "memory_capacity_gb"}
OPERATORS = (" ≠ ", " in [", "not in [")
TOKEN = re.compile(r"[a-z0-9][a-z0-9_.]*(?:-[a-z0-9_.]+)+|[a-z]+_[a-z0-9_]+")
# Inside these, text is code, a script, a picture, or text a contributor wrote (shown as they
# wrote it, and checked by reviewers rather than by this test).
SKIP_TAGS = {"code", "pre", "script", "style", "svg", "noscript", "title"}
RECORD_TEXT = {"kb-text"}


class Prose(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.stack.append(tag in SKIP_TAGS or bool(classes & RECORD_TEXT))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.parts.append(data)


@pytest.fixture(scope="module")
def site(tmp_path_factory, base) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("words") / "site")


def test_no_raw_identifier_or_operator_in_the_pages_prose(site, base):
    ids = set()
    for kind in ("chips", "rules", "organizations", "country_groups", "claims",
                 "market_shares"):
        ids |= {i for i in getattr(base, kind) if "-" in i}
    found: dict[str, set[str]] = {}
    for path in sorted(site.rglob("*.html")):
        if "downloads" in path.parts:
            continue
        parser = Prose()
        parser.feed(path.read_text(encoding="utf-8"))
        text = " ".join(parser.parts)
        where = str(path.relative_to(site))
        for token in set(TOKEN.findall(text)):
            if token in ids or token in FIELDS or token in CODES:
                found.setdefault(token, set()).add(where)
        for op in OPERATORS:
            if op in text:
                found.setdefault(op.strip(), set()).add(where)
    assert not found, {k: sorted(v)[:3] for k, v in found.items()}


def test_the_words_module_says_codes_in_words():
    assert words.policy("presumption-of-denial") == "presumption of denial"
    assert words.policy(None) == "review policy not stated"
    assert words.instrument("licence-letter") == "licence letter to a company"
    assert words.field("dense_tops.fp16") == "dense FP16 rate"
    assert words.field("die_area_mm2.low") == "die area (lowest reported)"
    assert words.fields(["die_area_mm2", "dense_tops"]) == "die area and dense compute figures"
    assert words.scope("ai-accelerator") == "AI accelerators"


def test_engine_reasons_name_chips_and_vendors(base):
    dets = {d.control_id: d for d in base.classify("amd-mi100", on="2025-06-01")}
    assert "made by Advanced Micro Devices, Inc., not NVIDIA Corporation" in \
        dets["H20 notice"].reasons
    assert "not among the chips the control names" in dets["MI308 notice"].reasons
    h20 = {d.control_id: d for d in base.classify("nvidia-h20", on="2025-06-01")}
    assert "named by the control" in h20["H20 notice"].reasons
