"""Exports: a SQLite file, a static JSON API, and CSV per table. Same records, same bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from kb import bounds, fts, outputs, tables
from kb.cleanup import Watcher
from kb.knowledge import KnowledgeBase
from kb.models.figures import exact
from kb.rows import Rows, range_columns

JSON_SCHEMA_VERSION = "4"
"""The JSON API's version (index.json, openapi.json): raised when a field changes meaning or is
removed, each change listed under "Schema versions" in docs/querying.md. 3: a source's
``reliability`` is the effective mark (the kind's default where the record sets none), never
null, with ``is_reliability_recorded`` beside it."""

DESCRIPTIONS = {
    "chip": {
        "tpp": "Total processing performance: max over operand types of dense TOPS x bit length "
               "(derived)",
        "performance_density": "TPP / die_area_mm2 (derived)",
        "die_area_mm2": "Applicable die area: sum over the logic dies, mm² (empty where only "
                        "bounds are known: see die_area_mm2_low and die_area_mm2_high)",
        "tpp_low": "Least TPP the figures allow (equals tpp where exact; empty: unknown)",
        "tpp_high": "Greatest TPP the figures allow (empty: unbounded)",
        "logic_dies": "Number of logic dies; each fits the 858 mm² reticle",
        "interconnect_gb_s": "Aggregate bidirectional chip-to-chip transfer rate, GB/s",
        "datacenter": "Designed or marketed for use in data centres",
        "released": "Release date as recorded (day or month)",
    },
    "determination": {
        "status": "controlled, not controlled or undetermined (a figure is missing or known "
                  "only within bounds that straddle a line)",
        "deciding_input": "For an undetermined answer: the record fields that decide it",
        "flip_value": "Where one field decides: its value at which the answer changes",
        "decided_when": "Where one field decides: when the answer is yes, in words",
        "valid_from": "First day the control applies",
        "valid_to": "Last day the control applies (empty: still applies)",
    },
    "market_share": {"value_pct": "Share in percent (0-100)"},
    "source": {"reliability": "official, reputable or weak: as the record sets it, else the "
                              "default for the source's kind"},
    "group_member": {"from_date": "First day of membership (empty: not recorded)",
                     "to_date": "Last day of membership (empty: still a member)"},
}


def check_sqlite_targets(out: Path, force: bool = False) -> Path:
    """Refuse unless the SQLite file and its metadata may be written; returns the metadata's
    path (beside the file, ``NAME.metadata.json``)."""
    meta_path = out.with_name(out.stem + ".metadata.json")
    for path in (out, meta_path):
        outputs.check_file(path, force)
    return meta_path


def export_sqlite(base: KnowledgeBase, out: Path, table_rows: Rows | None = None,
                  force: bool = False) -> list[Path]:
    """A SQLite file with foreign keys, indexes and views, plus Datasette metadata beside it
    (``table_rows``: the rows of :func:`kb.rows.rows`, if already made). Either file, if it
    exists, must be one an earlier export wrote (or ``force``); each is replaced in one step."""
    from kb import db
    from kb.rows import rows

    meta_path = check_sqlite_targets(out, force)

    def write(tmp: Path) -> None:
        engine = db.make_engine(f"sqlite:///{tmp}")
        try:
            db.populate_rows(engine, table_rows if table_rows is not None else rows(base))
            with engine.begin() as conn:
                fts.create(conn, base)  # Datasette's search box (kb.fts)
                # Marks the file as kb's, so a later export may replace it (kb.outputs).
                conn.exec_driver_sql(f"PRAGMA application_id = {outputs.SQLITE_APPLICATION_ID}")
        finally:
            engine.dispose()

    meta = datasette_metadata(out.stem)
    with Watcher() as watcher:
        outputs.write_file(out, write, watcher)
        outputs.write_file(meta_path, lambda tmp: tmp.write_text(_dumps(meta), encoding="utf-8"),
                           watcher)
    return [out, meta_path]


def datasette_metadata(database: str) -> dict[str, Any]:
    search = fts.datasette_tables()
    tables_meta: dict[str, dict[str, Any]] = {
        name: {"columns": cols} for name, cols in DESCRIPTIONS.items()}
    for name, where in search.items():
        tables_meta.setdefault(name, {}).update(where)
    return {
        "title": outputs.METADATA_TITLE,
        "license": "CC BY 4.0 (data)",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "source": "records/ of the knowledge base; each figure cites its source (table citation)",
        "databases": {database: {"tables": dict(sorted(tables_meta.items()))}},
    }


def _value(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _dumps(data: Any, compact: bool = False) -> str:
    # The API's files are compact: browsers and tools indent JSON themselves, and without
    # `indent` the json module encodes in C (a third of the export's time at 10,000 chips).
    if compact:
        return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False,
                          default=_value) + "\n"
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_value) + "\n"


def json_records(base: KnowledgeBase) -> dict[str, list[dict[str, Any]]]:
    """Records as JSON objects: derived figures included, no union types (status strings and
    ``is_x`` flags instead of true/false/null)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, items in (("organizations", base.organizations), ("sources", base.sources),
                        ("country-groups", base.country_groups),
                        ("market-shares", base.market_shares), ("claims", base.claims)):
        out[kind] = [r.model_dump(mode="json", by_alias=True) for r in items.values()]
    for data, src in zip(out["sources"], base.sources.values(), strict=True):
        # The mark every page shows, not the record's null where it follows the kind; the flag
        # keeps what the record itself says.
        data["reliability"] = src.reliability_mark
        data["is_reliability_recorded"] = src.reliability is not None
    chips = []
    for chip in base.chips.values():
        data = chip.model_dump(mode="json", by_alias=True)
        # Figures known within bounds are a number or null here, with their interval's ends
        # beside them, so a field never holds a number in one chip and an object in another.
        data["die_area_mm2"] = exact(chip.die_area_mm2)
        data["interconnect_gb_s"] = exact(chip.interconnect_gb_s)
        if chip.memory is not None:
            data["memory"]["capacity_gb"] = exact(chip.memory.capacity_gb)
            data["memory"]["bandwidth_gb_s"] = exact(chip.memory.bandwidth_gb_s)
        spans = {op: bounds.figure(v, op) for op, v in chip.dense_tops.items()}
        data["dense_tops"] = {op: s.low for op, s in spans.items() if s and s.exact}
        data["dense_tops_low"] = {op: s.low for op, s in spans.items() if s}
        data["dense_tops_high"] = {op: s.high for op, s in spans.items() if s}
        data.update(range_columns(chip))
        data["tpp_operand"] = bounds.setting_operand(chip)
        data["released_precision"] = (None if chip.released is None else
                                      "day" if len(chip.released) == 10 else "month")
        data["released_from"] = _value(chip.released_on)
        data["is_datacenter_known"] = chip.datacenter is not None
        chips.append(data)
    out["chips"] = chips
    rules = []
    for rule in base.rules.values():
        data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["start"] = _value(rule.start)
        for control, cdata in zip(rule.controls, data.get("controls", []), strict=True):
            start, end = base.engine.spans[(rule.id, control.id)]
            cdata["applies_from"] = _value(start)
            cdata["applies_to"] = _value(end)
            cdata["is_open_ended"] = end is None
        rules.append(data)
    out["rules"] = rules
    return out


def json_determinations(base: KnowledgeBase,
                        determinations: list[dict[str, Any]] | None = None
                        ) -> list[dict[str, Any]]:
    """Every chip under every chip control, with the days it holds for (``determinations``:
    the engine's determination rows, if already made)."""
    # No union types in the API: true/false/null becomes a status and two flags.
    return [{**{k: _value(v) for k, v in row.items() if k != "controlled"},
             "is_controlled": row["controlled"] is True,
             "is_undetermined": row["controlled"] is None}
            for row in (determinations if determinations is not None
                        else base.engine.determination_rows(base.chips.values()))]


def export_json(base: KnowledgeBase, out: Path, table_rows: Rows | None = None,
                force: bool = False) -> list[Path]:
    """A static API: index.json, one file per kind, one per record, determinations.json, and
    openapi.json describing them all (:mod:`kb.openapi`). Written as a whole over an earlier
    export's folder only (:mod:`kb.outputs`)."""
    from kb import openapi  # it reads this module's descriptions

    def write(tmp: Path) -> None:
        records = json_records(base)
        index: dict[str, Any] = {"schema_version": JSON_SCHEMA_VERSION, "kinds": {},
                                 "openapi": "openapi.json"}
        # Indented: a document people read, and small (the JSON files stay compact).
        (tmp / "openapi.json").write_text(_dumps(openapi.document()), encoding="utf-8")
        for kind, items in records.items():
            (tmp / f"{kind}.json").write_text(_dumps(items, compact=True), encoding="utf-8")
            (tmp / kind).mkdir()
            for item in items:
                (tmp / kind / f"{item['id']}.json").write_text(_dumps(item, compact=True),
                                                                encoding="utf-8")
            index["kinds"][kind] = {"count": len(items), "all": f"{kind}.json",
                                    "one": f"{kind}/{{id}}.json"}
        dets = json_determinations(
            base, table_rows["determination"] if table_rows is not None else None)
        (tmp / "determinations.json").write_text(_dumps(dets, compact=True), encoding="utf-8")
        index["determinations"] = {"count": len(dets), "all": "determinations.json"}
        (tmp / "index.json").write_text(_dumps(index, compact=True), encoding="utf-8")

    outputs.write_folder(out, write, force)
    return [out]


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    import re

    text = str(v)
    # A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...)
    # sends the reader's data away, =cmd|... runs programs); OWASP's advice is a leading quote,
    # which shows the text as written. Numbers, -1.5 among them, stay numbers.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(
            r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", text):
        return "'" + text
    return text


def export_csv(base: KnowledgeBase, out: Path, table_rows: Rows | None = None,
               force: bool = False) -> list[Path]:
    """One CSV per table, with the tables' own columns, rows in a fixed order. Written as a
    whole over an earlier export's folder only (:mod:`kb.outputs`)."""
    from kb.rows import rows

    all_rows = table_rows if table_rows is not None else rows(base)

    def write(tmp: Path) -> None:
        for table in tables.TABLES:
            name = table.__tablename__  # type: ignore[attr-defined]
            columns = [c.name for c in table.__table__.columns]  # type: ignore[attr-defined]
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(columns)
            for i, row in enumerate(all_rows[name], start=1):
                if "id" in columns and row.get("id") is None:
                    row = {**row, "id": i}
                writer.writerow([_csv_cell(row.get(c)) for c in columns])
            (tmp / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")

    outputs.write_folder(out, write, force)
    return [out]


EXPORTERS = {"sqlite": export_sqlite, "json": export_json, "csv": export_csv}
