"""Exports: SQLite with views and metadata, a JSON API, CSV per table; byte-identical reruns."""

import csv
import filecmp
import json
import sqlite3

from kb import cli


def _tree_equal(a, b) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(_tree_equal(a / d, b / d) for d in cmp.common_dirs)


def test_sqlite_export_opens_with_sqlite3_and_views_answer(tmp_path, base, capsys):
    out = tmp_path / "kb.sqlite"
    assert cli.main(["export", "--format", "sqlite", str(out)]) == 0
    assert (tmp_path / "kb.metadata.json").is_file()
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("SELECT value FROM kb_meta WHERE key='schema_version'").fetchone() == ("3",)
    views = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='view'")}
    assert {"chip_status_current", "chip_destination_current", "chip_group_status_current"} <= views
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_chip_tpp" in indexes
    tpp = dict(con.execute("SELECT id, tpp FROM chip"))
    assert tpp["nvidia-h100-sxm"] == base.chips["nvidia-h100-sxm"].tpp
    meta = json.loads((tmp_path / "kb.metadata.json").read_text())
    assert meta["license"].startswith("CC BY 4.0")
    assert "tpp" in meta["databases"]["kb"]["tables"]["chip"]["columns"]
    con.close()


def test_exports_are_byte_identical(tmp_path):
    for fmt, name in (("sqlite", "a.sqlite"), ("json", "a"), ("csv", "ca")):
        first, second = tmp_path / "1" / name, tmp_path / "2" / name
        assert cli.main(["export", "--format", fmt, str(first)]) == 0
        assert cli.main(["export", "--format", fmt, str(second)]) == 0
        if fmt == "sqlite":
            assert first.read_bytes() == second.read_bytes()
        else:
            assert _tree_equal(first, second)


def test_json_api_shape(tmp_path, base):
    out = tmp_path / "api"
    assert cli.main(["export", "--format", "json", str(out)]) == 0
    index = json.loads((out / "index.json").read_text())
    assert index["schema_version"] == "4"
    assert index["kinds"]["chips"]["count"] == len(base.chips)
    h20 = json.loads((out / "chips" / "nvidia-h20.json").read_text())
    assert h20["tpp"] == 2368 and h20["tpp_operand"] == "fp8"
    assert "released_precision" in h20 and "is_datacenter_known" in h20
    dets = json.loads((out / "determinations.json").read_text())
    assert all(set(d) >= {"status", "is_controlled", "is_undetermined"} for d in dets)
    assert all("controlled" not in d for d in dets)
    rule = json.loads((out / "rules" / "us-bis-2022-10-advanced-computing.json").read_text())
    assert rule["controls"][0]["applies_to"] == "2023-11-16"


def test_csv_per_table(tmp_path, base):
    out = tmp_path / "csv"
    assert cli.main(["export", "--format", "csv", str(out)]) == 0
    with (out / "chip.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(base.chips)
    assert {"id", "tpp", "performance_density", "vendor_id"} <= set(rows[0])


def test_export_usage_errors(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    assert cli.main(["export", "--format", "json", str(tmp_path / "file.txt")]) == 2
    assert cli.main(["export", "--format", "sqlite", str(tmp_path)]) == 2
    assert (tmp_path / "file.txt").read_text() == "x"


def test_exports_from_shared_rows_are_the_same_bytes(tmp_path, base):
    import filecmp

    from kb import export
    from kb.rows import rows

    shared = rows(base)
    for fmt, exporter in export.EXPORTERS.items():
        alone, given = tmp_path / f"{fmt}-alone", tmp_path / f"{fmt}-given"
        exporter(base, alone)
        exporter(base, given, shared)
        if alone.is_dir():
            cmp = filecmp.dircmp(alone, given)
            assert not (cmp.diff_files or cmp.left_only or cmp.right_only), fmt
            for sub in cmp.subdirs.values():
                assert not (sub.diff_files or sub.left_only or sub.right_only), fmt
        else:
            assert alone.read_bytes() == given.read_bytes(), fmt
