"""mkdocs' page work shared with forked workers: the site is the same byte for byte, warnings
and errors in a worker's pages still fail the build, and anything the split cannot carry makes
it stop or step aside rather than build a different site."""

from __future__ import annotations

import filecmp
import logging
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from kb.outputs import MANIFEST
from kb.site import build, forked, pagesplit

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """site_name: Split
use_directory_urls: false
strict: true
theme: {name: material, features: [navigation.tabs]}
plugins: [search]
markdown_extensions: [tables, attr_list, md_in_html, admonition, {toc: {permalink: false}}]
validation: {anchors: warn, unrecognized_links: warn}
nav:
  - index.md
  - Named: named.md
  - Section: [section/a.md, section/b.md]
not_in_nav: |
  /more/*.md
"""


def _project(root: Path, pages: int = 9) -> Path:
    """A small mkdocs-material project whose pages link across the shares: titles from the
    first heading, from front matter and from the navigation, pages outside the navigation,
    anchors in other pages, a page left out of search."""
    docs = root / "docs"
    (docs / "section").mkdir(parents=True)
    (docs / "more").mkdir()
    (root / "mkdocs.yml").write_text(CONFIG + f"docs_dir: {docs}\n")
    (docs / "index.md").write_text("# Home page\n\nSee [b's part](section/b.md#part-two).\n")
    (docs / "named.md").write_text("---\ntitle: From front matter\n---\n\nText *here*.\n")
    (docs / "section" / "a.md").write_text("# Alpha\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    (docs / "section" / "b.md").write_text(
        "# Beta\n\n## Part two\n\nBack to [alpha](a.md#alpha).\n\n!!! note\n    Noted.\n")
    for i in range(pages):
        search = "---\nsearch: {exclude: true}\n---\n\n" if i == 3 else ""
        (docs / "more" / f"p{i}.md").write_text(
            f"{search}# Page {i}\n\n## Part {i} {{#part-{i}}}\n\n"
            f"Next: [page](p{(i + 1) % pages}.md#part-{(i + 1) % pages}), "
            f"[home](../index.md).\n")
    return docs


def _build(root: Path, out: Path, jobs: int, docs: str = "docs") -> Path:
    build.mkdocs_build(root, root / docs, out, jobs)
    return out


def _same_tree(a: Path, b: Path) -> None:
    """The same site, apart from the manifest kb build leaves (mkdocs alone writes none)."""
    names_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*")
                     if p.is_file() and p.name != MANIFEST)
    names_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*")
                     if p.is_file() and p.name != MANIFEST)
    assert names_a == names_b
    _match, mismatch, errors = filecmp.cmpfiles(a, b, names_a, shallow=False)
    assert mismatch == [] and errors == []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780185600")
    _project(tmp_path / "project")
    return tmp_path / "project"


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_shared_build_is_byte_identical(project, tmp_path, jobs):
    alone = _build(project, tmp_path / "one", 1)
    shared = _build(project, tmp_path / f"jobs-{jobs}", jobs)
    _same_tree(alone, shared)
    index = (shared / "search" / "search_index.json").read_text()
    assert "Part two" in index and "Page 8" in index and "Page 3" not in index
    assert multiprocessing.active_children() == []


def test_the_real_site_is_the_same_shared_or_not(base, tmp_path):
    from kb.site.build import _source_date

    # The English edition: its pages' split is what is compared (the Japanese one is built by
    # the same function, from its own staging folder).
    site = build.build_site(base, tmp_path / "site", languages=("en",))  # as many jobs as CPUs
    root = build.project_root(base.root)
    with _source_date(base):
        alone = _build(root, tmp_path / "one", 1, "build/docs")
        shared = _build(root, tmp_path / "three", 3, "build/docs")
    _same_tree(alone, site)
    _same_tree(alone, shared)


def test_each_page_is_converted_and_rendered_once_shared_among_processes(project, tmp_path,
                                                                         monkeypatch):
    from mkdocs.commands import build as mk

    log = tmp_path / "calls.log"

    def spying(step, original):
        def spy(page, *args, **kwargs):
            with log.open("a") as out:  # one short line per write: appends do not interleave
                out.write(f"{step} {os.getpid()} {page.file.src_uri}\n")
            original(page, *args, **kwargs)
        return spy

    monkeypatch.setattr(mk, "_populate_page", spying("convert", mk._populate_page))
    monkeypatch.setattr(mk, "_build_page", spying("render", mk._build_page))
    _build(project, tmp_path / "site", 3)
    calls = [line.split() for line in log.read_text().splitlines()]
    for step in ("convert", "render"):
        uris = [uri for s, _pid, uri in calls if s == step]
        assert sorted(uris) == sorted(set(uris)) and len(uris) == 13
        assert len({pid for s, pid, _uri in calls if s == step}) == 3


def test_warnings_in_worker_pages_fail_the_strict_build_once_each(project, tmp_path, caplog):
    for i in range(9):
        page = project / "docs" / "more" / f"p{i}.md"
        page.write_text(page.read_text() + f"\n[gone](missing-{i}.md)\n")
    with caplog.at_level(logging.WARNING, logger="mkdocs"), \
            pytest.raises(build.BuildError, match="9 warnings in strict mode"):
        _build(project, tmp_path / "site", 3)
    missing = [r.getMessage() for r in caplog.records if "missing-" in r.getMessage()]
    assert sorted(m.split("missing-")[1][0] for m in missing) == [str(i) for i in range(9)]
    assert multiprocessing.active_children() == []


def _worker_share(project: Path, jobs: int) -> list[str]:
    """The pages the first worker of ``jobs`` takes (mkdocs' own page order)."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    files = get_files(load_config(str(project / "mkdocs.yml")))
    return [f.src_uri for f in files.documentation_pages()][1::jobs]


def test_a_page_error_in_a_worker_stops_the_build_naming_the_page(project, tmp_path, caplog):
    broken = _worker_share(project, 2)
    assert broken
    for uri in broken:
        (project / "docs" / uri).write_bytes(b"# Bad \xff byte\n")
    with caplog.at_level(logging.ERROR, logger="mkdocs"), \
            pytest.raises(build.BuildError, match="UnicodeDecodeError"):
        _build(project, tmp_path / "site", 2)
    errors = " ".join(r.getMessage() for r in caplog.records)
    assert f"Error reading page '{broken[0]}'" in errors
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_fails_the_build(project, tmp_path, monkeypatch):
    monkeypatch.setattr(pagesplit, "_convert", lambda *args: os._exit(3))
    with pytest.raises(build.BuildError, match=r"page worker failed.*exit code 3"):
        _build(project, tmp_path / "site", 2)


def test_page_state_the_split_does_not_carry_stops_the_build(project, tmp_path, monkeypatch):
    from mkdocs.commands import build as mk

    original = mk._populate_page

    def populate(page, *args, **kwargs):
        original(page, *args, **kwargs)
        page.extra_state = 1

    monkeypatch.setattr(mk, "_populate_page", populate)
    with pytest.raises(build.BuildError, match=r"extra_state.*--jobs 1"):
        _build(project, tmp_path / "site", 2)


def test_other_plugins_mean_one_process(project, tmp_path, monkeypatch):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("plugins: [search]", "plugins: [search, tags]"))

    def no_fork(*args):
        raise AssertionError("forked despite a plugin the split does not know")

    monkeypatch.setattr(pagesplit, "Pending", no_fork)
    _build(project, tmp_path / "site", 4)
    assert (tmp_path / "site" / "more" / "p8.html").is_file()


def test_mkdocs_functions_are_restored_after_the_build(project, tmp_path):
    from mkdocs.commands import build as mk

    before = (mk._populate_page, mk._build_page)
    _build(project, tmp_path / "site", 2)
    assert (mk._populate_page, mk._build_page) == before


# ---------------------------------------------------------------------------------------------
# The fork helper.


def _fail() -> None:
    raise ValueError("no good")


def test_pending_answers_from_a_child_without_a_thread_here():
    threads = threading.active_count()
    job = forked.Pending(lambda a, b: (os.getpid(), a + b), 2, 3)
    assert threading.active_count() == threads
    pid, total = job.result()
    assert total == 5 and pid != os.getpid()
    assert job.result() == (pid, 5)  # kept


def test_pending_reports_the_childs_traceback_and_its_death():
    with pytest.raises(forked.HelperFailed, match=r"(?s)Traceback.*ValueError: no good"):
        forked.Pending(_fail).result()
    with pytest.raises(forked.HelperFailed, match="exit code 7"):
        forked.Pending(os._exit, 7).result()
    with pytest.raises(forked.HelperFailed, match="pickle"):
        forked.Pending(lambda: threading.Lock()).result()


def test_pending_cancel_stops_the_child():
    import time

    job = forked.Pending(time.sleep, 60)
    job.cancel()
    assert multiprocessing.active_children() == []
    with pytest.raises(forked.HelperFailed, match="cancelled"):
        job.result()


def test_pending_runs_here_where_the_platform_cannot_fork(monkeypatch):
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    assert forked.Pending(os.getpid).result() == os.getpid()
    with pytest.raises(forked.HelperFailed, match="ValueError"):
        forked.Pending(_fail).result()


def _build_in_a_daemon(project: str, out: str) -> bool:
    _build(Path(project), Path(out), 3)
    return multiprocessing.current_process().daemon


def test_a_build_inside_a_daemonic_process_runs_its_pages_there(project, tmp_path):
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its workers are daemonic
        assert pool.apply(_build_in_a_daemon, (str(project), str(tmp_path / "daemon")))
    _same_tree(_build(project, tmp_path / "here", 3), tmp_path / "daemon")
