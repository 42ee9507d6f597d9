"""Accessibility: axe-core (vendored from the npm registry, pinned) finds no serious or critical
violation (WCAG 2.0 to 2.2, A and AA, and axe's best practices) on one page of every kind the
site has, in both palettes, wide (1366x900) and narrow (390x844, a phone).

axe is injected into each page served over http (as a reader gets it: the theme's scripts run,
tables are wrapped, the palette follows the browser's colour scheme or the reader's toggle).
A failure prints each violation's rule, impact, help and the elements hit.

Each page is loaded once per viewport and checked in both palettes, in one tab per viewport as
a reader goes from page to page: wide pages load dark (the browser prefers dark, the theme
follows) and are switched to light with the theme's own toggle, phone pages the other way
round, so both ways a reader gets a palette are covered. The toggle changes colours only (the
same elements, the same layout): the first palette gets every rule, the second the rules that
read colours.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import test_site

ROOT = Path(__file__).resolve().parent.parent
AXE_VERSION = "4.14.1"
AXE = ROOT / "tests" / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"

# The site's fixtures, reused rather than copied; the browser is conftest.py's (one Playwright
# per process).
site = test_site.site
served = test_site.served

# One page of every kind (tests/test_a11y.py::test_every_kind_of_page_is_checked keeps the list
# complete as the site grows).
PAGES = {
    "home": "/index.html",
    "chips": "/chips/index.html",
    "chip": "/chips/huawei-ascend-910b.html",  # figures as ranges, the range chart
    "rules": "/rules/index.html",
    "rule": "/rules/us-bis-2023-10-advanced-computing.html",
    "vendors": "/vendors/index.html",
    "vendor": "/vendors/nvidia.html",
    "claims": "/claims/index.html",
    "claim": "/claims/deepseek-v3-training-cost-5576m.html",
    "market": "/market.html",
    "timeline": "/timeline.html",
    "methodology": "/methodology.html",
    "querying": "/querying.html",
    "glossary": "/glossary.html",
    "downloads": "/downloads.html",
    "contributing": "/contributing.html",
    "not-found": "/404.html",
    "numbers": "/numbers.html",
    # The Japanese edition: the same templates, Japanese words (lang="ja", wrapping, the charts).
    "ja-home": "/ja/index.html",
    "ja-chip": "/ja/chips/huawei-ascend-910b.html",
    "ja-rule": "/ja/rules/us-bis-2023-10-advanced-computing.html",
    "ja-numbers": "/ja/numbers.html",
}
RECORD_FOLDERS = ("chips", "rules", "vendors", "claims")
VIEWPORTS = {"wide": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# The theme picks its palette from the browser's colour scheme when the reader has not chosen
# one: "default" for light, "slate" for dark (mkdocs.yml's palette list).
SCHEMES = {"light": "default", "dark": "slate"}
# The palette each viewport loads in, then the one the toggle switches it to.
ORDER = {"wide": ("dark", "light"), "phone": ("light", "dark")}
# WCAG 2.0, 2.1 and 2.2 at A and AA, and axe's best practices (ARIA's own musts among them, a
# dialog's name): any of them serious or critical fails.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")
Key = tuple[str, str]  # (page, viewport)

# The rules that read colours: all that the toggle between palettes can change.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]

# Passing rules by id only, violations in full: a third of the time of axe's whole report.
AXE_RUN = """only => axe.run(document, {runOnly: only, resultTypes: ['violations']})
  .then(r => ({violations: r.violations, passes: r.passes.map(p => p.id)}))"""
# What a reader can open is checked open (axe skips what is not shown): the charts' data tables.
OPEN_ALL = "document.querySelectorAll('details').forEach(d => { d.open = true; })"
FORGET_PALETTE = """Object.keys(localStorage).filter(k => k.endsWith('__palette'))
  .forEach(k => localStorage.removeItem(k))"""
# Two frames (assets/a11y.js marks scrolling boxes on one), then every transition run out (the
# theme fades tabs and links' colours: axe would measure them midway).
SETTLE = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))
  .then(() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map(a => a.finished.catch(() => null))))"""


def _fetch_frontend() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_frontend",
                                                  ROOT / "tools" / "fetch_frontend.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_vendored_axe_is_the_pinned_file() -> None:
    pins = _fetch_frontend().PACKAGES["axe-core"]
    assert pins.version == AXE_VERSION
    folder = AXE.parent
    for inner, digest in pins.files.items():
        path = folder / Path(inner).name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
    assert (folder / "LICENSE").is_file()


def test_every_kind_of_page_is_checked(site: Path) -> None:
    # Every page at the top, every section index and one record of each kind: a new kind of page
    # fails here until it is added to PAGES.
    checked = set(PAGES.values())
    top = {f"/{p.name}" for p in site.glob("*.html")}
    assert top <= checked, sorted(top - checked)
    for folder in RECORD_FOLDERS:
        assert (site / folder / "index.html").is_file(), folder
        assert f"/{folder}/index.html" in checked, folder
        records = [p for p in checked if p.startswith(f"/{folder}/")
                   and p != f"/{folder}/index.html"]
        assert len(records) == 1, (folder, records)
    html_folders = {p.parent.name for p in site.glob("*/*.html")}
    assert html_folders <= {*RECORD_FOLDERS, "ja"}, sorted(html_folders - set(RECORD_FOLDERS))
    for path in checked:
        assert (site / path.lstrip("/")).is_file(), path


def _axe(page: Any) -> dict[str, Any]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return result


def _described(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} elements]")
        lines.extend(f"    {' '.join(map(str, n['target']))}" for n in v["nodes"][:10])
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def _scheme(page: Any) -> str:
    return str(page.evaluate("document.body.dataset.mdColorScheme"))


def _load(page: Any, url: str, scheme: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, \
        f"{url} is not built (HTTP {response.status if response else '?'})"
    page.evaluate(SETTLE)
    # Otherwise a dark run that silently fell back to the light palette would pass as dark.
    assert _scheme(page) == SCHEMES[scheme], (url, scheme)


def _open(browser: Any, served: str, path: str, scheme: str, viewport: str) -> Any:
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    try:
        page = context.new_page()
        _load(page, served + path, scheme)
    except BaseException:
        context.close()
        raise
    return page


def _toggle(page: Any, scheme: str) -> None:
    """Switch the palette as a reader does: the header's toggle (a label for the palette's
    radio button; the one shown is the one that switches to the other palette)."""
    radio = page.locator(f'[data-md-component="palette"] '
                         f'input[data-md-color-scheme="{SCHEMES[scheme]}"]')
    page.locator(f'label[for="{radio.get_attribute("id")}"]').click()
    page.evaluate(SETTLE)
    assert _scheme(page) == SCHEMES[scheme], scheme


def _audits(browser: Any, served: str, viewport: str) -> dict[Key, Any]:
    """Every page in one viewport, in one tab as a reader goes from page to page, each page in
    both palettes: axe's result by scheme, or the exception that stopped that page (its own
    tests report it; the other pages go on)."""
    first, second = ORDER[viewport]
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=first)
    # Each page opens as on a first visit, following the browser: the palette the toggle saved
    # on the page before is forgotten before the theme reads it. (Not a clear() after the
    # toggle: Chromium hands localStorage on to the next page late, the toggle's write can
    # overtake the clear.)
    context.add_init_script(FORGET_PALETTE)
    # axe in every page from the start: sent to the browser once, not once a page.
    context.add_init_script(path=str(AXE))
    results: dict[Key, Any] = {}
    try:
        page = context.new_page()
        for name, path in PAGES.items():
            try:
                _load(page, served + path, first)
                page.evaluate(OPEN_ALL)
                found = {first: page.evaluate(AXE_RUN, {"type": "tag", "values": TAGS})}
                _toggle(page, second)
                found[second] = page.evaluate(AXE_RUN, {"type": "rule", "values": COLOUR_RULES})
                results[name, viewport] = found
            except Exception as exc:
                results[name, viewport] = exc
                page.close()
                page = context.new_page()
    finally:
        context.close()
    return results


@pytest.fixture(scope="module")
def reports(browser: Any, served: str) -> dict[Key, Any]:
    return {key: found for viewport in VIEWPORTS
            for key, found in _audits(browser, served, viewport).items()}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_violation(reports: dict[Key, Any], name: str,
                                          scheme: str, viewport: str) -> None:
    report = reports[name, viewport]
    if isinstance(report, Exception):
        raise report
    result = report[scheme]
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    if blocking:  # the list itself, not pytest's diff of axe's raw dicts
        pytest.fail(f"{name} ({scheme}, {viewport}):\n{_described(blocking)}", pytrace=False)
    # The run must have looked at something: text's contrast among the rules it checked.
    assert "color-contrast" in result["passes"], result["passes"]


def test_links_in_prose_are_told_apart_without_colour(reports: dict[Key, Any]) -> None:
    # link-in-text-block is a moderate violation (not blocking above), but prose links told
    # apart by colour alone are missed by readers who do not see the difference: none anywhere.
    found = []
    for (name, viewport), report in reports.items():
        if isinstance(report, Exception):
            continue  # reported by its own test above
        for scheme, result in report.items():
            hits = [v for v in result["violations"] if v["id"] == "link-in-text-block"]
            if hits:
                found.append(f"{name} ({scheme}, {viewport}):\n{_described(hits)}")
    assert not found, "\n".join(found)


def test_axe_reports_what_the_fixes_fix(browser: Any, served: str) -> None:
    # A chip page with the theme's own looks put back (dim tabs, links told apart by colour
    # alone, the dim copyright line, source numbers as small as their digit, the search dialog
    # and landmark unnamed): axe must see each failure, or the test above proves nothing about
    # the fixes in docs/assets/kb.css and docs/overrides/main.html.
    page = _open(browser, served, PAGES["chip"], "light", "wide")
    try:
        page.add_style_tag(content=(
            # The theme animates the tabs' opacity: no transition, or axe measures midway.
            ".md-tabs__link { opacity: .7 !important; transition: none !important; }"
            ".md-typeset a { text-decoration: none !important; }"
            ".md-copyright { color: #ffffff73 !important; }"
            '.md-typeset td a[href^="#source-"] { display: inline !important;'
            " min-width: 0 !important; min-height: 0 !important; }"))
        page.evaluate("""document.querySelectorAll('.md-search, .md-search__inner')
                         .forEach(n => n.removeAttribute('aria-label'))""")
        found = {v["id"]: v for v in _axe(page)["violations"]}
    finally:
        page.context.close()

    def targets(rule: str) -> list[str]:
        assert rule in found, sorted(found)
        return [" ".join(map(str, n["target"])) for n in found[rule]["nodes"]]

    assert targets("link-in-text-block")
    assert any("md-tabs__link" in t for t in targets("color-contrast")), targets("color-contrast")
    assert any("md-copyright" in t for t in targets("color-contrast")), targets("color-contrast")
    assert all("#source-" in t for t in targets("target-size")), targets("target-size")
    assert targets("aria-dialog-name") == [".md-search"]
    assert targets("landmark-unique")


def test_tables_that_scroll_can_be_scrolled_from_the_keyboard(browser: Any, served: str) -> None:
    # docs/assets/a11y.js gives each box that scrolls sideways a tab stop and a name, and none
    # to a box that fits.
    page = _open(browser, served, PAGES["market"], "light", "phone")
    try:
        boxes: list[dict[str, Any]] = page.evaluate("""[...document.querySelectorAll(
            '.md-content .md-typeset__scrollwrap, .md-content table')].map(b => ({
              scrolls: b.scrollWidth > b.clientWidth + 1
                       && ['auto', 'scroll'].includes(getComputedStyle(b).overflowX),
              tabindex: b.getAttribute('tabindex'), role: b.getAttribute('role'),
              label: b.getAttribute('aria-label')}))""")
    finally:
        page.context.close()

    assert any(b["scrolls"] for b in boxes)
    for box in boxes:
        if box["scrolls"]:
            assert box["tabindex"] == "0" and box["role"] == "region", box
            assert box["label"] and box["label"] != "Table (scrolls sideways)", box
        else:
            assert box["tabindex"] is None, box
