"""Record tables a reader can use: the vendored table library is the pinned file, and in Chromium
the chips table sorts (numbers as numbers, no figure last), filters, keeps its state in the
address, and shows the China status on a phone without scrolling sideways."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import re
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import kb
from kb.site import build, render

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _fetcher() -> Any:
    spec = importlib.util.spec_from_file_location("fetch_frontend",
                                                  ROOT / "tools" / "fetch_frontend.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fetch_frontend"] = module
    spec.loader.exec_module(module)
    return module


fetch_frontend = _fetcher()


# ---------------------------------------------------------------------------------------------
# The vendored files


def test_vendored_files_are_the_pinned_ones() -> None:
    assert fetch_frontend.check() == []
    for name, package in fetch_frontend.PACKAGES.items():
        folder = fetch_frontend.folder(name, package)
        assert folder.parent == package.under
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            Path(p).name for p in package.files)
        assert any(re.match(r"LICEN[CS]E", Path(p).name) for p in package.files), name
        for path, digest in package.files.items():
            assert fetch_frontend.sha256((folder / Path(path).name).read_bytes()) == digest


def test_a_changed_missing_or_unpinned_vendored_file_is_reported(tmp_path, monkeypatch) -> None:
    package = fetch_frontend.PACKAGES["tablesort"]
    shutil.copytree(fetch_frontend.folder("tablesort", package),
                    tmp_path / "tablesort-5.7.1")
    monkeypatch.setattr(fetch_frontend, "VENDOR", tmp_path)
    monkeypatch.setattr(fetch_frontend, "PACKAGES",
                        {"tablesort": dataclasses.replace(package, under=tmp_path)})
    assert fetch_frontend.check() == []
    script = tmp_path / "tablesort-5.7.1" / "tablesort.min.js"
    script.write_bytes(script.read_bytes() + b"\n")
    (tmp_path / "tablesort-5.7.1" / "LICENCE").unlink()
    (tmp_path / "stray-1.0.0").mkdir()
    assert fetch_frontend.check() == [
        "stray-1.0.0: not pinned in tools/fetch_frontend.py",
        "tablesort-5.7.1/LICENCE: missing",
        "tablesort-5.7.1/tablesort.min.js: sha256 differs from the pin",
    ]


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_fetching_refuses_a_tarball_or_file_that_is_not_the_pinned_one(tmp_path,
                                                                        monkeypatch) -> None:
    data = {"dist/x.js": b"x()", "LICENSE": b"MIT"}
    tarball = _tarball(data)
    good = fetch_frontend.Package("1.0.0", fetch_frontend.sha256(tarball),
                                  {p: fetch_frontend.sha256(d) for p, d in data.items()},
                                  under=tmp_path)
    monkeypatch.setattr(fetch_frontend, "VENDOR", tmp_path)
    monkeypatch.setattr(fetch_frontend, "download", lambda name, package: tarball)
    monkeypatch.setattr(fetch_frontend, "ROOT", tmp_path)
    monkeypatch.setattr(fetch_frontend, "PACKAGES", {"@scope/x": good})
    fetch_frontend.fetch()
    assert (tmp_path / "scope-x-1.0.0" / "x.js").read_bytes() == b"x()"
    assert fetch_frontend.check() == []
    bad_tarball = dataclasses.replace(good, tarball_sha256="0" * 64)
    monkeypatch.setattr(fetch_frontend, "PACKAGES", {"x": bad_tarball})
    with pytest.raises(SystemExit, match="tarball sha256"):
        fetch_frontend.fetch()
    bad_file = dataclasses.replace(good, files={**good.files, "dist/x.js": "0" * 64})
    monkeypatch.setattr(fetch_frontend, "PACKAGES", {"x": bad_file})
    with pytest.raises(SystemExit, match=r"dist/x\.js differs"):
        fetch_frontend.fetch()
    assert not (tmp_path / "x-1.0.0").exists()
    with pytest.raises(SystemExit, match=r"lacks dist/y\.js"):
        fetch_frontend.extract(tarball, ["dist/y.js"])
    assert fetch_frontend.tarball_url("@scope/x", "1.0.0").endswith("/@scope/x/-/x-1.0.0.tgz")


# ---------------------------------------------------------------------------------------------
# The pages, without JavaScript


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, base: kb.KnowledgeBase) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("tables") / "site")


def test_the_plain_tables_hold_every_record(site: Path, base: kb.KnowledgeBase) -> None:
    chips = (site / "chips" / "index.html").read_text(encoding="utf-8")
    body = chips[chips.index('id="chips-table"'):chips.index("</table>", chips.index(
        'id="chips-table"'))]
    assert body.count("<tr data-search=") == len(base.chips)
    assert " hidden" not in body
    for chip in base.chips.values():
        assert f'data-search="{chip.id}"' in body
    rules = (site / "rules" / "index.html").read_text(encoding="utf-8")
    assert rules.count("<tr data-search=") == len(base.rules)
    for page in ("chips/index", "rules/index", "vendors/index", "vendors/nvidia"):
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        assert 'data-kb-table=' in html, page
        assert re.search(r'<script src="(\.\./)+assets/vendor/tablesort-5\.7\.1/'
                         r'tablesort\.min\.js"', html), page


# ---------------------------------------------------------------------------------------------
# In a browser


# The browser is the session's (tests/conftest.py): one Playwright per process.


def _page(browser: Any, width: int = 1366, height: int = 900) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


def _column(page: Any, key: str, attr: str = "data-sort", visible: bool = True) -> list[str]:
    """The column's values (a cell attribute, or "text") in row order."""
    return page.evaluate(
        """([key, attr, visible]) => {
            const table = document.getElementById("chips-table");
            const col = [...table.tHead.rows[0].cells].findIndex(
                th => th.getAttribute("data-key") === key);
            return [...table.tBodies[0].rows].filter(r => !visible || !r.hidden).map(r => {
                const cell = r.cells[col];
                return attr === "text" ? cell.textContent.trim() : cell.getAttribute(attr);
            });
        }""", [key, attr, visible])


def _numbers_then_blanks(values: list[str], descending: bool) -> None:
    numbers = [float(v) for v in values if v != ""]
    assert numbers == sorted(numbers, reverse=descending)
    assert values[:len(numbers)] == [v for v in values if v != ""], "rows with no figure last"
    assert len(numbers) >= 10 and len(values) > len(numbers)


def _vendor_and_status(base: kb.KnowledgeBase) -> tuple[str, str, set[str]]:
    day = render.as_of(base)
    nvidia = base.organizations["nvidia"].name
    wanted = {c.id for c in base.chips.values() if c.vendor == "nvidia"
              and render.china_status(base, c, day) == "licence required"}
    return nvidia, "licence required", wanted


def test_chips_table_sorts_filters_and_keeps_its_state_in_the_address(
        browser: Any, site: Path, base: kb.KnowledgeBase) -> None:
    page, problems = _page(browser)
    url = (site / "chips" / "index.html").as_uri()
    page.goto(url)
    tpp = page.locator("#chips-table th[data-key=tpp]")
    tpp.click()  # numbers: the largest first
    assert tpp.get_attribute("aria-sort") == "descending"
    _numbers_then_blanks(_column(page, "tpp"), descending=True)
    shown = _column(page, "tpp", "text")
    assert shown[0] != "—" and shown[-1] == "—"
    tpp.click()
    assert tpp.get_attribute("aria-sort") == "ascending"
    _numbers_then_blanks(_column(page, "tpp"), descending=False)
    tpp.click()
    assert "sort=tpp" in page.url and "dir=desc" in page.url

    released = page.locator("#chips-table th[data-key=released]")
    released.click()
    dates = [d for d in _column(page, "released") if d]
    assert dates == sorted(dates) and len(dates) > 10
    tpp.click()
    assert tpp.get_attribute("aria-sort") == "descending"
    assert released.get_attribute("aria-sort") is None

    vendor, status, wanted = _vendor_and_status(base)
    assert len(wanted) >= 3
    page.select_option("select[data-key=vendor]", vendor)
    page.select_option("select[data-key=status]", status)
    ids = set(_column(page, "chip", "text"))
    names = {base.chips[c].name for c in wanted}
    assert ids == names
    assert page.locator(".kb-table-count").inner_text() == (
        f"{len(wanted)} of {len(base.chips)} chips shown")
    visible_tpp = [float(v) for v in _column(page, "tpp") if v]
    assert visible_tpp == sorted(visible_tpp, reverse=True)
    state = parse_qs(urlsplit(page.url).fragment)
    assert state == {"vendor": [vendor], "status": [status], "sort": ["tpp"], "dir": ["desc"]}

    # A reload, and the same address opened afresh, show the same view.
    filtered = page.url
    before = _column(page, "chip", "text")
    page.reload()
    assert page.locator("select[data-key=vendor]").input_value() == vendor
    assert page.locator("select[data-key=status]").input_value() == status
    assert _column(page, "chip", "text") == before
    fresh, fresh_problems = _page(browser)
    fresh.goto(filtered)
    assert _column(fresh, "chip", "text") == before
    assert fresh.locator("#chips-table th[data-key=tpp]").get_attribute("aria-sort") == "descending"

    # The text filter; "Show all" brings every row back and clears the address.
    fresh.fill(".kb-table-tools input[type=search]", "H20")
    assert set(_column(fresh, "chip", "text")) == {
        base.chips[c].name for c in wanted if "h20" in (base.chips[c].name + c).lower()}
    assert "q=H20" in fresh.url
    fresh.get_by_role("button", name="Show all").click()
    assert len(_column(fresh, "chip", "text")) == len(base.chips)
    assert "vendor=" not in fresh.url and "q=" not in fresh.url

    # An address naming a value the table does not hold shows everything, not nothing.
    fresh.goto(url + "#vendor=Nobody&sort=density&dir=asc")
    assert len(_column(fresh, "chip", "text")) == len(base.chips)
    _numbers_then_blanks(_column(fresh, "density"), descending=False)
    assert problems == [] and fresh_problems == []
    page.close()
    fresh.close()


def _broken_words(page: Any) -> list[str]:
    """Names in the first column with a word split across lines."""
    return page.evaluate(
        """() => {
            const broken = [];
            for (const a of document.querySelectorAll("table.kb-sortable td:first-child a")) {
                const node = a.firstChild;
                if (!node || node.nodeType !== 3) continue;
                const text = node.textContent;
                // A line may end after a hyphen or a slash ("first-", "workstation/"), and
                // between any two Chinese characters: those are the script's own break points;
                // anywhere else is a word cut in two.
                const cjk = "\\u3000-\\u9fff\\uff00-\\uffef";
                const re = new RegExp("[" + cjk + "]|[^\\\\s/" + cjk + "-]+[/-]?", "g");
                let m;
                while ((m = re.exec(text))) {
                    const range = document.createRange();
                    range.setStart(node, m.index);
                    range.setEnd(node, m.index + m[0].length);
                    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (tops.size > 1) broken.push(m[0]);
                }
            }
            return broken;
        }""")


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_names_wrap_between_words_only(browser: Any, site: Path, width: int,
                                       height: int) -> None:
    page, problems = _page(browser, width, height)
    for path in ("chips/index", "rules/index", "vendors/index", "vendors/nvidia"):
        page.goto((site / f"{path}.html").as_uri())
        assert page.locator("table.kb-sortable td:first-child a").count() > 0, path
        assert _broken_words(page) == [], path
    assert problems == []
    page.close()


def test_on_a_phone_the_status_shows_without_scrolling_sideways(browser: Any,
                                                                site: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, problems = _page(browser, 390, 844)
    page.goto((site / "chips" / "index.html").as_uri())
    page.locator("#chips-table").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "chips-index-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    edges = page.evaluate(
        """() => [...document.querySelectorAll("#chips-table tbody td.kb-status")].map(
            td => [td.getBoundingClientRect().left, td.getBoundingClientRect().right])""")
    assert edges and all(0 <= left and right <= 390 for left, right in edges)
    # Scrolled sideways, the chip's name stays in view.
    page.evaluate("document.getElementById('chips-table').scrollLeft = 400")
    left = page.evaluate("document.querySelector('#chips-table td:first-child')"
                         ".getBoundingClientRect().left")
    assert 0 <= left < 40
    assert problems == []
    page.close()


def test_other_tables_sort_and_filter(browser: Any, site: Path, base: kb.KnowledgeBase) -> None:
    page, problems = _page(browser)
    page.goto((site / "rules" / "index.html").as_uri())
    page.locator("#rules-table th[data-key=from]").click()
    page.locator("#rules-table th[data-key=from]").click()
    dates = page.eval_on_selector_all(
        "#rules-table tbody tr td:nth-child(2)", "tds => tds.map(td => td.dataset.sort)")
    known = [d for d in dates if d]
    assert known == sorted(known, reverse=True) and dates[len(known):] == [""] * (
        len(dates) - len(known))
    page.select_option("select[data-key=jurisdiction]", "Japan")
    shown = page.eval_on_selector_all("#rules-table tbody tr:not([hidden]) td:nth-child(3)",
                                      "tds => tds.map(td => td.textContent)")
    assert shown and set(shown) == {"Japan"}
    assert len(shown) == sum(r.jurisdiction == "JP" for r in base.rules.values())

    page.goto((site / "vendors" / "index.html").as_uri())
    page.locator("#vendors-table th[data-key=chips]").click()
    counts = page.eval_on_selector_all("#vendors-table tbody td:nth-child(3)",
                                       "tds => tds.map(td => Number(td.textContent))")
    assert counts == sorted(counts, reverse=True) and counts[0] > 9  # 10 sorts after 9
    # The vendor page's China column, filtered from the page's address as on the chips index.
    page.goto((site / "vendors" / "nvidia.html").as_uri() + "#status=licence+required")
    statuses = page.eval_on_selector_all("#vendor-chips tbody tr:not([hidden]) td:nth-child(2)",
                                         "tds => tds.map(td => td.textContent)")
    assert statuses and set(statuses) == {"licence required"}
    assert len(statuses) < sum(c.vendor == "nvidia" for c in base.chips.values())
    assert problems == []
    page.close()
