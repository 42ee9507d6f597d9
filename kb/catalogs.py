"""Keep the message catalogs in step with the code: ``python -m kb.catalogs [--check]``.

Messages are found where they are marked: ``_()``, ``N_()`` and ``ngettext()`` in ``kb/``'s
Python, ``_()`` and ``{% trans %}`` in the page templates, ``kbT()`` in the site's scripts
(``docs/assets/*.js``). Without ``--check`` each language's catalog gains the new messages
(untranslated), loses the ones no longer used, and keeps every translation that still applies.
With ``--check`` nothing is written; every problem is printed (a message missing from a
catalog, untranslated, marked fuzzy, no longer used, or whose placeholders differ from the
English) and the exit status is 1 if there is one.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from kb.i18n import LANGUAGES, catalog_path, placeholders

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "site" / "templates"
SCRIPTS = PACKAGE.parent / "docs" / "assets"

PYTHON_KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true",
                 "trim_blocks": "true", "lstrip_blocks": "true",
                 "keep_trailing_newline": "true"}
HEADER = ("# The words kb generates (pages, charts, the engine's reasons), in this language.\n"
          "# Kept in step with the code by python -m kb.catalogs; see CONTRIBUTING.md.")
# Fixed, so that the same messages always write the same file.
STAMP = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _sources() -> Iterator[tuple[str, Path, dict[str, object], dict[str, str]]]:
    """(method, file, keywords, options) for every file that may hold messages."""
    for path in sorted(PACKAGE.rglob("*.py")):
        yield "python", path, PYTHON_KEYWORDS, {}
    for path in sorted(TEMPLATES.glob("*.j2")):
        # {% trans %} blocks come out as gettext() and ngettext() calls.
        yield ("jinja2.ext:babel_extract", path,
               {"_": None, "gettext": None, "ngettext": (1, 2)}, JINJA_OPTIONS)
    for path in sorted(SCRIPTS.glob("*.js")):
        yield "javascript", path, {"kbT": None}, {}


def template() -> Catalog:
    """Every message the code marks, with where it is used."""
    catalog = Catalog(domain="kb", project="AI chip export-controls knowledge base",
                      creation_date=STAMP, revision_date=STAMP, fuzzy=False)
    root = PACKAGE.parent
    for method, path, keywords, options in _sources():
        found = extract_from_file(method, str(path), keywords=keywords,  # type: ignore[arg-type]
                                  options=options, strip_comment_tags=True)
        for _lineno, message, comments, context in found:
            where = path.relative_to(root).as_posix()
            catalog.add(message, locations=[(where, None)], auto_comments=comments,
                        context=context)
    return catalog


@functools.cache
def script_messages() -> tuple[str, ...]:
    """The messages of the site's scripts."""
    found: list[str] = []
    for path in sorted(SCRIPTS.glob("*.js")):
        with path.open("rb") as fh:
            found.extend(m for _l, _f, m, _c in _extract_js(fh) if isinstance(m, str))
    return tuple(dict.fromkeys(found))


def _extract_js(fh: io.BufferedReader) -> Iterator[tuple[int, str, object, list[str]]]:
    from babel.messages.extract import extract_javascript

    return extract_javascript(fh, {"kbT": None}, [], {})  # type: ignore[arg-type,return-value]


def read(lang: str) -> Catalog:
    path = catalog_path(lang)
    if not path.is_file():
        return Catalog(locale=lang, domain="kb", header_comment=HEADER,
                       project="AI chip export-controls knowledge base", version="",
                       copyright_holder="the knowledge base's contributors",
                       last_translator="the knowledge base's contributors",
                       language_team=f"{lang} <the knowledge base's contributors>",
                       creation_date=STAMP, revision_date=STAMP)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def written(catalog: Catalog) -> bytes:
    catalog.creation_date = STAMP
    catalog.revision_date = STAMP
    catalog.fuzzy = False
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False,
             ignore_obsolete=True, include_previous=False)
    return out.getvalue()


def updated(lang: str, source: Catalog | None = None) -> Catalog:
    """``lang``'s catalog brought in step with the code (not written)."""
    catalog = read(lang)
    catalog.update(source or template(), no_fuzzy_matching=True, update_header_comment=False)
    return catalog


def problems(lang: str, source: Catalog | None = None) -> list[str]:
    """What keeps ``lang``'s catalog from saying every message the code marks."""
    source = source or template()
    catalog = read(lang)
    path = catalog_path(lang)
    where = (path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE.parent)
             else path).as_posix()
    found: list[str] = []
    for message in source:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        said = catalog.get(message.id, message.context)
        used = ", ".join(sorted({loc for loc, _n in message.locations}))
        if said is None:
            found.append(f"{where}: {key!r} (used in {used}) is not in the catalog; "
                         "run python -m kb.catalogs")
            continue
        strings = said.string if isinstance(said.string, tuple | list) else (said.string,)
        if not all(strings):
            found.append(f"{where}: {key!r} (used in {used}) is not translated")
        elif said.fuzzy:
            found.append(f"{where}: {key!r} (used in {used}) is marked fuzzy; check it")
        else:
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            want = placeholders(ids[-1])
            for string in strings:
                if placeholders(string) != want:
                    found.append(f"{where}: {key!r}: the translation's placeholders "
                                 f"{placeholders(string)} differ from the English {want}")
    for message in catalog:
        if message.id and source.get(message.id, message.context) is None:
            key = message.id if isinstance(message.id, str) else message.id[0]
            found.append(f"{where}: {key!r} is no longer used; run python -m kb.catalogs")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    source = template()
    status = 0
    for lang in LANGUAGES[1:]:
        if check:
            for problem in problems(lang, source):
                print(problem)
                status = 1
            continue
        data = written(updated(lang, source))
        path = catalog_path(lang)
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path.relative_to(PACKAGE.parent)}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
