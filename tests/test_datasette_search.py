"""The SQLite download's search tables, served by real Datasette: its search box finds chips,
rules, sources and claims."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import export, fts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def datasette(tmp_path_factory, base) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("ds")
    db, meta = export.export_sqlite(base, folder / "kb.sqlite")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(db), "-m", str(meta),
                             "-h", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/versions.json", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"datasette did not start: {out[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _rows(url: str) -> list[dict]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_datasette_search_box_finds_chips(datasette):
    rows = _rows(f"{datasette}/kb/chip.json?_search=H100&_shape=array")
    ids = {r["id"] for r in rows}
    assert {"nvidia-h100-sxm", "nvidia-h100-pcie"} <= ids
    assert "amd-mi300x" not in ids  # a search, not the whole table


def test_datasette_searches_rules_sources_and_claims(datasette, base):
    rows = _rows(f"{datasette}/kb/rule.json?_search=diffusion&_shape=array")
    assert rows and all("diffusion" in (r["title"] + r["summary"]).lower() for r in rows)
    rows = _rows(f"{datasette}/kb/source.json?_search=datasheet&_shape=array")
    assert rows and len(rows) < len(base.sources)
    claim = next(iter(base.claims.values()))
    word = max(claim.statement.split(), key=len).strip(".,:;'\"()")
    rows = _rows(f"{datasette}/kb/claim.json?_search={urllib.request.quote(word)}&_shape=array")
    assert claim.id in {r["id"] for r in rows}


def test_search_finds_a_chip_by_alias(tmp_path, base):
    import sqlite3

    chip = next(c for c in base.chips.values() if c.aliases and c.aliases[0] not in c.name)
    path, _meta = export.export_sqlite(base, tmp_path / "kb.sqlite")
    conn = sqlite3.connect(path)
    try:
        found = conn.execute(
            "SELECT id FROM chip WHERE rowid IN "
            "(SELECT rowid FROM chip_fts WHERE chip_fts MATCH ?)",
            ['"' + chip.aliases[0].replace('"', '""') + '"']).fetchall()
    finally:
        conn.close()
    assert chip.id in {r[0] for r in found}


def test_metadata_names_every_search_table(tmp_path, base):
    _db, meta = export.export_sqlite(base, tmp_path / "kb.sqlite")
    tables = json.loads(Path(meta).read_text())["databases"]["kb"]["tables"]
    for table in fts.SEARCH:
        assert tables[table]["fts_table"] == f"{table}_fts"
        assert tables[table]["fts_pk"] == "rowid"
