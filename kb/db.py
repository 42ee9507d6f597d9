"""The knowledge base in SQL: engines, and populating the sqlmodel tables.

Loading replaces the knowledge base's own tables in one transaction and touches nothing else in
that database. ``kb.session()`` (:mod:`kb.sessions`) and ``kb export`` use it; the rows come
from :mod:`kb.rows`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel, create_engine

from kb import tables
from kb.errors import KBError
from kb.rows import Rows, rows

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

OWN_TABLES = [t.__table__ for t in tables.TABLES]  # type: ignore[attr-defined]


class DatabaseError(KBError):
    """The target database cannot be loaded safely."""


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: private in-memory SQLite), with SQLite made to enforce
    foreign keys and to run DDL inside the transaction."""
    if url is None:
        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        if url.startswith(("postgresql://", "postgres://")):
            # psycopg 3 is the driver the project installs; SQLAlchemy's default is psycopg2.
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    # pysqlite commits implicitly before DDL; take over BEGIN so a load is one transaction
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def populate(engine: Engine, base: KnowledgeBase) -> None:
    """Replace the knowledge base's tables and views in ``engine`` with ``base``, atomically."""
    populate_rows(engine, rows(base))


def populate_rows(engine: Engine, table_rows: Rows) -> None:
    """Replace the knowledge base's tables and views in ``engine`` with ``table_rows`` (from
    :func:`kb.rows.rows`), atomically."""
    with engine.begin() as conn:
        _check_ownership(conn)
        for view in reversed(tables.VIEWS):  # dependants first
            conn.execute(text(f"DROP VIEW IF EXISTS {view}"))
        SQLModel.metadata.drop_all(conn, tables=OWN_TABLES)
        _create_tables(conn)
        by_name = tables_by_name()
        for name, some in table_rows.items():
            if some:
                _insert(conn, by_name[name], some)
        for view, sql in tables.VIEWS.items():
            conn.execute(text(f"CREATE VIEW {view} AS {sql}"))


def _insert(conn: Connection, table: Any, some: list[dict[str, Any]]) -> None:
    # Straight to the driver with the columns' own bind processors: the same values
    # `conn.execute(table.insert(), rows)` would send, without compiling an INSERT per table
    # (a third of a cold session's populate time).
    dialect = conn.dialect
    names = [n for n in some[0] if n in table.c]  # like insert(): keys not columns are ignored
    quote = dialect.identifier_preparer.quote
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if mark is None:  # a driver with another parameter style: let SQLAlchemy compile it
        conn.execute(table.insert(), some)
        return
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join([mark] * len(names))})")
    procs = [table.c[n].type.bind_processor(dialect) for n in names]
    if any(procs):
        values = [tuple(v if f is None or v is None else f(v)
                        for f, v in zip(procs, (row[n] for n in names), strict=True))
                  for row in some]
    else:
        values = [tuple(row[n] for n in names) for row in some]
    conn.exec_driver_sql(sql, values)


def _create_tables(conn: Connection) -> None:
    # SQLAlchemy keeps a table's indexes in a set; create them in name order so the same
    # records always give the same database file.
    ours = [t for t in SQLModel.metadata.sorted_tables if t in OWN_TABLES]
    for table in ours:
        conn.execute(CreateTable(table))
    for table in ours:
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            conn.execute(CreateIndex(index))


def tables_by_name() -> dict[str, Any]:
    return {t.name: t for t in OWN_TABLES}


def _check_ownership(conn: Connection) -> None:
    existing = set(inspect(conn).get_table_names())
    ours = {t.name for t in OWN_TABLES}
    clash = sorted(existing & ours)
    if clash and "kb_meta" not in existing:
        raise DatabaseError(
            f"the database already has table(s) {', '.join(clash)} not made by kb; "
            "load into another database or schema"
        )
