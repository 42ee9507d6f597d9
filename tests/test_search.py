"""Finding things on the site: the theme's header search puts the page a query names first, the
glossary answers for the terms it defines, and the record finder (on every page) and the header
search both work over HTTP and from disk (file://)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving

import kb
from kb.site import build, finder

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, base: kb.KnowledgeBase) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("search") / "site")


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    with serving.served(site) as url:
        yield url


def _page(browser, width: int = 1366, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    # Uncaught exceptions only: a failed request (the theme looks for sitemaps beside alternate
    # links) is not this test's subject, a script that breaks is.
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _header_search(page, query: str) -> list[str]:
    """Type into the theme's header search; the pages of the result groups, best first."""
    box = page.locator("input.md-search__input")
    button = page.locator("label.md-header__button[for=__search]")
    if button.is_visible():  # narrow screens: the header's search button opens the box
        button.click()
    else:
        box.click()
    meta = page.locator(".md-search-result__meta")
    # The index loads in the background: retype until the answer is for this query.
    for _ in range(20):
        box.fill("")
        box.press_sequentially(query, delay=20)
        page.wait_for_timeout(400)
        if "matching" in meta.inner_text():
            break
    hrefs = page.eval_on_selector_all(
        ".md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")
    return [re.sub(r"\?.*$", "", h) for h in hrefs]


def _finder(page, query: str) -> list[str]:
    page.locator("#kb-find").fill(query)
    return page.eval_on_selector_all("#kb-find-results a",
                                     "els => els.map(e => e.getAttribute('href'))")


# ---------------------------------------------------------------------------------------------
# The header search, over HTTP


@pytest.mark.parametrize(("query", "first"), [
    ("H20", "chips/nvidia-h20.html"),
    ("H200", "chips/nvidia-h200.html"),
    ("910B", "chips/huawei-ascend-910b.html"),
    ("MI300X", "chips/amd-mi300x.html"),
    ("Gaudi3", "chips/intel-gaudi3.html"),
])
def test_header_search_puts_the_named_chip_first(browser, served, query, first):
    page, errors = _page(browser)
    page.goto(served + "/rules/index.html")
    found = _header_search(page, query)
    assert found and found[0].endswith("/" + first), found[:5]
    assert errors == []
    page.close()


def _scores(page, queries: list[str]) -> dict[str, list[tuple[str, float]]]:
    """The theme's own search worker, given the site's index: for each query, every page it
    finds (sections grouped under their page, as the results show them) with its best score."""
    config = json.loads(page.locator("#__config").text_content())
    return page.evaluate("""async ([worker, queries]) => {
        const index = await (await fetch("search/search_index.json")).json();
        const w = new Worker(worker);
        const next = () => new Promise(done => w.addEventListener(
            "message", e => done(e.data), {once: true}));
        w.postMessage({type: 0, data: {...index, options: {suggest: false}}});  // set up
        await next();
        const out = {};
        for (const q of queries) {
            w.postMessage({type: 2, data: q});  // a query
            const found = (await next()).data.items;
            out[q] = found.map(group => [group[0].location.split("#")[0],
                                         Math.max(...group.map(item => item.score))]);
        }
        w.terminate();
        return out;
    }""", [config["search"], queries])


@pytest.mark.parametrize(("query", "first", "second"), [
    ("H20", "chips/nvidia-h20.html", "chips/nvidia-h200.html"),
    ("L4", "chips/nvidia-l4.html", "chips/nvidia-l40.html"),
    ("L40", "chips/nvidia-l40.html", "chips/nvidia-l40s.html"),
    ("910", "chips/huawei-ascend-910.html", None),
])
def test_header_search_puts_an_exact_name_well_ahead_of_longer_ones(browser, served, query,
                                                                      first, second):
    # The theme matches "H20" as a prefix of "H200" too, about as strongly: the exact name's
    # page must lead by a clear margin, not by the accident of how often a word occurs.
    page, errors = _page(browser)
    page.goto(served + "/index.html")
    found = _scores(page, [query])[query]
    assert found[0][0] == first, found[:3]
    if second is not None:
        assert found[1][0] == second, found[:3]
    assert found[0][1] >= 1.8 * found[1][1], found[:3]
    assert errors == []
    page.close()


def test_header_search_answers_a_term_from_the_glossary(browser, served):
    page, errors = _page(browser)
    page.goto(served + "/chips/nvidia-h20.html")
    found = _header_search(page, "TPP")
    assert found[0].rsplit("/", 1)[-1] in ("glossary.html", "methodology.html"), found[:5]
    assert not found[0].endswith("querying.html")
    assert errors == []
    page.close()


# ---------------------------------------------------------------------------------------------
# The record finder, on every page


def test_finder_on_a_chip_page_answers_a_glossary_term(browser, served):
    page, errors = _page(browser)
    page.goto(served + "/chips/nvidia-h20.html")
    found = _finder(page, "TPP")
    assert found[0].endswith("glossary.html#tpp"), found
    page.locator("#kb-find-results a").first.click()
    page.wait_for_url(re.compile(r".*/glossary\.html#tpp$"))
    assert page.locator("#tpp").is_visible()
    assert errors == []
    page.close()


@pytest.mark.parametrize(("query", "first"), [
    ("L4", "chips/nvidia-l4.html"),      # whole words: not the L40 or L40S
    ("L40", "chips/nvidia-l40.html"),
    ("H20", "chips/nvidia-h20.html"),    # not the H200
    ("910B", "chips/huawei-ascend-910b.html"),
    ("3A090.b", "glossary.html#3a090b"),
    ("D:5", "glossary.html#d5"),
    ("88 FR 73458", "rules/us-bis-2023-10-advanced-computing.html"),
])
def test_finder_ranks_exact_names_and_whole_words_first(browser, served, query, first):
    page, errors = _page(browser)
    page.goto(served + "/vendors/index.html")
    found = _finder(page, query)
    assert found and found[0].endswith("/" + first), found[:5]
    assert errors == []
    page.close()


def test_every_example_the_finders_offer_finds_something(browser, served, site):
    # The examples in the finder boxes' placeholders ("e.g. H20, MI308, diffusion, TPP") each
    # give at least one record, whichever box: the home page's or the one on every other page.
    page, errors = _page(browser)
    for path in ("/index.html", "/chips/index.html"):
        page.goto(served + path)
        placeholder = page.locator("#kb-find").get_attribute("placeholder") or ""
        examples = [e.strip() for e in placeholder.removeprefix("e.g. ").split(",")]
        assert placeholder.startswith("e.g. ") and len(examples) >= 3, placeholder
        for example in examples:
            assert _finder(page, example), (path, example)
    assert errors == []
    page.close()


def test_finder_still_offers_prefixes_after_whole_words(browser, served):
    page, _errors = _page(browser)
    page.goto(served + "/index.html")
    found = _finder(page, "L4")
    assert found[0].endswith("/chips/nvidia-l4.html")
    assert any(h.endswith("/chips/nvidia-l40s.html") for h in found[1:]), found


def test_finder_text_is_never_markup(browser, served):
    page, errors = _page(browser)
    page.goto(served + "/index.html")
    # A second copy of the finder, over a hostile list, on the home page's box.
    page.evaluate("""() => new Promise(done => {
        window.KB_RECORDS = [{title: '<img src=x onerror="window.__f=1">zz', aliases: [],
                              id: 'x', kind: 'chip', url: 'x.html'}];
        const s = document.createElement("script");
        s.src = "assets/finder.js";
        s.onload = done;
        document.body.appendChild(s);
    })""")
    page.locator("#kb-find").fill("zz")
    assert page.locator("#kb-find-results a").last.inner_text().startswith("<img src=x")
    assert page.locator("#kb-find-results img").count() == 0
    assert page.evaluate("window.__f === undefined")
    assert errors == []
    page.close()


# ---------------------------------------------------------------------------------------------
# From disk


def test_header_search_and_finder_work_from_disk(browser, site):
    for width, height in ((1366, 900), (390, 844)):
        page, errors = _page(browser, width, height)
        page.goto((site / "chips" / "nvidia-h20.html").as_uri())
        found = _finder(page, "TPP")
        assert found[0].endswith("glossary.html#tpp"), found
        page.locator("#kb-find").fill("")
        found = _header_search(page, "910B")
        assert found and found[0].endswith("/chips/huawei-ascend-910b.html"), found[:5]
        page.locator("input.md-search__input").press("Enter")  # the theme: go to the best
        page.wait_for_url(re.compile(r".*/chips/huawei-ascend-910b\.html.*"))
        assert "910B" in page.locator("h1").first.inner_text()
        assert errors == []
        page.close()


# ---------------------------------------------------------------------------------------------
# What the searches are given


def test_record_pages_carry_boost_and_escaped_aliases(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    by_page: dict[str, dict] = {}
    for doc in index["docs"]:
        by_page.setdefault(doc["location"].split("#")[0], doc)
    h20 = by_page["chips/nvidia-h20.html"]
    assert h20["boost"] == finder.BOOST["chip"] * finder.PREFIX_BOOST  # "H20" begins "H200"
    assert h20["tags"] == ["H20", "HGX H20"]
    assert by_page["chips/nvidia-h200.html"]["boost"] == finder.BOOST["chip"]
    assert by_page["chips/nvidia-l4.html"]["boost"] == finder.BOOST["chip"] * 4  # L40, L40S
    assert by_page["rules/us-bis-2023-10-advanced-computing.html"]["boost"] == finder.BOOST["rule"]
    assert by_page["querying.html"]["boost"] < 1 < by_page["glossary.html"]["boost"]
    # The theme's search shows tags as HTML: record text must arrive escaped.
    meta = finder.search_meta("chip", ["<img src=x onerror=alert(1)>", "A & B"])
    assert meta["tags"] == ["&lt;img src=x onerror=alert(1)&gt;", "A &amp; B"]


def test_a_chip_whose_name_begins_another_chips_is_found(base):
    depths = finder.prefix_depths(base)
    assert depths["nvidia-h20"] == 1 and "nvidia-h200" not in depths
    assert (depths["nvidia-l4"], depths["nvidia-l40"]) == (2, 1) and "nvidia-l40s" not in depths
    assert depths["huawei-ascend-910"] == 1 and "huawei-ascend-910b" not in depths
    # Bare digits and pairs of them ("Gaudi 3", "96 GB") begin too many names to count.
    assert "intel-gaudi3" not in depths and "nvidia-gh200" not in depths


def test_records_script_cannot_close_a_script_element(base):
    text = finder.records_script(base, [], "## A </script> term (x) {#a}\n")
    assert "</script>" not in text
    data = json.loads(text.removeprefix("window.KB_RECORDS = ").removesuffix(";\n"))
    assert data[-1] == {"title": "A </script> term (x)", "aliases": ["A </script> term", "x"],
                        "id": "a", "kind": "term", "url": "glossary.html#a"}


GLOSSARY_TERMS = ["tpp", "performance-density", "applicable-die-area", "3a090", "3a090a",
                  "3a090b", "3a090c", "4a090", "d1", "d4", "d5", "a5", "a6", "nac", "aca", "lpp",
                  "fdpr", "entity-list", "note-2", "tf32", "dense-vs-sparse"]


def test_glossary_has_every_term_with_its_own_anchor():
    entries = finder.glossary_entries(GLOSSARY.read_text(encoding="utf-8"))
    anchors = [e["id"] for e in entries]
    assert len(anchors) == len(set(anchors))
    assert set(GLOSSARY_TERMS) <= set(anchors), set(GLOSSARY_TERMS) - set(anchors)


def test_glossary_cites_only_what_the_records_cite(base):
    """Every Federal Register citation and document number in the glossary is one a rule record
    gives, and every rule it links to exists: no citation is made up on the page."""
    text = GLOSSARY.read_text(encoding="utf-8")
    citations = {r.citation for r in base.rules.values() if r.citation}
    numbers = {r.document_number for r in base.rules.values() if r.document_number}
    cited = re.findall(r"\b\d{2} FR \d+\b", text)
    assert cited
    assert set(cited) <= citations, set(cited) - citations
    docs = re.findall(r"FR Doc\. (\d{4}-\d{5})", text)
    assert docs and set(docs) <= numbers, set(docs) - numbers
    linked = re.findall(r"href=\"rules/([a-z0-9-]+)\.html\"", text)
    assert linked and set(linked) <= set(base.rules), set(linked) - set(base.rules)
    # Each entry names where it comes from.
    # The section on the rules' Japanese names cites a page for each name, in its table.
    names = re.compile(r"^## (The rules' Japanese names$|.*#the-rules-japanese-names)", re.M)
    for entry in re.split(r"\n(?=#{2,3} )", text.split("\n## ", 1)[1]):
        if names.match(entry):
            assert "https://" in entry
            continue
        flat = " ".join(entry.split())
        assert re.search(r"Source:\s|No rule defines (it|them)", flat), entry[:60]
    # The Japanese glossary: the same citations and rule links, each entry with its source too.
    ja = (GLOSSARY.parent / "ja" / "glossary.md").read_text(encoding="utf-8")
    assert set(re.findall(r"\b\d{2} FR \d+\b", ja)) <= citations
    assert set(re.findall(r"FR Doc\. (\d{4}-\d{5})", ja)) <= numbers
    assert set(re.findall(r"href=\"rules/([a-z0-9-]+)\.html\"", ja)) <= set(base.rules)
    assert re.findall(r"^## .*\{#([a-z0-9-]+)\}", ja, re.M) == re.findall(
        r"^## .*\{#([a-z0-9-]+)\}", text, re.M)
    for entry in re.split(r"\n(?=#{2,3} )", ja.split("\n## ", 1)[1]):
        assert names.match(entry) or re.search(r"出典|定義する規則はない", entry), entry[:60]
