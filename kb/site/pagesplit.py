"""mkdocs' page work shared out to forked processes.

A bare ``mkdocs build`` converts every page's Markdown, then renders every page's template, one
page after another in one process: nine tenths of its time. ``kb build`` runs the same
``mkdocs.commands.build.build`` with its two page functions wrapped: at the first page of each
loop, ``jobs - 1`` workers fork from the build (inheriting its configuration, files, navigation
and theme) and each takes every ``jobs``-th page; this process does the rest. What the workers
made comes back before mkdocs reads it: each page's HTML, table of contents, anchors and links
before the theme's templates are rendered (``on_env``), and each page's search entries, put back
in page order, before the search index is written (``on_post_build``). Rendered pages are
written by whichever process rendered them. Messages a worker logs are logged again here, so
strict mode counts its warnings.

The site is byte-identical to a one-process build (tested). With a plugin other than the
theme's search, an mkdocs without the two page functions, or no ``fork``, the build runs as
mkdocs runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from kb.site.forked import HelperFailed, Pending, can_fork

# What mkdocs' page conversion (``_populate_page``) sets on a page; a worker refuses to send a
# page on which it set anything else (a newer mkdocs), rather than let the pages differ.
PAGE_STATE = frozenset({"markdown", "meta", "content", "toc", "_title_from_render",
                        "present_anchor_ids", "links_to_anchors"})
SEARCH_PLUGIN = "material.plugins.search.plugin"
Logged = list[tuple[str, int, str]]  # logger name, level, message


def supported(config: MkDocsConfig) -> bool:
    """Whether this build's pages can be shared out (see the module's text)."""
    from mkdocs.commands import build

    return (can_fork() and callable(getattr(build, "_populate_page", None))
            and callable(getattr(build, "_build_page", None))
            and all(type(p).__module__ == SEARCH_PLUGIN for p in config.plugins.values()))


@contextmanager
def shared_pages(config: MkDocsConfig, jobs: int) -> Iterator[None]:
    """While open, ``mkdocs.commands.build.build(config)`` shares its pages with ``jobs - 1``
    forked workers (where :func:`supported`; otherwise it runs as it would)."""
    if jobs < 2 or not supported(config):
        yield
        return
    from mkdocs.commands import build

    split = _Split(jobs, build._populate_page, build._build_page)
    config.plugins["kb/page-split"] = split
    build._populate_page, build._build_page = split.populate, split.build_page
    try:
        yield
    finally:
        build._populate_page, build._build_page = split.populate_one, split.build_one
        split.stop()  # the configuration, with this plugin in it, serves one build


class _Split(BasePlugin):  # type: ignore[type-arg]
    def __init__(self, jobs: int, populate_one: Callable[..., None],
                 build_one: Callable[..., None]) -> None:
        super().__init__()
        self.jobs = jobs
        self.populate_one, self.build_one = populate_one, build_one
        self.converting: list[Pending[tuple[Any, Logged, str | None]]] | None = None
        self.rendering: list[Pending[tuple[Any, Logged, str | None]]] | None = None
        self.elsewhere: set[str] = set()  # pages a worker of the current loop does
        self.order: list[str] = []
        self.entries: dict[str, list[Any]] = {}

    def _share(self, uris: list[str]) -> list[list[str]]:
        """The workers' shares of a loop's pages; this process keeps every ``jobs``-th."""
        shares = [uris[k::self.jobs] for k in range(1, self.jobs)]
        self.elsewhere = {uri for share in shares for uri in share}
        return shares

    # The Markdown loop: mkdocs calls this for every page, in order.
    def populate(self, page: Page, config: MkDocsConfig, files: Files,
                 dirty: bool = False) -> None:
        if self.converting is None and not dirty:
            uris = [f.src_uri for f in files.documentation_pages(
                inclusion=InclusionLevel.is_included)]
            self.converting = [Pending(_in_worker, _convert, self, share, config, files)
                               for share in self._share(uris)]
        if page.file.src_uri not in self.elsewhere:
            self.populate_one(page, config, files, dirty)

    @event_priority(100)  # before any other plugin sees the pages
    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        for worker in self.converting or ():
            for uri, state in self._answer(worker):
                page = _page(files, uri)
                links = state.pop("links_to_anchors", None)
                vars(page).update(state)
                if links is not None:
                    page.links_to_anchors = {_file(files, u): v for u, v in links.items()}
        self.elsewhere = set()
        return env

    # The template loop.
    def build_page(self, page: Page, config: MkDocsConfig, doc_files: Any, nav: Any,
                   env: Any, dirty: bool = False, excluded: bool = False) -> None:
        if self.rendering is None and not dirty:
            self.order = [f.src_uri for f in doc_files]
            self.rendering = [Pending(_in_worker, _render, self, share, config, doc_files, nav,
                                      env) for share in self._share(self.order)]
        uri = page.file.src_uri
        if uri in self.elsewhere:
            return
        entries = _search_entries(config)
        start = len(entries)
        self.build_one(page, config, doc_files, nav, env, dirty, excluded)
        self.entries[uri] = entries[start:]

    @event_priority(100)  # before the search plugin writes its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        for worker in self.rendering or ():
            self.entries.update(self._answer(worker))
        if self.rendering:
            _search_entries(config)[:] = [e for uri in self.order for e in self.entries[uri]]

    def on_build_error(self, *, error: Exception) -> None:
        self.stop()

    def stop(self) -> None:
        for worker in (self.converting or []) + (self.rendering or []):
            worker.cancel()

    def _answer(self, worker: Pending[tuple[Any, Logged, str | None]]) -> Any:
        try:
            value, logged, error = worker.result()
        except HelperFailed as exc:
            raise Abort(f"a page worker failed: {exc}") from None
        for name, level, message in logged:
            logging.getLogger(name).log(level, "%s", message)
        if error is not None:
            raise Abort(error)
        return value


def _in_worker(work: Callable[..., Any], *args: Any) -> tuple[Any, Logged, str | None]:
    """Run ``work`` in a worker with mkdocs' messages kept to be logged by the build."""
    logged: Logged = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append((record.name, record.levelno, record.getMessage()))

    logger = logging.getLogger("mkdocs")
    logger.handlers, logger.propagate = [Keep()], False
    try:
        return work(*args), logged, None
    except Exception as exc:  # mkdocs has logged which page; the build reports it and stops
        return None, logged, f"{type(exc).__name__}: {exc}"


def _convert(split: _Split, share: list[str], config: MkDocsConfig, files: Files
             ) -> list[tuple[str, dict[str, Any]]]:
    states = []
    for uri in share:
        file = _file(files, uri)
        if file.page is None and file.inclusion.is_not_in_nav():
            Page(None, file, config)  # as mkdocs' loop does for pages outside the navigation
        page = _page(files, uri)
        before = dict(vars(page))
        split.populate_one(page, config, files)
        state = {k: v for k, v in vars(page).items() if k not in before or before[k] is not v}
        if unknown := sorted(set(state) - PAGE_STATE):
            raise RuntimeError(f"this mkdocs sets {', '.join(unknown)} on a page, which the "
                               "page split does not carry over; build with --jobs 1")
        if state.get("links_to_anchors") is not None:
            state["links_to_anchors"] = {f.src_uri: links
                                         for f, links in state["links_to_anchors"].items()}
        states.append((uri, state))
    return states


def _render(split: _Split, share: list[str], config: MkDocsConfig, doc_files: Any, nav: Any,
            env: Any) -> dict[str, list[Any]]:
    by_uri = {f.src_uri: f for f in doc_files}
    entries = _search_entries(config)
    made: dict[str, list[Any]] = {}
    for uri in share:
        file = by_uri[uri]
        start = len(entries)
        split.build_one(file.page, config, doc_files, nav, env,
                        excluded=file.inclusion.is_excluded())
        made[uri] = entries[start:]
    return made


def _search_entries(config: MkDocsConfig) -> list[Any]:
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if index is not None:
            return index.entries  # type: ignore[no-any-return]
    return []  # search disabled: nothing to put in order


def _file(files: Files, uri: str) -> File:
    file = files.get_file_from_path(uri)
    assert file is not None, uri
    return file


def _page(files: Files, uri: str) -> Page:
    page = _file(files, uri).page
    assert page is not None, uri
    return page
