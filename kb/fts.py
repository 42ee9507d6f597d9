"""Full-text search tables in the SQLite download, for Datasette's search box.

Each searchable table ``T`` gets an FTS5 table ``T_fts`` whose rowid is the row's rowid in ``T``,
and the Datasette metadata names it (``fts_table``, ``fts_pk: rowid``), which is how Datasette
finds a search table that is not an external-content copy of ``T``. The FTS tables keep their
own copy of the text rather than reading ``T`` (``content=``), because a chip's aliases are a
list in the records and no column of ``chip``; the text comes from the same records the rows do.
Rows go in by rowid order, so the same records give the same file byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from kb.knowledge import KnowledgeBase


def _join(*parts: Any) -> str | None:
    text = "\n".join(str(p) for p in parts if p)
    return text or None


# table -> (columns of its FTS table, the records, each record's text per column)
SEARCH: dict[str, tuple[tuple[str, ...], str, Callable[[Any], tuple[str | None, ...]]]] = {
    "chip": (("name", "aliases", "notes"), "chips",
             lambda c: (c.name, _join(*c.aliases), c.notes)),
    "rule": (("title", "short_title", "summary"), "rules",
             lambda r: (r.title, r.short_title, r.summary)),
    "source": (("title", "publisher", "notes"), "sources",
               lambda s: (s.title, s.publisher, s.notes)),
    "claim": (("statement", "claimant", "reasoning"), "claims",
              lambda c: (c.statement, c.claimant, c.reasoning)),
}


def fts_table(table: str) -> str:
    return f"{table}_fts"


def create(conn: Connection, base: KnowledgeBase) -> None:
    """Create and fill every search table (the tables they index must be filled already)."""
    for table, (columns, kind, text) in SEARCH.items():
        name = fts_table(table)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(columns)})")
        records = getattr(base, kind)
        rowids = conn.exec_driver_sql(f"SELECT rowid, id FROM {table} ORDER BY rowid").all()
        marks = ", ".join("?" * (len(columns) + 1))
        rows = [(rowid, *text(records[rid])) for rowid, rid in rowids]
        if rows:  # an empty list would be read as one statement without parameters
            conn.exec_driver_sql(
                f"INSERT INTO {name} (rowid, {', '.join(columns)}) VALUES ({marks})", rows)


def datasette_tables() -> dict[str, dict[str, str]]:
    """The metadata that tells Datasette where each table's search table is."""
    return {table: {"fts_table": fts_table(table), "fts_pk": "rowid"} for table in SEARCH}
