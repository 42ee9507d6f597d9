"""Trust and reuse: every record page says how to cite it and links its JSON; pages describe
themselves (meta description, OpenGraph, canonical link, sitemap); the Atom feeds parse, carry
ids and dates from the records, and repeat byte for byte."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from conftest import copy_project

import kb
from kb.site import build, feeds, render, trust

ROOT = Path(__file__).resolve().parent.parent
XSS = ROOT / "tests" / "fixtures" / "xss"
RECORD_FOLDERS = ("chips", "rules", "vendors", "claims")


@pytest.fixture(scope="session")
def site(tmp_path_factory, base) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("trust") / "site")


@pytest.fixture(scope="session")
def pages(base) -> dict[str, bytes]:
    return render.render_pages(base, ROOT / "docs")


class _Head(HTMLParser):
    """The meta and link tags of a page, and the links of its cite block."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.anchors: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link":
            self.links.append(a)
        elif tag == "a":
            self.anchors.append(a)


def _head(page: Path) -> _Head:
    parser = _Head()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _record_pages(site: Path) -> list[Path]:
    return sorted(p for folder in RECORD_FOLDERS for p in (site / folder).glob("*.html")
                  if p.name != "index.html")


def _record(base: kb.KnowledgeBase, folder: str, rid: str):
    return {"chips": base.chips, "rules": base.rules, "vendors": base.organizations,
            "claims": base.claims}[folder][rid]


def test_every_record_page_has_a_cite_block_with_its_url_date_and_json(site, base):
    pages = _record_pages(site)
    expected = len(base.chips) + len(base.rules) + len(base.claims) + len(
        {c.vendor for c in base.chips.values()} | {m.subject for m in base.market_shares.values()})
    assert len(pages) == expected
    url = trust.site_url()
    for page in pages:
        folder, rid = page.parent.name, page.stem
        record = _record(base, folder, rid)
        text = page.read_text(encoding="utf-8")
        block = text[text.index('id="cite-this-record"'):]
        block = block[:block.index("</div>")]
        permanent = f"{url}{folder}/{rid}.html"
        assert f'href="{permanent}"' in block, page
        reviewed = record.last_reviewed.isoformat() if record.last_reviewed else "not recorded"
        assert f"last reviewed {reviewed}" in block, page
        bibtex = html.unescape(re.search(r'class="kb-cite-bibtex"[^>]*><code>(.*?)</code>',
                                         block, re.S).group(1))
        assert bibtex.startswith("@misc{kb:") and f"url = {{{permanent}}}" in bibtex, page
        assert bibtex.count("{") == bibtex.count("}"), page
        plain = html.unescape(re.search(r'class="kb-cite-text"[^>]*><code>(.*?)</code>',
                                        block, re.S).group(1))
        assert plain.endswith(permanent) and rid in plain, page
        link = re.search(r'class="kb-cite-json" href="([^"]+)"', block).group(1)
        data = json.loads((page.parent / link).resolve().read_text(encoding="utf-8"))
        assert data["id"] == rid, page
        if folder == "chips":
            feed = re.search(r'class="kb-cite-feed" href="([^"]+)"', block).group(1)
            assert (page.parent / feed).resolve().is_file(), page


def test_other_pages_have_no_cite_block(site):
    for page in ("index.html", "chips/index.html", "rules/index.html", "downloads.html"):
        assert 'id="cite-this-record"' not in (site / page).read_text(encoding="utf-8"), page


def test_descriptions_differ_and_say_what_the_record_is(site, base):
    seen: dict[str, Path] = {}
    for page in _record_pages(site):
        description = _head(page).meta["description"]
        assert description not in seen, (page, seen.get(description))
        assert len(description) <= trust.DESCRIPTION_LIMIT
        seen[description] = page
    h100 = _head(site / "chips" / "nvidia-h100-sxm.html").meta["description"]
    assert h100.startswith("NVIDIA H100 SXM5 80GB (NVIDIA")
    assert "licence required for exports to China" in h100 and "TPP 15,831.2" in h100
    rule = base.rules["us-bis-2022-10-advanced-computing"]
    described = _head(site / "rules" / f"{rule.id}.html").meta["description"]
    assert described.startswith(f"{rule.short_title}, announced 2022-10-07: Created ECCN 3A090")


def test_every_page_has_opengraph_tags_and_a_canonical_link(site):
    url = trust.site_url()
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if page.name == "404.html":  # either edition's: served at any address
            continue
        head = _head(page)
        for tag in ("og:title", "og:description", "og:type", "og:url"):
            assert head.meta.get(tag), (rel, tag)
        canonical = [link["href"] for link in head.links if link.get("rel") == "canonical"]
        assert canonical == [url + rel] == [head.meta["og:url"]], rel
        inner = rel.removeprefix("ja/")  # the same page in the Japanese edition
        record = inner.split("/")[0] in RECORD_FOLDERS and "/" in inner and not inner.endswith(
            "/index.html")
        assert head.meta["og:type"] == ("article" if record else "website"), rel
        assert head.meta["og:description"] == head.meta["description"], rel
        feeds_linked = [link["href"] for link in head.links
                        if link.get("type") == "application/atom+xml"
                        and "alternate" in link.get("rel", "").split()]
        assert len(feeds_linked) == (3 if record and inner.startswith("chips/") else 2), rel
        for href in feeds_linked:
            assert (page.parent / href).resolve().is_file(), (rel, href)


def test_sitemap_lists_every_page_at_the_site_address(site):
    # Each edition has its own sitemap, at its own root (the Japanese one in ja/).
    url = trust.site_url()
    for root in (site, site / "ja"):
        locs = re.findall(r"<loc>(.*?)</loc>", (root / "sitemap.xml").read_text(encoding="utf-8"))
        pages = {url + p.relative_to(site).as_posix() for p in root.rglob("*.html")
                 if p.name != "404.html"
                 and (root != site or not p.relative_to(site).as_posix().startswith("ja/"))}
        assert len(pages) > 150
        assert set(locs) == pages and len(locs) == len(pages)


def _parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    assert parsed.version == "atom10", path
    assert parsed.feed.id.startswith("urn:uuid:") and parsed.feed.updated_parsed, path
    for entry in parsed.entries:
        assert entry.id.startswith("urn:uuid:") and entry.updated_parsed and entry.link, path
    return parsed


def _day(struct) -> dt.date:
    return dt.date(struct.tm_year, struct.tm_mon, struct.tm_mday)


def test_rules_feed_lists_every_rule_newest_first(site, base):
    parsed = _parse(site / feeds.RULES)
    assert len(parsed.entries) == len(base.rules)
    days = [_day(e.updated_parsed) for e in parsed.entries]
    assert days == sorted(days, reverse=True)
    assert _day(parsed.feed.updated_parsed) == days[0]
    by_link = {e.link: e for e in parsed.entries}
    for rule in base.rules.values():
        entry = by_link[f"{trust.site_url()}rules/{rule.id}.html"]
        first = rule.dates.first_public() or rule.dates.first_day()
        assert _day(entry.updated_parsed) == first[1]
        assert entry.title.startswith(rule.short_title)
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


def _china_changes(base: kb.KnowledgeBase, chip, until: dt.date) -> list[tuple[dt.date, str]]:
    """Each day the chip's China answer changes, worked out here from the engine directly."""
    words = {True: "licence required", None: "undetermined", False: "no licence required"}
    out, before = [], "no licence required"
    for day in base.change_dates():
        if day > until:
            break
        now = words[base.verdict(chip, on=day, destination="CN").value]
        if now != before:
            out.append((day, now))
            before = now
    return out


def test_chip_and_determination_feeds_give_each_china_status_change(site, base):
    until = render.as_of(base)
    expected: dict[dt.date, set[str]] = {}
    with_changes = 0
    for chip in base.chips.values():
        parsed = _parse(site / feeds.chip_feed_path(chip.id))
        changes = _china_changes(base, chip, until)
        got = [(_day(e.updated_parsed), e.title) for e in parsed.entries]
        assert got == [(day, f"From {day.isoformat()}: {now} for exports to China")
                       for day, now in reversed(changes)], chip.id
        with_changes += bool(changes)
        for day, _now in changes:
            expected.setdefault(day, set()).add(chip.name)
    assert with_changes > 10
    parsed = _parse(site / feeds.DETERMINATIONS)
    days = [_day(e.updated_parsed) for e in parsed.entries]
    assert days == sorted(expected, reverse=True)
    for entry, day in zip(parsed.entries, days, strict=True):
        assert entry.title.startswith(f"{day.isoformat()}: {len(expected[day])} chip(s)")
        content = html.unescape(entry.content[0].value)
        assert all(name in content for name in expected[day]), day
    h20 = _parse(site / feeds.chip_feed_path("nvidia-h20"))
    assert [_day(e.updated_parsed) for e in h20.entries][-1] == dt.date(2025, 4, 9)


def test_feeds_are_dated_from_the_records_and_repeat_byte_for_byte(pages, base):
    again = render.render_pages(base, ROOT / "docs")
    feed_files = sorted(p for p in pages if p.startswith("feeds/"))
    assert len(feed_files) == len(base.chips) + 2
    for path in feed_files:
        assert pages[path] == again[path], path
        # No clock time: every date is a day from the records, at midnight UTC.
        stamps = re.findall(rb"<(?:updated|published)>([^<]+)<", pages[path])
        assert stamps and all(s.endswith(b"T00:00:00+00:00") for s in stamps), path
    record_days = {d for r in base.rules.values() for d in r.dates.model_dump().values()
                   if isinstance(d, dt.date)} | set(base.change_dates())
    rules = pages[feeds.RULES].decode()
    for day in re.findall(r"<updated>(\d{4}-\d\d-\d\d)T", rules):
        assert dt.date.fromisoformat(day) in record_days


def test_site_url_comes_from_kb_site_url(base, monkeypatch):
    monkeypatch.setenv("KB_SITE_URL", "https://kb.example.org/export-controls")
    files = render.render_pages(base, ROOT / "docs")
    chip = files["chips/nvidia-h20.md"].decode()
    assert 'href="https://kb.example.org/export-controls/chips/nvidia-h20.html"' in chip
    feed = files[feeds.chip_feed_path("nvidia-h20")].decode()
    assert 'href="https://kb.example.org/export-controls/feeds/chips/nvidia-h20.xml"' in feed
    for bad in ("", "kb.example.org", "ftp://kb.example.org/", "https://x.org/?a=1"):
        monkeypatch.setenv("KB_SITE_URL", bad)
        with pytest.raises(trust.SiteUrlError):
            trust.site_url()


def test_mkdocs_yml_reads_the_same_address_with_the_same_default(monkeypatch):
    from mkdocs.config import load_config

    monkeypatch.delenv("KB_SITE_URL", raising=False)
    assert load_config(str(ROOT / "mkdocs.yml")).site_url == trust.DEFAULT_SITE_URL
    monkeypatch.setenv("KB_SITE_URL", "https://kb.example.org/x/")
    assert load_config(str(ROOT / "mkdocs.yml")).site_url == trust.site_url()


def test_hostile_record_text_is_escaped_in_descriptions_citations_and_feeds(tmp_path):
    project = copy_project(tmp_path / "xss")
    for kind in ("chips", "sources", "organizations", "rules"):
        for path in (XSS / kind).glob("*.yaml"):
            shutil.copy(path, project / "records" / kind)
    base = kb.load(project / "records")
    files = render.render_pages(base, project / "docs")
    chip = base.chips["xss-chip"]
    page = files["chips/xss-chip.md"].decode()
    front = page.split("---\n")[1]
    description = json.loads(re.search(r"^description: (.*)$", front, re.M).group(1))
    assert "<script" not in description and "&lt;script&gt;" in description
    block = page[page.index("## Cite this record"):]
    assert "<script" not in block and "&lt;script&gt;window.__xss=7&lt;/script&gt;" in block
    feed = feedparser.parse(files[feeds.chip_feed_path("xss-chip")])
    assert not feed.bozo
    assert feed.feed.title == f"{chip.name}: China status changes"
    assert b"<script" not in files[feeds.chip_feed_path("xss-chip")]


def test_bibtex_escapes_latex_specials_and_keeps_braces_balanced():
    assert trust.bibtex_escape("A&B 50% {x} #1 $2 a_b ~ ^ \\") == (
        r"A\&B 50\% \{x\} \#1 \$2 a\_b \textasciitilde{} \textasciicircum{} \textbackslash{}")
    cite = trust.Citation("chip", "x-1", "Odd } name {", dt.date(2025, 3, 4), "https://a/b.html",
                          "https://a/x.json", "../x.json", None)
    assert cite.bibtex.count("{") - cite.bibtex.count(r"\{") == (
        cite.bibtex.count("}") - cite.bibtex.count(r"\}"))
    assert "year = {2025}" in cite.bibtex and "month = {3}" in cite.bibtex


def test_first_sentence_skips_abbreviations():
    text = "The U.S. Department of Commerce said so. Then more followed."
    assert trust.first_sentence(text) == "The U.S. Department of Commerce said so."
    assert trust.first_sentence("No full stop here") == "No full stop here"
    assert trust.shorten("word " * 100).endswith("\u2026")
    assert len(trust.shorten("word " * 100)) <= trust.DESCRIPTION_LIMIT
