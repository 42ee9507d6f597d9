"""Accessibility: axe-core (vendored from the npm registry, pinned) finds no serious or critical
WCAG 2 A/AA violation on the site's main kinds of page, in both palettes, wide and narrow.

axe is injected into each page served over http (as a reader gets it: the theme's scripts run,
tables are wrapped, the palette follows the browser's colour scheme), then run with the wcag2a
and wcag2aa rules. A failure prints each violation's rule, impact, help and the elements hit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import chromium
import pytest
import test_site
from conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
AXE_VERSION = "4.14.1"
AXE = ROOT / "tests" / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"

# The site's fixtures, reused rather than copied.
site = test_site.site
served = test_site.served

T = TypeVar("T")


class _Chromium:
    """A Chromium driven from a thread of its own. Playwright's sync API allows one running
    instance per thread, and test_site.py's session browser may be alive in the main thread
    when these tests run (or start while this one is): each keeps to its own thread."""

    def __init__(self, executable: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="a11y-chromium")
        self._browser = self._thread.submit(self._start, executable).result()

    def _start(self, executable: str) -> Any:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        return self._playwright.chromium.launch(executable_path=executable,
                                                args=CHROMIUM_ARGS)

    def run(self, job: Callable[[Any], T]) -> T:
        """``job(browser)`` on the browser's thread; its result or its exception."""
        return self._thread.submit(job, self._browser).result()

    def close(self) -> None:
        def stop(browser: Any) -> None:
            browser.close()
            self._playwright.stop()

        self.run(stop)
        self._thread.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[_Chromium]:
    try:
        path = chromium.ensure()
    except chromium.NoChromium as exc:
        pytest.fail(str(exc), pytrace=False)
    driver = _Chromium(path)
    yield driver
    driver.close()

PAGES = {
    "home": "/index.html",
    "chip": "/chips/nvidia-h20.html",
    "rule": "/rules/us-bis-2023-10-advanced-computing.html",
    "market": "/market.html",
    "timeline": "/timeline.html",
}
VIEWPORTS = {"wide": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# The theme picks its palette from the browser's colour scheme when the reader has not chosen
# one: "default" for light, "slate" for dark (mkdocs.yml's palette list).
SCHEMES = {"light": "default", "dark": "slate"}
BLOCKING = ("serious", "critical")


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


def _axe(page: Any) -> dict[str, Any]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})")
    return result


def _described(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} elements]")
        lines.extend(f"    {' '.join(map(str, n['target']))}" for n in v["nodes"][:10])
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def _open(browser: Any, served: str, path: str, scheme: str, viewport: str) -> Any:
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    page = context.new_page()
    response = page.goto(served + path)
    assert response is not None and response.status == 200, \
        f"{path} is not built (HTTP {response.status if response else '?'})"
    page.wait_for_load_state("networkidle")
    # Otherwise a dark run that silently fell back to the light palette would pass as dark.
    assert page.evaluate("document.body.dataset.mdColorScheme") == SCHEMES[scheme]
    return page


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_violation(browser: _Chromium, served: str, name: str,
                                          scheme: str, viewport: str) -> None:
    def job(b: Any) -> dict[str, Any]:
        page = _open(b, served, PAGES[name], scheme, viewport)
        try:
            return _axe(page)
        finally:
            page.context.close()

    result = browser.run(job)
    # The run must have looked at something: rules that passed, colour contrast among them.
    assert any(p["id"] == "color-contrast" for p in result["passes"])
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    if blocking:  # the list itself, not pytest's diff of axe's raw dicts
        pytest.fail(f"{name} ({scheme}, {viewport}):\n{_described(blocking)}", pytrace=False)


def test_axe_reports_what_the_fixes_fix(browser: _Chromium, served: str) -> None:
    # The same page with the theme's own looks put back (dim tabs, links told apart by colour
    # alone, the dim copyright line): axe must see each failure, or the test above proves
    # nothing about the fixes in docs/assets/kb.css.
    def job(b: Any) -> list[dict[str, Any]]:
        page = _open(b, served, PAGES["home"], "light", "wide")
        try:
            page.add_style_tag(content=(
                # The theme animates the tabs' opacity: no transition, or axe measures midway.
                ".md-tabs__link { opacity: .7 !important; transition: none !important; }"
                ".md-typeset a { text-decoration: none !important; }"
                ".md-copyright { color: #ffffff73 !important; }"))
            violations: list[dict[str, Any]] = _axe(page)["violations"]
            return violations
        finally:
            page.context.close()

    found = {v["id"]: v for v in browser.run(job)}
    assert "link-in-text-block" in found
    targets = [" ".join(n["target"]) for n in found["color-contrast"]["nodes"]]
    assert any("md-tabs__link" in t for t in targets), targets
    assert any("md-copyright" in t for t in targets), targets


def test_tables_that_scroll_can_be_scrolled_from_the_keyboard(browser: _Chromium,
                                                              served: str) -> None:
    # docs/assets/a11y.js gives each box that scrolls sideways a tab stop and a name, and none
    # to a box that fits.
    def job(b: Any) -> list[dict[str, Any]]:
        page = _open(b, served, PAGES["market"], "light", "phone")
        try:
            found: list[dict[str, Any]] = page.evaluate("""[...document.querySelectorAll(
                '.md-content .md-typeset__scrollwrap, .md-content table')].map(b => ({
                  scrolls: b.scrollWidth > b.clientWidth + 1
                           && ['auto', 'scroll'].includes(getComputedStyle(b).overflowX),
                  tabindex: b.getAttribute('tabindex'), role: b.getAttribute('role'),
                  label: b.getAttribute('aria-label')}))""")
            return found
        finally:
            page.context.close()

    boxes = browser.run(job)
    assert any(b["scrolls"] for b in boxes)
    for box in boxes:
        if box["scrolls"]:
            assert box["tabindex"] == "0" and box["role"] == "region", box
            assert box["label"] and box["label"] != "Table (scrolls sideways)", box
        else:
            assert box["tabindex"] is None, box
