"""`kb build` and `kb serve`: render pages into build/docs, then mkdocs-material builds the site."""

from __future__ import annotations

import calendar
import filecmp
import logging
import multiprocessing
import multiprocessing.context
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.errors import KBError, RecordsInvalid
from kb.knowledge import KnowledgeBase


class BuildError(KBError):
    """The site could not be built."""


def project_root(records: Path) -> Path:
    """The checkout holding mkdocs.yml and docs/ (the records folder's parent)."""
    root = records.resolve().parent
    if not (root / "mkdocs.yml").is_file() or not (root / "docs").is_dir():
        raise BuildError(f"no mkdocs.yml and docs/ next to {records}; run kb build in a checkout")
    return root


def stage(base: KnowledgeBase, root: Path, staging: Path, charts: bool = True) -> None:
    """Render every page (and, unless told not to, every chart) and download into ``staging``,
    touching only files that change."""
    from kb.site import render

    with tempfile.TemporaryDirectory(prefix="kb-stage-") as tmp:
        fresh = Path(tmp) / "docs"
        render.render_site(base, root / "docs", fresh, charts=charts,
                           cache=root / "build" / "cache" / "jinja")
        if charts:
            write_downloads(base, fresh / DOWNLOADS)
            sync_tree(fresh, staging)
        else:  # made elsewhere meanwhile: leave the last ones until the new ones arrive
            sync_tree(fresh, staging, keep=(CHARTS, DOWNLOADS))


def write_downloads(base: KnowledgeBase, folder: Path) -> None:
    from kb import export

    export.export_sqlite(base, folder / "kb.sqlite")
    export.export_json(base, folder / "api")
    export.export_csv(base, folder / "csv")


def sync_tree(src: Path, dst: Path, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Make ``dst`` equal ``src``, writing only changed files (so watchers see real changes);
    folders in ``keep`` (relative to ``dst``) are left alone."""
    changed: list[Path] = []
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif not target.exists() or not filecmp.cmp(path, target, shallow=False):
            shutil.copyfile(path, target)
            changed.append(target)
    kept = {str(k) for k in keep}
    for folder, dirs, files in os.walk(dst, topdown=True):
        rel_folder = os.path.relpath(folder, dst)
        # Never descend into kept folders; remove what the fresh tree no longer has.
        for name in sorted(dirs):
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if rel in kept:
                dirs.remove(name)
            elif not (src / rel).exists():
                shutil.rmtree(Path(folder, name))
                dirs.remove(name)
        for name in files:
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if not (src / rel).exists():
                Path(folder, name).unlink()
    return changed


@contextmanager
def _source_date(base: KnowledgeBase) -> Iterator[None]:
    """Pin mkdocs' build date (sitemap, page dates) to the records' own date."""
    from kb.site.render import as_of

    old = os.environ.get("SOURCE_DATE_EPOCH")
    if old is None:
        day = as_of(base)
        os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm(day.timetuple()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def mkdocs_build(root: Path, staging: Path, out: Path) -> None:
    """Run mkdocs-material on the staged pages, strictly: any warning fails the build."""
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(config_file=str(root / "mkdocs.yml"), docs_dir=str(staging),
                         site_dir=str(out), strict=True)
    try:
        build(config)
    except exceptions.MkDocsException as exc:
        raise BuildError(f"mkdocs build failed: {exc}") from None
    # The theme looks for an inlined index when a page is opened from disk (file://); without it
    # the page logs an error. Searching from disk needs a web worker, which browsers refuse on
    # file://, so there the home page's record finder (assets/finder.js) does the finding.
    index = out / "search" / "search_index.json"
    if index.is_file():
        (out / "search" / "search_index.js").write_text(
            "var __index = " + index.read_text(encoding="utf-8"), encoding="utf-8")


def build_site(base: KnowledgeBase, out: Path | None = None) -> Path:
    """The whole pipeline: records -> pages -> site. Returns the site folder."""
    if base.root is None:
        raise BuildError("the knowledge base was not loaded from a records folder")
    root = project_root(base.root)
    out = out or root / "site"
    staging = root / "build" / "docs"
    # Charts (matplotlib) and downloads take about as long as mkdocs and mkdocs reads neither:
    # make them in a second process meanwhile and copy them in when both are done.
    with tempfile.TemporaryDirectory(prefix="kb-assets-") as tmp, \
            ProcessPoolExecutor(max_workers=1, mp_context=_mp_context()) as pool:
        assets = pool.submit(_make_assets, str(base.root), tmp)
        with _source_date(base):
            stage(base, root, staging, charts=False)
            logging.getLogger("mkdocs").setLevel(logging.WARNING)
            mkdocs_build(root, staging, out)
        assets.result()
        for folder in (CHARTS, DOWNLOADS):
            # mkdocs wrote a fresh site without the new ones; the staging copy serves `kb serve`
            # and the Zensical check.
            shutil.copytree(Path(tmp) / folder, out / folder, dirs_exist_ok=True)
            sync_tree(Path(tmp) / folder, staging / folder)
    return out


CHARTS = Path("assets") / "charts"
DOWNLOADS = Path("downloads")


def _mp_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _make_assets(records: str, folder: str) -> None:
    from kb import loader
    from kb.site import charts

    base = loader.load(records)
    charts.write_all(base, Path(folder) / CHARTS)
    write_downloads(base, Path(folder) / DOWNLOADS)


def serve(records: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the site with live reload; rebuild when records, templates or docs/ change.

    One watcher drives everything: a change re-renders the pages (about 0.3 s), mkdocs rebuilds
    only the pages whose files changed (dirty build), and charts and downloads follow in the
    background. Invalid records keep the last good pages and print every problem.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.livereload import LiveReloadServer, _serve_url

    from kb import loader

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)  # dirty builds warn about navigation
    root = project_root(records)
    staging = root / "build" / "docs"
    site_dir = Path(tempfile.mkdtemp(prefix="kb-serve-"))
    assets_lock = threading.Lock()

    def config() -> Any:
        cfg = load_config(config_file=str(root / "mkdocs.yml"), docs_dir=str(staging),
                          site_dir=str(site_dir), strict=False)
        cfg.site_url = serve_url
        return cfg

    pool = ProcessPoolExecutor(max_workers=1, mp_context=_mp_context())

    def refresh_assets(_fresh: KnowledgeBase) -> None:
        # Charts and downloads take about a second: a second process makes them (no GIL shared
        # with the next rebuild), then they are copied in. A record broken meanwhile skips them.
        with assets_lock, tempfile.TemporaryDirectory(prefix="kb-assets-") as tmp:
            try:
                pool.submit(_make_assets, str(records), tmp).result()
            except Exception:  # the next good save makes them again
                return
            for folder in (CHARTS, DOWNLOADS):
                sync_tree(Path(tmp) / folder, staging / folder)
                sync_tree(Path(tmp) / folder, site_dir / folder)

    first = [True]
    latest: list[KnowledgeBase] = []

    def builder(_config: Any = None) -> None:
        start = time.perf_counter()
        try:
            fresh = loader.load(records)
        except RecordsInvalid as exc:
            for problem in exc.problems:
                print(problem.format(), file=sys.stderr)
            print("kb serve: records invalid; keeping the last good pages", file=sys.stderr)
            return
        latest[:] = [fresh]
        stage(fresh, root, staging, charts=False)
        build(config(), serve_url=serve_url, dirty=not first[0])
        first[0] = False
        print(f"kb serve: rebuilt in {time.perf_counter() - start:.2f} s", file=sys.stderr)
        threading.Thread(target=refresh_assets, args=(fresh,), daemon=True).start()

    serve_url = _serve_url(host, port, "/")
    server = LiveReloadServer(builder=builder, host=host, port=port, root=str(site_dir),
                              polling_interval=0.2)
    try:
        builder()
        if latest:
            refresh_assets(latest[0])
        for folder in (records, Path(__file__).parent / "templates", root / "docs"):
            server.watch(str(folder))
        server.watch(str(root / "mkdocs.yml"))
        try:
            server.serve()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
    finally:
        pool.shutdown(cancel_futures=True)
        shutil.rmtree(site_dir, ignore_errors=True)
