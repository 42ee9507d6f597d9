"""The static site: every record has a page, links resolve, builds repeat byte for byte,
hostile record text stays inert, and a real browser can use it (search included)."""

from __future__ import annotations

import contextlib
import filecmp
import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import copy_project

import kb
from kb.site import build

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"  # git-ignored; kept for people to look at


@pytest.fixture(scope="session")
def site(tmp_path_factory, base) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def xss_site(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("xss"))
    for kind in ("chips", "sources", "organizations", "rules"):
        for path in (ROOT / "tests" / "fixtures" / "xss" / kind).glob("*.yaml"):
            shutil.copy(path, project / "records" / kind)
    return build.build_site(kb.load(project / "records"), project / "site")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src") and tag in ("a", "img", "script", "link"):
                self.links.append(value)
            if name == "id":
                self.ids.add(value)


def test_a_page_for_every_chip_rule_and_vendor(site, base):
    for chip in base.chips:
        assert (site / "chips" / f"{chip}.html").is_file()
    for rule in base.rules:
        assert (site / "rules" / f"{rule}.html").is_file()
    for page in ("index", "chips/index", "rules/index", "vendors/index", "market", "methodology",
                 "querying", "contributing", "downloads"):
        assert (site / f"{page}.html").is_file(), page
    for chart in ("tpp-density", "tpp-release", "market-share"):
        svg = (site / "assets" / "charts" / f"{chart}.svg").read_text()
        assert svg.startswith("<?xml") and "<svg" in svg


def test_no_broken_internal_link(site):
    pages = sorted(site.rglob("*.html"))
    ids: dict[Path, set[str]] = {}
    parsed: dict[Path, _Links] = {}
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page] = parser
        ids[page] = parser.ids
    broken = []
    for page, parser in parsed.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:")):
                continue
            if parts.path.startswith("/"):  # 404.html links from the site root
                target = (site / unquote(parts.path).lstrip("/")).resolve()
            else:
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif parts.fragment and target.suffix == ".html" and target in ids \
                    and parts.fragment not in ids[target]:
                broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert broken == []


def test_navigation_lists_sections_only_and_site_is_small(site, base):
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = home[home.index('class="md-tabs'):home.index("</nav>", home.index('class="md-tabs'))]
    assert "nvidia-h100-sxm" not in nav
    def size(folder: Path, but: str | None = None) -> int:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()
                   and not (but and p.relative_to(folder).as_posix().startswith(but)))

    assert size(site, but="ja/") < 30 * 1024 * 1024  # the English edition, with the downloads
    assert size(site / "ja") < 20 * 1024 * 1024  # the Japanese pages (they link the downloads)


def test_chip_page_shows_provenance_and_derivation(site):
    page = (site / "chips" / "nvidia-h100-sxm.html").read_text(encoding="utf-8")
    assert "15,831.2" in page and "set by fp8" in page
    assert 'id="source-1"' in page and "#source-1" in page
    assert "Status over time" in page and "3A090.a" in page


def test_rule_page_has_impact_summary(site):
    page = (site / "rules" / "us-bis-2023-10-advanced-computing.html").read_text(encoding="utf-8")
    assert "Newly controlled" in page
    newly = page[page.index('id="newly-controlled"'):page.index('id="released-afterwards')]
    assert "A800" in newly and "H800" in newly
    assert "What changed against the previous version" in page
    assert "interconnect of at least 600 GB/s" in page  # the 2022 criterion, shown as "before"


def test_two_builds_are_identical(site, base, tmp_path):
    again = build.build_site(base, tmp_path / "again")
    diff = filecmp.dircmp(site, again)

    def differences(d: filecmp.dircmp) -> list[str]:
        out = d.left_only + d.right_only + d.diff_files + d.funny_files
        for sub in d.subdirs.values():
            out += differences(sub)
        return out

    # dircmp compares shallowly; compare every file's bytes too.
    assert differences(diff) == []
    for path in site.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(site)).read_bytes(), path


def test_hostile_text_is_escaped_in_the_html(xss_site):
    for page in xss_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script>window\.__xss", html), page
        assert not re.search(r"<(img|svg|iframe|details|b)\b[^>]*\bon\w+=", html, re.I), page
        assert 'href="javascript:' not in html, page
        assert "<style>body" not in html, page
        # A URL that validation lets through is still escaped in its attribute.
        assert "&a=1&b=2" not in html, page
    chip = (xss_site / "chips" / "xss-chip.html").read_text(encoding="utf-8")
    assert "q=%22%3E%3Cscript%3Ewindow.__xss=6%3C/script%3E&amp;a=1&amp;b=2" in chip


# ---------------------------------------------------------------------------------------------
# A real browser


# The browser fixture is conftest.py's: one Playwright per test run.


@pytest.fixture(scope="session")
def served(site) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))

    class Quiet(handler.func):  # type: ignore[name-defined, misc]
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _watched_page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    return page, problems


def test_browser_pages_and_search(browser, served):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, problems = _watched_page(browser)
    for path, name in (("/index.html", "home"), ("/chips/nvidia-h20.html", "chip"),
                       ("/rules/us-bis-2023-10-advanced-computing.html", "rule")):
        page.goto(served + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
    page.goto(served + "/index.html")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("H20", delay=50)
    result = page.locator(".md-search-result__item a[href*='/nvidia-h20.html']").first
    result.wait_for(timeout=10_000)
    result.click()
    page.wait_for_url(re.compile(r".*/chips/nvidia-h20\.html.*"))
    assert "H20" in page.locator("h1").first.inner_text()
    page.screenshot(path=str(SHOTS / "search-result.png"))
    assert problems == []
    page.close()


def test_record_finder_works_from_disk(browser, site):
    page, problems = _watched_page(browser)
    page.goto((site / "index.html").as_uri())
    page.locator("#kb-find").fill("H20")
    link = page.locator("#kb-find-results a[href$='chips/nvidia-h20.html']")
    link.click()
    page.wait_for_url(re.compile(r".*/chips/nvidia-h20\.html$"))
    assert problems == []
    page.close()


def test_xss_payloads_do_not_run(browser, xss_site):
    page, problems = _watched_page(browser)
    for path in sorted(xss_site.rglob("*.html")):
        page.goto(path.as_uri())
        page.mouse.move(10, 10)
        assert page.evaluate("window.__xss === undefined"), path
    page.goto((xss_site / "index.html").as_uri())
    page.locator("#kb-find").fill("script")
    assert page.evaluate("window.__xss === undefined")
    assert [p for p in problems if "dialog" in p] == []
    page.close()


def test_serve_rerenders_when_a_record_changes(tmp_path):
    import socket
    import time
    import urllib.request

    project = copy_project(tmp_path / "project")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", str(port),
                             "--records", str(project / "records")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/chips/acme-x1.html"

    def fetch() -> str:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")

    def wait_for(text: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            try:
                last = fetch()
                if text in last:
                    return last
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{text!r} never appeared")

    try:
        wait_for("Acme X1", 60)
        record = project / "records" / "chips" / "acme-x1.yaml"
        record.write_text(record.read_text().replace("name: Acme X1", "name: Acme X1 Renamed"))
        wait_for("Acme X1 Renamed", 30)
        # A broken record keeps the last good pages and says why.
        record.write_text(record.read_text().replace("kind: asic", "kind: nope"))
        time.sleep(2)
        assert "Acme X1 Renamed" in fetch()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "records invalid; keeping the last good pages" in out
    assert "Traceback" not in out


def test_chip_pages_rendered_by_a_forked_helper_are_the_same(monkeypatch, base):
    from kb.site import render

    alone = render.render_pages(base, ROOT / "docs")
    monkeypatch.setattr(render, "MIN_CHIPS_TO_SHARE", 1)
    shared = render.render_pages(base, ROOT / "docs", helpers=2)
    assert shared == alone
    assert sum(p.startswith("chips/") for p in shared) == len(base.chips) + 1


def test_sync_files_writes_only_changes_and_keeps_kept_folders(tmp_path):
    dst = tmp_path / "staging"
    first = build.sync_files({"a.md": b"one", "x/b.md": b"two", "x/y/c.md": b"three"}, dst)
    assert sorted(p.relative_to(dst).as_posix() for p in first) == ["a.md", "x/b.md", "x/y/c.md"]
    (dst / "downloads").mkdir()
    (dst / "downloads" / "kb.sqlite").write_bytes(b"db")
    (dst / "stale").mkdir()
    (dst / "stale" / "old.md").write_text("gone")
    again = build.sync_files({"a.md": b"one", "x/b.md": b"TWO"}, dst, keep=(Path("downloads"),))
    assert [p.relative_to(dst).as_posix() for p in again] == ["x/b.md"]
    assert (dst / "x" / "b.md").read_bytes() == b"TWO"
    assert not (dst / "x" / "y").exists() and not (dst / "stale").exists()
    assert (dst / "downloads" / "kb.sqlite").read_bytes() == b"db"


def test_asset_diff_names_changes_and_removals_and_applies_them(tmp_path):
    new, old = tmp_path / "new", tmp_path / "old"
    build.sync_files({"api/a.json": b"1", "api/b.json": b"2", "kb.sqlite": b"db"}, new)
    build.sync_files({"api/a.json": b"1", "api/b.json": b"old", "api/gone/c.json": b"3"}, old)
    changed, removed = build.diff_tree(new, old)
    assert (changed, removed) == (["api/b.json", "kb.sqlite"], ["api/gone/c.json"])
    build.apply_diff(new, old, changed, removed)
    assert build.diff_tree(new, old) == ([], [])
    assert not (old / "api" / "gone").exists()


@pytest.mark.parametrize("day", ["2022-12-01", "2023-12-01", "2025-06-01", None])
def test_pages_china_status_skips_only_chips_that_need_no_licence(base, day):
    import datetime as dt

    from kb.site import render

    on = dt.date.fromisoformat(day) if day else render.as_of(base)
    state = render._State(base, render.environment(None), on)
    assert state.cn_status == {cid: render.china_status(base, chip, on)
                               for cid, chip in base.chips.items()}
    assert render.NO_LICENCE in state.cn_status.values()


def test_a_broken_link_in_the_docs_fails_the_build_saying_where(tmp_path, capsys):
    from kb.cli import main

    project = copy_project(tmp_path / "project")
    with (project / "docs" / "methodology.md").open("a") as doc:
        doc.write("\nSee [nothing](no-such-page.md).\n")
    assert main(["build", "--records", str(project / "records")]) == 1
    err = capsys.readouterr().err
    said = re.findall(r"kb build: mkdocs WARNING: .*'methodology\.md'.*'no-such-page\.md'", err)
    assert len(said) == 1, err
    assert "1 warnings in strict mode" in err and "Traceback" not in err


def test_chip_pages_give_kb_classifys_licence_answer_for_china(site, base):
    # The "Today" line of every chip page says what `kb classify CHIP --to CN` says in sum on
    # the page's date, including "licence required" where one of 3A090.a or .b catches the chip
    # whichever value its figures allow.
    from kb import cli
    from kb.site import render

    day = render.as_of(base)
    words = {True: "licence required", False: "no licence required", None: "undetermined"}
    for chip in base.chips.values():
        page = (site / "chips" / f"{chip.id}.html").read_text(encoding="utf-8")
        found = re.search(r"</strong> \(no recorded change since [0-9-]+\): ([a-z ]+) for "
                          r"exports to China", page)
        assert found, chip.id
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["classify", chip.id, "--on", day.isoformat(), "--to", "CN",
                             "--json"]) == 0
        licence = json.loads(out.getvalue()).get("licence")
        want = words[licence["value"]] if licence else "no licence required"
        assert found.group(1) == want, chip.id


def _china_today(chip_page: str) -> str:
    """A chip page's "Today" answer for China (licence required, no licence required or
    undetermined)."""
    found = re.search(r"</strong> \(no recorded change since [0-9-]+\): ([a-z ]+) for "
                      r"exports to China", chip_page)
    assert found
    return found.group(1)


class _Text(HTMLParser):
    """The text of each <p>, <li>, table cell and caption fed to it, with the links each holds
    (scripts left out)."""

    BLOCKS = ("p", "li", "td", "th", "figcaption")

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.blocks: list[tuple[str, list[str]]] = []
        self._open: list[tuple[list[str], list[str]]] = []
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self._open.append(([], []))
        elif tag == "a":
            self._link = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag == "a" and self._link is not None:
            if self._open:
                self._open[-1][1].append(" ".join("".join(self._link).split()))
            self._link = None
        elif tag in self.BLOCKS and self._open:
            text, links = self._open.pop()
            self.blocks.append((" ".join("".join(text).split()), links))
            if self._open:
                self._open[-1][0].extend(text)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            if self._open:
                self._open[-1][0].append(data)
            if self._link is not None:
                self._link.append(data)


def _blocks(path: Path) -> list[tuple[str, list[str]]]:
    """The text blocks of a page's content (the theme's header and navigation left out)."""
    html = path.read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(html[html.index("<article"):html.index("</article>")])
    return parser.blocks


def test_vendor_pages_give_each_chip_the_china_answer_of_its_page(site, base):
    # The vendor page's "China, today" column and the chip page's "Today" line say the same,
    # for every chip of every vendor: `kb classify --to CN` in sum.
    from kb.site import render

    day = render.as_of(base)
    vendors = {c.vendor for c in base.chips.values()}
    for vid in sorted(vendors):
        html = (site / "vendors" / f"{vid}.html").read_text(encoding="utf-8")
        table = html[html.index('id="vendor-chips"'):html.index("</table>",
                                                                html.index('id="vendor-chips"'))]
        assert "<th" in table and ">China, today</th>" in table, vid
        rows = re.findall(r'<a href="\.\./chips/([a-z0-9-]+)\.html">[^<]*</a></td>'
                          r'<td class="kb-status[^"]*">([a-z ]+)</td>', table)
        chips = sorted(c.id for c in base.chips.values() if c.vendor == vid)
        assert sorted(cid for cid, _ in rows) == chips, vid
        for cid, answer in rows:
            page = (site / "chips" / f"{cid}.html").read_text(encoding="utf-8")
            assert answer == _china_today(page), (vid, cid)
            assert answer == render.china_status(base, base.chips[cid], day), (vid, cid)


def test_lists_of_links_read_with_a_space_after_each_comma(site, base):
    # Rule pages list the chips each control caught as "A, B, C", not "A,B,C"; the same for
    # every list of links on every page ("or" and ";" included).
    rule = site / "rules" / "us-bis-2023-10-advanced-computing.html"
    caught = [(text, links) for text, links in _blocks(rule) if text.startswith("Caught: ")]
    assert caught
    for text, links in caught:
        assert len(links) > 1
        assert text == "Caught: " + ", ".join(links) + "."
    later = next(text for text, _ in
                 _blocks(site / "rules" / "us-bis-2022-10-advanced-computing.html")
                 if text.startswith("January 2023 Macau extension"))
    assert later.startswith("January 2023 Macau extension, October 2023 advanced computing rule")
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        content = html[html.find("<article"):]
        assert not re.search(r"</a>[,;]?<a\b", content), page.relative_to(site)
        assert not re.search(r"3A090\.[ab](?:or\b|[,;]?<a\b)", content), page.relative_to(site)


def test_the_separators_templates_print_keep_their_spaces():
    # Every {{ value }} is escaped and its spaces collapsed at both ends (kb.site.markup), so a
    # separator printed as {{ ", " }} would lose its space: templates write them as text.
    from jinja2 import nodes

    from kb.site import render

    def padded(node: nodes.Node) -> list[str]:
        if isinstance(node, nodes.Const):
            value = node.value
            return [value] if isinstance(value, str) and value != value.strip() else []
        if isinstance(node, nodes.Filter | nodes.Test):  # a filter's arguments are not printed
            return padded(node.node) if node.node is not None else []
        if isinstance(node, nodes.Call):  # Markup(" ← TPP"): printed as it is
            return []
        return [s for child in node.iter_child_nodes() for s in padded(child)]

    env = render.environment()
    assert padded(env.parse('{{ ", " if not loop.last }}').body[0])  # what this test catches
    found = []
    for name in env.list_templates():
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        for output in env.parse(source).find_all(nodes.Output):
            for node in output.nodes:
                if not isinstance(node, nodes.TemplateData) and padded(node):
                    found.append(f"{name}:{node.lineno}: {padded(node)}")
    assert found == []


def test_chip_pages_show_other_names_escaped(site, xss_site, base):
    blocks = [text for text, _ in _blocks(site / "chips" / "nvidia-h20.html")]
    assert "Also called: H20, HGX H20." in blocks
    for chip in base.chips.values():
        html = (site / "chips" / f"{chip.id}.html").read_text(encoding="utf-8")
        assert ("Also called: " in html) == bool(chip.aliases), chip.id
    hostile = (xss_site / "chips" / "xss-chip.html").read_text(encoding="utf-8")
    assert "Also called: &lt;img src=x onerror=window.__xss=9&gt;." in hostile


class _Pictures(HTMLParser):
    """Every chart <img> with whether it sits in a <picture> and the narrow files offered."""

    def __init__(self) -> None:
        super().__init__()
        self.picture: list[str] | None = None
        self.charts: list[tuple[str, str, list[str] | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "picture":
            self.picture = []
        elif tag == "source" and self.picture is not None:
            self.picture.append(a.get("srcset") or "")
        elif tag == "img" and "assets/charts/" in (a.get("src") or ""):
            self.charts.append((a.get("src") or "", a.get("alt") or "",
                                None if self.picture is None else list(self.picture)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "picture":
            self.picture = None


def test_every_chart_offers_its_narrow_file_to_phones(site):
    # The home page and the chips index among them: a <picture> whose <source> gives phones the
    # narrow file, and an alt text saying what the chart shows.
    seen = set()
    for page in sorted(site.rglob("*.html")):
        parser = _Pictures()
        parser.feed(page.read_text(encoding="utf-8"))
        for src, alt, sources in parser.charts:
            where = f"{page.relative_to(site)}: {src}"
            assert sources is not None, where
            assert sources == [src.removesuffix(".svg") + "-narrow.svg"], where
            assert (page.parent / sources[0]).is_file(), where
            if page.relative_to(site).parts[0] == "ja":  # no spaces between Japanese words
                assert len(alt) >= 30 and alt.endswith("。"), where
            else:
                assert len(alt.split()) >= 8 and alt.endswith("."), where
            seen.add(src.rsplit("/", 1)[-1])
    assert {"tpp-density.svg", "tpp-release.svg", "market-share.svg"} <= seen
