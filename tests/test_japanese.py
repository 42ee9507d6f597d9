"""The Japanese edition: built beside the English from the same records, every page twinned
both ways, its words from a complete catalog, its answers the engine's, its search finding
Japanese words, and the English site the same whether or not it is built."""

from __future__ import annotations

import filecmp
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving

import kb
from kb import catalogs, i18n, translations
from kb.site import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, base: kb.KnowledgeBase) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("japanese") / "site")


def _pages(folder: Path) -> set[str]:
    """The site's pages (not the search index, scripts or feeds), relative to ``folder``."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.html")
            if not p.relative_to(folder).as_posix().startswith(("ja/", "search/", "assets/"))}


def _selector(page: Path) -> dict[str, str]:
    """The language selector's links of a built page: language -> href."""
    text = page.read_text(encoding="utf-8")
    return {lang: html.unescape(href) for href, lang in re.findall(
        r'<a href="([^"]+)" hreflang="([a-z]+)" lang="[a-z]+" class="md-select__link"', text)}


def test_every_page_has_its_twin_and_the_selector_links_them(site):
    english, japanese = _pages(site), _pages(site / "ja")
    assert len(english) > 150
    assert english == japanese
    # The 404 page is served for any missing address: its links start from the site's root.
    for rel in sorted(english - {"404.html"}):
        for folder, other in ((site, site / "ja"), (site / "ja", site)):
            page = folder / rel
            links = _selector(page)
            assert set(links) == {"en", "ja"}, rel
            here = "en" if folder == site else "ja"
            there = "ja" if here == "en" else "en"
            assert (page.parent / links[there]).resolve() == (other / rel).resolve(), rel
            assert (page.parent / links[here]).resolve() == page.resolve(), rel


def test_the_404_pages_link_the_other_home_page_from_the_site_root(site):
    assert _selector(site / "404.html")["ja"] == "/ja/index.html"
    assert _selector(site / "ja" / "404.html")["en"] == "/ja/../index.html"


def test_japanese_pages_say_they_are_japanese(site):
    for rel in ("index.html", "chips/nvidia-h20.html", "rules/index.html", "numbers.html"):
        text = (site / "ja" / rel).read_text(encoding="utf-8")
        assert '<html lang="ja"' in text, rel
        assert '<html lang="en"' in (site / rel).read_text(encoding="utf-8"), rel


def test_the_catalog_is_complete():
    assert catalogs.problems("ja") == []


def test_the_catalog_check_fails_on_an_untranslated_message(tmp_path, monkeypatch):
    catalog = catalogs.read("ja")
    message = next(m for m in catalog if m.id and isinstance(m.id, str))
    message.string = ""
    copy = tmp_path / "ja" / "LC_MESSAGES" / "kb.po"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(catalogs.written(catalog))
    monkeypatch.setattr(catalogs, "catalog_path", lambda lang: copy)
    found = catalogs.problems("ja")
    assert len(found) == 1 and "is not translated" in found[0] and message.id in found[0]


def test_the_catalog_check_fails_on_a_message_the_code_no_longer_uses(tmp_path, monkeypatch):
    catalog = catalogs.read("ja")
    catalog.add("A sentence no code says", string="どのコードも言わない文")
    copy = tmp_path / "kb.po"
    copy.write_bytes(catalogs.written(catalog))
    monkeypatch.setattr(catalogs, "catalog_path", lambda lang: copy)
    assert any("no longer used" in p and "A sentence no code says" in p
               for p in catalogs.problems("ja"))


def test_japanese_dates_and_numbers():
    import datetime as dt

    with i18n.speaking("ja"):
        assert i18n.day(dt.date(2025, 4, 9)) == "2025年4月9日"
        assert i18n.day("2024-03") == "2024年3月"
    assert i18n.day(dt.date(2025, 4, 9)) == "2025-04-09"


def test_a_chip_page_shows_the_japanese_engine_answer(site, base):
    with i18n.speaking("ja"):
        ja = translations.edition(base, "ja")
        verdict = ja.verdict("nvidia-h20", on="2025-04-20", destination="CN")
    english = base.verdict("nvidia-h20", on="2025-04-20", destination="CN")
    assert verdict.reasons != english.reasons
    assert verdict.value == english.value and verdict.by == english.by
    page = (site / "ja" / "chips" / "nvidia-h20.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "2025年4月9日" in text  # the H20 licence requirement, in the Japanese date form
    # Every reason the Japanese engine gives for today's answer is on the page, in Japanese.
    with i18n.speaking("ja"):
        today = ja.verdict("nvidia-h20", on=None, destination="CN")
    for reason in today.reasons:
        assert reason in " ".join(text.split()), reason
    left = [r for r in english.reasons if re.search("[a-z]{4}", r) and r in text]
    assert left == []


def test_rule_text_comes_from_the_translations(site, base):
    rule = base.rules["us-bis-2023-10-advanced-computing"]
    said, done = translations.text(rule, "short_title", "ja")
    assert done
    page = (site / "ja" / "rules" / f"{rule.id}.html").read_text(encoding="utf-8")
    assert html.escape(said, quote=False) in page


def test_a_stale_translation_is_shown_as_english_with_a_mark(base):
    rule = next(iter(base.rules.values()))
    changed = rule.model_copy(update={"summary": rule.summary + " (changed)"})
    records = dict(base.rules)
    records[rule.id] = changed
    other = kb.KnowledgeBase(chips=base.chips, organizations=base.organizations, rules=records,
                             country_groups=base.country_groups,
                             market_shares=base.market_shares, sources=base.sources,
                             claims=base.claims)
    with i18n.speaking("ja"):
        shown = translations.edition(other, "ja").rules[rule.id]
        mark = i18n._("(in English) {text}").format(text="")
    assert shown.summary == mark + changed.summary
    assert mark.strip() and mark != "(in English) "
    assert shown.short_title == translations.text(rule, "short_title", "ja")[0]


def test_the_numbers_page_in_both_languages(site, base):
    retold = sorted(c for c in base.claims if c.startswith("ja-retelling-"))
    assert len(retold) == 6
    english = html.unescape((site / "numbers.html").read_text(encoding="utf-8"))
    japanese = html.unescape((site / "ja" / "numbers.html").read_text(encoding="utf-8"))
    assert "Are these numbers right?" in english and "この数字は本当か" in japanese
    for cid in retold:
        claim = base.claims[cid]
        assert claim.verdict and claim.evidence
        ja_statement = translations.text(claim, "statement", "ja")
        assert ja_statement[1], cid
        assert claim.statement in english, cid
        assert ja_statement[0] in japanese, cid
        assert f'href="claims/{cid}.html"' in english and f'href="claims/{cid}.html"' in japanese


def test_the_glossary_gives_the_terms_japanese_staff_use(site):
    text = (site / "ja" / "glossary.html").read_text(encoding="utf-8")
    for term in ("総処理性能", "性能密度", "該非判定", "輸出管理規則", "国別グループ", "許可例外",
                 "外国直接製品規則"):
        assert term in text, term
    assert "In Japanese:" in (site / "glossary.html").read_text(encoding="utf-8")


def test_the_english_site_is_the_same_with_or_without_the_japanese(site, base, tmp_path):
    alone = build.build_site(base, tmp_path / "alone", languages=("en",))
    assert not (alone / "ja").exists()
    compared = filecmp.dircmp(alone, site, ignore=["ja", ".kb-output.json"])

    def differing(cmp: filecmp.dircmp, prefix: str = "") -> list[str]:
        # dircmp compares by size and time first: compare the bytes.
        found = [prefix + n for n in cmp.common_files
                 if (Path(cmp.left) / n).read_bytes() != (Path(cmp.right) / n).read_bytes()]
        found += [prefix + n for n in cmp.left_only + cmp.right_only]
        for name, sub in cmp.subdirs.items():
            found += differing(sub, f"{prefix}{name}/")
        return found

    assert differing(compared) == []


def test_asking_for_an_unknown_edition_is_refused(base, tmp_path):
    with pytest.raises(build.BuildError, match="no edition in fr"):
        build.build_site(base, tmp_path / "x", languages=("en", "fr"))
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------------
# In a browser


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    with serving.served(site) as url:
        yield url


def _results(page, query: str) -> list[str]:
    """Type into the theme's header search; the pages of the results, best first."""
    box = page.locator("input.md-search__input")
    button = page.locator("label.md-header__button[for=__search]")
    if button.is_visible():
        button.click()
    else:
        box.click()
    hrefs: list[str] = []
    # The index loads in the background (seconds, with Japanese segmented in the browser):
    # enter the query again now and then until results for it stand.
    for attempt in range(80):
        if attempt % 6 == 0:
            box.fill("")
            page.wait_for_timeout(100)
            box.fill(query)  # as an input method commits it: the whole word at once
        page.wait_for_timeout(500)
        hrefs = page.eval_on_selector_all(
            ".md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")
        if hrefs:
            break
    return [re.sub(r"\?[^#]*", "", h) for h in hrefs]


@pytest.mark.parametrize(("query", "wanted"), [
    # The glossary's entry for the EAR, and the rules themselves.
    ("輸出規制", ["glossary.html#ear", "rules/"]),
    # The glossary, which defines it.
    ("性能密度", ["glossary.html"]),
    ("H20", ["chips/nvidia-h20.html"]),
])
def test_japanese_search_finds_its_pages(browser, served, query, wanted):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{served}/ja/index.html")
    found = _results(page, query)
    assert found, query
    for want in wanted:
        assert any(want in h for h in found[:5]), (query, want, found[:8])
    assert all(h.startswith(f"{served}/ja/") for h in found), found[:3]
    assert errors == []
    page.close()


def test_both_editions_work_from_disk(browser, site):
    for folder in (site, site / "ja"):
        page = browser.new_page(viewport={"width": 390, "height": 844})
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto((folder / "chips" / "nvidia-h20.html").as_uri())
        page.locator("#kb-find").fill("910B")
        found = page.eval_on_selector_all("#kb-find-results a",
                                          "els => els.map(e => e.getAttribute('href'))")
        assert any(h.endswith("chips/huawei-ascend-910b.html") for h in found), found
        # The selector's link to the twin opens it from disk.
        other = "ja" if folder == site else "en"
        page.goto((folder / "chips" / "nvidia-h20.html").as_uri())
        href = page.locator(f'a.md-select__link[hreflang="{other}"]').get_attribute("href")
        page.goto(((folder / "chips") / href).resolve().as_uri())
        assert page.locator("html").get_attribute("lang") == other
        assert errors == []
        page.close()


def test_the_japanese_configuration_differs_from_the_english_only_where_it_must():
    from mkdocs.config import load_config

    english = load_config(str(ROOT / "mkdocs.yml"))
    japanese = load_config(str(ROOT / "mkdocs.ja.yml"))
    assert japanese.theme["language"] == "ja"
    assert japanese.markdown_extensions == english.markdown_extensions
    ours = dict(japanese.mdx_configs)
    slugify = ours["toc"].pop("slugify")
    assert slugify("性能密度 (TPP)", "-") == "性能密度-tpp"
    assert ours == english.mdx_configs
    assert japanese.extra["editions"] and japanese.extra["edition"] == "ja"
    assert set(japanese.extra["words"]) == set(english.extra["words"])


def test_a_translation_with_other_placeholders_is_reported_and_not_said(tmp_path, monkeypatch):
    catalog = catalogs.read("ja")
    message = catalog.get("in force for this chip from {day}, before the rule's {start}: {note}")
    assert message is not None and message.string
    message.string = message.string.replace("{day}", "{date}")
    copy = tmp_path / "kb.po"
    copy.write_bytes(catalogs.written(catalog))
    monkeypatch.setattr(catalogs, "catalog_path", lambda lang: copy)
    monkeypatch.setattr(i18n, "catalog_path", lambda lang: copy)
    i18n.messages.cache_clear()
    try:
        assert any("placeholders" in p and "{date}" in p for p in catalogs.problems("ja"))
        with i18n.speaking("ja"):  # said in English, not failing where it is formatted
            said = i18n._(message.id)
        assert said == message.id
        assert said.format(day="d", start="s", note="n")
    finally:
        i18n.messages.cache_clear()
