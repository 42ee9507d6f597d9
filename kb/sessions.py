"""``kb.session()``: a sqlmodel Session over the records and the engine's determinations.

A cold start has two long, independent parts: importing SQLAlchemy and sqlmodel (about 0.25 s,
the larger share of the whole start) and loading the records into rows (pydantic, the records,
the engine: about 0.25 s in a fresh interpreter). When the SQL stack is not imported yet and the
records are to be loaded here, a worker process (``python -m kb.rows``) loads them while this
process imports the SQL stack; the rows arrive pickled, or the problems found in the records,
raised here as ``RecordsInvalid``. Anything unusual (no interpreter to start, a worker that fails
or runs another copy of the package) falls back to loading in this process.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kb.rows import Rows

if TYPE_CHECKING:
    from sqlmodel import Session

    from kb.knowledge import KnowledgeBase


@contextmanager
def session(url: str | None = None, base: KnowledgeBase | None = None,
            records: str | Path | None = None) -> Iterator[Session]:
    """A sqlmodel Session over the records and determinations, in an in-memory SQLite database
    unless ``url`` names another (``sqlite:///path``, ``postgresql+psycopg://...``).

    The records are ``base`` if given, else ``kb.load(records)`` (the repository's records
    when ``records`` is None)."""
    cold = base is None and "sqlalchemy" not in sys.modules
    worker = _Worker.start(records) if cold else None
    try:
        from sqlmodel import Session

        from kb import db

        table_rows = worker.rows() if worker is not None else None
        if table_rows is None:
            from kb.loader import load
            from kb.rows import rows

            table_rows = rows(base if base is not None else load(records))
    finally:
        if worker is not None:
            worker.stop()
    engine = db.make_engine(url)
    try:
        db.populate_rows(engine, table_rows)
        with Session(engine) as s:
            yield s
    finally:
        engine.dispose()


class _Worker:
    """A ``python -m kb.rows`` process computing the rows for this process."""

    def __init__(self, proc: subprocess.Popen[bytes], package: str) -> None:
        self.proc = proc
        self.package = package

    @classmethod
    def start(cls, records: str | Path | None) -> _Worker | None:
        package = str(Path(__file__).resolve().parent)
        if not sys.executable:
            return None
        args = [] if records is None else [str(Path(records).resolve())]
        env = dict(os.environ)
        # The worker must import this very package, wherever it was imported from.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(Path(package).parent), env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen([sys.executable, "-m", "kb.rows", *args],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env)
        except OSError:
            return None
        return cls(proc, package)

    def rows(self) -> Rows | None:
        """The worker's rows; None when it failed (load here instead); RecordsInvalid with the
        worker's problems when the records have errors."""
        out, _err = self.proc.communicate()
        if self.proc.returncode != 0:
            return None
        try:
            kind, package_file, payload = pickle.loads(out)
        except Exception:  # any unreadable answer means: load here
            return None
        if str(Path(package_file).resolve().parent) != self.package:
            return None
        if kind == "invalid":
            from kb.errors import RecordsInvalid

            raise RecordsInvalid(payload)
        rows: Rows = payload
        return rows

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
