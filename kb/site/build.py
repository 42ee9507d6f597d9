"""`kb build` and `kb serve`: render pages into build/docs, then mkdocs-material builds the site."""

from __future__ import annotations

import calendar
import filecmp
import gc
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from kb import i18n, outputs, project, translations
from kb.cleanup import Watcher
from kb.errors import KBError, RecordsInvalid
from kb.knowledge import KnowledgeBase
from kb.site import assetcache
from kb.site.editions import ASSETS, CHARTS, DOWNLOADS, EDITIONS, Edition, edition_of
from kb.site.forked import HelperFailed, Pending, can_fork, usable_cpus


class BuildError(KBError):
    """The site could not be built."""


def project_root(records: Path) -> Path:
    """The checkout holding mkdocs.yml and docs/ (the records folder's parent)."""
    root = records.resolve().parent
    if not (root / "mkdocs.yml").is_file() or not (root / "docs").is_dir():
        raise BuildError(f"no mkdocs.yml and docs/ next to {records}; run kb build in a checkout")
    if project.inside_package(root):
        raise BuildError(f"{records} are the records shipped inside the installed package; "
                         "run kb build in a checkout of the knowledge base")
    return root


def editions(root: Path, languages: tuple[str, ...] | None = None) -> tuple[Edition, ...]:
    """The editions to build: English, and every other whose configuration the project has
    (a project with only mkdocs.yml builds English alone), or those of ``languages``."""
    known = {e.lang for e in EDITIONS}
    if languages is not None:
        unknown = sorted(set(languages) - known)
        if unknown:
            raise BuildError(f"no edition in {', '.join(unknown)}; the editions are "
                             f"{', '.join(e.lang for e in EDITIONS)}")
        if "en" not in languages:
            raise BuildError("the English edition is always built (the others link it)")
    chosen = []
    for edition in EDITIONS:
        wanted = edition.lang in languages if languages is not None else True
        if wanted and (root / edition.config).is_file():
            chosen.append(edition)
        elif wanted and languages is not None:
            raise BuildError(f"no {edition.config} in {root}: the {edition.lang} edition "
                             "cannot be built")
    return tuple(chosen)


def staging_folder(root: Path, edition: Edition = EDITIONS[0]) -> Path:
    """Where an edition's pages are staged for mkdocs: this project's ``build/docs`` (English)
    or ``build/docs-<language>``."""
    return root / "build" / edition.staging


def stage(base: KnowledgeBase, root: Path, staging: Path, helpers: int = 0,
          edition: Edition = EDITIONS[0]) -> list[Path]:
    """Render every page of ``edition`` into ``staging``, writing only the files that change;
    charts and downloads, made apart, are left as they are until their new versions arrive.
    ``helpers`` forked processes render shares of the chip pages (only where no other thread
    runs)."""
    from kb.site import render

    cache = assetcache.cache_folder(root)
    with i18n.speaking(edition.lang):
        files = render.render_pages(base, root / "docs", helpers=helpers,
                                    cache=cache / "jinja" if cache is not None else None)
    return sync_files(files, staging, keep=(CHARTS, DOWNLOADS, Path(outputs.MANIFEST)))


def write_downloads(base: KnowledgeBase, folder: Path) -> None:
    from kb import export
    from kb.rows import rows

    table_rows = rows(base)  # once for all three
    export.export_sqlite(base, folder / "kb.sqlite", table_rows)
    export.export_json(base, folder / "api", table_rows)
    export.export_csv(base, folder / "csv", table_rows)
    # Inside the site, the site's own manifest lists these files. mkdocs copies no hidden file
    # from the staged pages, so a manifest kept here would reach the site only when it changed.
    for sub in ("api", "csv"):
        (folder / sub / outputs.MANIFEST).unlink()


def sync_files(files: dict[str, bytes], dst: Path, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Make ``dst`` hold exactly ``files`` (relative paths -> bytes), writing only the files
    that change, so watchers and dirty builds see real changes only; folders in ``keep``
    (relative to ``dst``) are left alone. Returns the files written."""
    changed: list[Path] = []
    folders: set[Path] = set()
    for rel in sorted(files):
        data = files[rel]
        target = _inside(dst, rel)
        try:
            if target.read_bytes() == data:
                continue
        except (FileNotFoundError, NotADirectoryError):
            pass
        except IsADirectoryError:
            shutil.rmtree(target)
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_bytes(data)
        changed.append(target)
    _remove_others(dst, set(files), keep)
    return changed


def _inside(folder: Path, rel: str) -> Path:
    """``folder / rel`` for a relative path that stays inside ``folder``, with no symbolic link
    on the way (a link there is removed as a link, so nothing is written through it)."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        raise BuildError(f"refusing to write {rel!r} outside {folder}")
    path = folder
    for part in parts:
        path = path / part
        if path.is_symlink():
            path.unlink()
    return path


def diff_tree(src: Path, dst: Path) -> tuple[list[str], list[str]]:
    """What ``dst`` lacks of ``src``: the files (POSIX paths relative to both) that are new or
    differ, and the files ``dst`` holds that ``src`` does not. Reads only."""
    changed: list[str] = []
    wanted: set[str] = set()
    for folder, _dirs, names in os.walk(src):
        rel_folder = os.path.relpath(folder, src)
        for name in names:
            rel = Path(rel_folder, name).as_posix()
            wanted.add(rel)
            target = dst / rel
            if not target.is_file() or not filecmp.cmp(Path(folder, name), target,
                                                        shallow=False):
                changed.append(rel)
    removed = []
    for folder, _dirs, names in os.walk(dst):
        rel_folder = os.path.relpath(folder, dst)
        removed.extend(rel for name in names
                       if (rel := Path(rel_folder, name).as_posix()) not in wanted)
    return sorted(changed), sorted(removed)


def apply_diff(src: Path, dst: Path, changed: list[str], removed: list[str]) -> None:
    """Bring ``dst`` to ``src`` given their :func:`diff_tree`."""
    for rel in changed:
        target = _inside(dst, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, target)
    for rel in removed:
        target = dst / rel
        target.unlink(missing_ok=True)
        for parent in target.parents:  # folders left empty go too
            if parent == dst or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()


def _remove_others(dst: Path, wanted: set[str], keep: tuple[Path, ...]) -> None:
    """Delete what ``dst`` holds beyond the ``wanted`` files (POSIX relative paths), except
    inside ``keep``."""
    kept = {k.as_posix() for k in keep}
    wanted_folders = {rel.rsplit("/", 1)[0] for rel in wanted if "/" in rel}
    wanted_folders |= {f.rsplit("/", i)[0] for f in set(wanted_folders)
                       for i in range(1, f.count("/") + 1)}
    for folder, dirs, names in os.walk(dst, topdown=True):
        rel_folder = Path(os.path.relpath(folder, dst)).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        for name in sorted(dirs):
            rel = prefix + name
            if rel in kept:
                dirs.remove(name)
            elif rel not in wanted_folders and not any(k.startswith(rel + "/") for k in kept):
                shutil.rmtree(Path(folder, name))
                dirs.remove(name)
        for name in names:
            if prefix + name not in wanted and prefix + name not in kept:
                Path(folder, name).unlink()


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


def mkdocs_build(root: Path, staging: Path, out: Path, jobs: int = 1,
                 config_file: str = "mkdocs.yml") -> None:
    """Run mkdocs-material on the staged pages, strictly: any warning fails the build.
    ``jobs`` processes share the pages (:mod:`kb.site.pagesplit`)."""
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from kb.site.pagesplit import shared_pages

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(config_file=str(root / config_file), docs_dir=str(staging),
                         site_dir=str(out), strict=True)
    if config_file != EDITIONS[0].config:
        # Another edition is published in its folder below the English one (its canonical
        # links, sitemap and feeds say so); mkdocs.ja.yml inherits the English address.
        from kb.site import trust

        other = next(e for e in EDITIONS if e.config == config_file)
        with i18n.speaking(other.lang):
            config.site_url = trust.edition_url()
    # Strict mode counts warnings with a handler of its own, which keeps Python from printing
    # them: say what each one is, or a broken link in docs/ fails the build unexplained.
    shown = logging.StreamHandler(sys.stderr)
    shown.setFormatter(logging.Formatter("kb build: mkdocs %(levelname)s: %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(shown)
    try:
        with shared_pages(config, jobs):
            build(config)
    except exceptions.MkDocsException as exc:
        raise BuildError(f"mkdocs build failed: {exc}") from None
    finally:
        logger.removeHandler(shown)
    # The theme looks for an inlined index when a page is opened from disk (file://); without it
    # the page logs an error. Searching from disk needs a web worker, which browsers refuse on
    # file://, so there the home page's record finder (assets/finder.js) does the finding.
    index = out / "search" / "search_index.json"
    if index.is_file():
        (out / "search" / "search_index.js").write_text(
            "var __index = " + index.read_text(encoding="utf-8"), encoding="utf-8")


def build_site(base: KnowledgeBase, out: Path | None = None, jobs: int | None = None,
               force: bool = False, languages: tuple[str, ...] | None = None) -> Path:
    """The whole pipeline: records -> pages -> site. Returns the site folder. ``jobs``
    processes share the page work (default: one per usable CPU; the site is the same).
    Every edition the project configures is built (:func:`editions`): English at the root,
    each other in its own folder (``ja/``), from the same records.

    The site is built beside ``out`` and swapped in whole at the end (:mod:`kb.outputs`): an
    ``out`` that holds what kb did not write is refused before anything is touched, unless
    ``force``; a build stopped at any point leaves the previous site as it was."""
    from kb.site import render

    if base.root is None:
        raise BuildError("the knowledge base was not loaded from a records folder")
    root = project_root(base.root)
    out = (out or root / "site").absolute()
    chosen = editions(root, languages)
    stagings = {e.lang: staging_folder(root, e) for e in chosen}
    staging = stagings["en"]
    # All checked before anything is touched: a refusal leaves everything as it was.
    outputs.check_apart(out, around={"the project": root},
                        apart={"the records": base.root, "docs/": root / "docs",
                               "build/": staging.parent})
    outputs.check_folder(out, force)
    for folder in stagings.values():
        outputs.check_owned(folder, force)
    jobs = jobs or usable_cpus()
    helpers = render.render_helpers(len(base.chips), jobs - 1)
    with ExitStack() as stack:
        for folder in stagings.values():
            stack.enter_context(outputs.owned_folder(folder, force))
        new = stack.enter_context(outputs.staged_folder(out, force))
        # Charts (matplotlib) and downloads take a fraction of mkdocs' time and mkdocs reads
        # neither: a second process makes them, started as soon as a core is free (now, if
        # this process renders the pages alone), and they are brought in when both are done.
        # They are made inside the staged site (mkdocs leaves its hidden entries alone), so a
        # killed build leaves nothing of them behind.
        tmp = new / ".kb-assets"
        assets: Pending[dict[str, tuple[list[str], list[str]]]] | None = None
        # Charts and downloads the staging folders already hold for these very inputs are
        # used as they are (kb.site.assetcache); otherwise they are made again, by edition.
        digest = assetcache.inputs_digest(base.root)
        # Each edition's: a build of English alone leaves the Japanese charts reusable.
        make = [e for e in chosen if not assetcache.reusable(
            root, stagings[e.lang], digest, e.assets, e.lang)]
        if helpers or make:
            # The pages, the charts and the downloads all ask for every chip's answers: worked
            # out once here, before any process forks.
            base.engine.evaluate_all()
        # Nothing here needs the collector to rescan the records loaded so far.
        gc.freeze()
        plan = [(e.lang, [str(sub) for sub in e.assets]) for e in make]
        try:
            with _source_date(base):
                if not helpers and make:
                    assets = Pending(_make_assets, base, str(tmp), str(staging.parent), plan)
                for edition in chosen:
                    stage(base, root, stagings[edition.lang], helpers, edition)
                    if assets is None and make:
                        assets = Pending(_make_assets, base, str(tmp), str(staging.parent),
                                         plan)
                    logging.getLogger("mkdocs").setLevel(logging.WARNING)
                    mkdocs_build(root, stagings[edition.lang], new / edition.folder, jobs,
                                 edition.config)
            made = assets.result() if assets is not None else {}
        except HelperFailed as exc:
            raise BuildError(f"charts and downloads failed:\n{exc}") from None
        except BaseException:
            # Stopped (Ctrl-C included) while the helper may still write into the staged
            # site: end it first, so the staged site can be removed whole.
            if assets is not None:
                assets.cancel()
            raise
        finally:
            gc.unfreeze()
        for edition in make:
            assetcache.forget(root, edition.lang)
            for sub in edition.assets:
                changed, removed = made[_where(edition, sub)]
                # mkdocs copied the last ones from the staging folder into the site: write
                # only what changed, there (for `kb serve` and the Zensical check) and in the
                # site.
                for dst in (stagings[edition.lang] / sub, new / edition.folder / sub):
                    apply_diff(tmp / _where(edition, sub), dst, changed, removed)
            assetcache.remember(root, stagings[edition.lang], digest, edition.assets,
                                edition.lang)
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def _where(edition: Edition, sub: Path) -> str:
    """Where an edition's charts or downloads go inside the site."""
    return (Path(edition.folder) / sub).as_posix()


def _make_assets(records: KnowledgeBase | str, folder: str, staged: str | None = None,
                 plan: list[tuple[str, list[str]]] | None = None
                 ) -> dict[str, tuple[list[str], list[str]]]:
    """Charts and downloads into ``folder``, from loaded records or a records folder: for each
    edition of ``plan`` (its language and what it needs; default English alone), in the
    edition's folder inside ``folder`` as inside the site. With ``staged`` (``build/``), also
    how each differs from the copy staged there (worked out here, meanwhile, so that afterwards
    only changes are written), by its place inside the site."""
    from kb import loader
    from kb.site import charts

    base = records if isinstance(records, KnowledgeBase) else loader.load(records)
    plan = plan or [("en", [str(sub) for sub in ASSETS])]
    differences: dict[str, tuple[list[str], list[str]]] = {}
    for lang, subs in plan:
        edition = edition_of(lang)
        for sub in map(Path, subs):
            where = _where(edition, sub)
            with i18n.speaking(lang):
                if sub == CHARTS:
                    # Rule names on the charts as the edition writes them.
                    said = base if lang == "en" else translations.edition(base, lang)
                    charts.write_all(said, Path(folder) / where)
                else:
                    write_downloads(base, Path(folder) / where)
            if staged is not None:
                differences[where] = diff_tree(Path(folder) / where,
                                               Path(staged) / edition.staging / sub)
    return differences


def _quiet_worker() -> None:
    """The worker ignores Ctrl-C (the terminal sends it to the whole group): the server stops
    it, and its KeyboardInterrupt would come back as a helper thread's traceback. A SIGTERM
    (the pool ending it) just ends it: the server's own handler came along with the fork."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


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
    staging = staging_folder(root)
    outputs.check_owned(staging)
    # The served site and the assets' scratch folders are temporary: the watcher removes them
    # if this process is killed before its own cleanup runs.
    cleaner = Watcher()
    site_dir = Path(tempfile.mkdtemp(prefix="kb-serve-"))
    cleaner.remove_if_killed(site_dir)
    assets_lock = threading.Lock()

    def config() -> Any:
        cfg = load_config(config_file=str(root / "mkdocs.yml"), docs_dir=str(staging),
                          site_dir=str(site_dir), strict=False)
        cfg.site_url = serve_url
        return cfg

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(
        "fork" if can_fork() else "spawn"), initializer=_quiet_worker)

    def refresh_assets(_fresh: KnowledgeBase) -> None:
        # Charts and downloads take about a second: a second process makes them (no GIL shared
        # with the next rebuild), then they are copied in. A record broken meanwhile skips them.
        with assets_lock, tempfile.TemporaryDirectory(prefix="kb-assets-") as tmp:
            cleaner.remove_if_killed(Path(tmp))
            try:
                pool.submit(_make_assets, str(records), tmp).result()
            except Exception:  # the next good save makes them again
                cleaner.forget(Path(tmp))
                return
            assetcache.forget(root)  # the staged copies change: the next kb build remakes them
            for folder in ASSETS:
                for dst in (staging / folder, site_dir / folder):
                    apply_diff(Path(tmp) / folder, dst, *diff_tree(Path(tmp) / folder, dst))
            outputs.write_manifest(staging)
        cleaner.forget(Path(tmp))

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
        stage(fresh, root, staging)
        outputs.write_manifest(staging)
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
            server.serve()  # until Ctrl-C, which the command reports once all is cleaned up
        finally:
            server.shutdown()
    finally:
        pool.shutdown(cancel_futures=True)
        shutil.rmtree(site_dir, ignore_errors=True)
        cleaner.close()
