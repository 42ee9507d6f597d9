"""The knowledge base in SQL: populate sqlmodel tables from a loaded KnowledgeBase.

``kb.session()`` gives a Session over an in-memory SQLite database; ``kb.session(url)`` fills
``sqlite:///path`` or ``postgresql+psycopg://...`` instead. Loading replaces the knowledge base's
own tables in one transaction and touches nothing else in that database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Session, SQLModel, create_engine

from kb import metrics, tables
from kb.errors import KBError
from kb.knowledge import KnowledgeBase
from kb.models import countries
from kb.models.common import partial_start

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
    with engine.begin() as conn:
        _check_ownership(conn)
        for view in reversed(tables.VIEWS):  # dependants first
            conn.execute(text(f"DROP VIEW IF EXISTS {view}"))
        SQLModel.metadata.drop_all(conn, tables=OWN_TABLES)
        _create_tables(conn)
        for name, table_rows in rows(base).items():
            if table_rows:
                conn.execute(tables_by_name()[name].insert(), table_rows)
        for view, sql in tables.VIEWS.items():
            conn.execute(text(f"CREATE VIEW {view} AS {sql}"))


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


@contextmanager
def session(url: str | None = None, base: KnowledgeBase | None = None) -> Iterator[Session]:
    """A sqlmodel Session over the records and determinations (loaded with ``kb.load()``
    unless ``base`` is given)."""
    from kb.loader import load

    engine = make_engine(url)
    try:
        populate(engine, base if base is not None else load())
        with Session(engine) as s:
            yield s
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# Records -> rows. Every row comes from a validated record; derived values from kb.metrics.


def rows(base: KnowledgeBase) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in a fixed order (tables by dependency, rows by key)."""
    out: dict[str, list[dict[str, Any]]] = {t.name: [] for t in OWN_TABLES}
    out["kb_meta"] = [{"key": "schema_version", "value": tables.SCHEMA_VERSION},
                      {"key": "title", "value": "AI chip export-controls knowledge base"},
                      {"key": "licence", "value": "Data: CC BY 4.0; code: MIT"}]
    out["country"] = [{"code": c, "name": n} for c, n in sorted(countries.table().items())]
    for org in base.organizations.values():
        out["organization"].append({"id": org.id, "name": org.name, "kind": org.kind,
                                    "country": org.country, "url": org.url, "notes": org.notes})
        _citations(out, "organization", org.id, org.citations)
    for src in base.sources.values():
        out["source"].append(src.model_dump(include={"id", "title", "publisher", "published",
                                                     "url", "kind", "notes"}))
    # Parents before variants, so the self-reference holds as rows arrive.
    for chip in sorted(base.chips.values(), key=lambda c: (c.variant_of is not None, c.id)):
        mem = chip.memory
        out["chip"].append({
            "id": chip.id, "name": chip.name, "vendor_id": chip.vendor, "kind": chip.kind,
            "family": chip.family, "released": chip.released, "released_on": chip.released_on,
            "datacenter": chip.datacenter, "foundry_id": chip.foundry, "process": chip.process,
            "die_area_mm2": chip.die_area_mm2, "transistors_billion": chip.transistors_billion,
            "tpp": chip.tpp, "tpp_operand": metrics.tpp_operand(chip.dense_tops),
            "performance_density": chip.performance_density, "stated_tpp": chip.stated_tpp,
            "memory_type": mem.type if mem else None,
            "memory_capacity_gb": mem.capacity_gb if mem else None,
            "memory_bandwidth_gb_s": mem.bandwidth_gb_s if mem else None,
            "interconnect_gb_s": chip.interconnect_gb_s, "tdp_w": chip.tdp_w,
            "form_factor": chip.form_factor, "variant_of": chip.variant_of, "notes": chip.notes,
        })
        for op, term in metrics.tpp_terms(chip.dense_tops).items():
            out["chip_tops"].append({"chip_id": chip.id, "operand": op,
                                     "dense_tops": chip.dense_tops[op],
                                     "bit_length": metrics.BIT_LENGTH[op], "tpp_term": term})
        _citations(out, "chip", chip.id, chip.citations)
    for group in base.country_groups.values():
        out["country_group"].append({"id": group.id, "name": group.name, "code": group.code,
                                     "authority_id": group.authority,
                                     "description": group.description})
        for m in sorted(group.members, key=lambda m: (m.country, m.from_ or dt.date.min)):
            out["group_member"].append({"group_id": group.id, "country": m.country,
                                        "from_date": m.from_, "to_date": m.to,
                                        "source_id": m.source})
        _citations(out, "country_group", group.id, group.citations)
    engine = base.engine
    for rule in base.rules.values():
        d = rule.dates
        out["rule"].append({
            "id": rule.id, "title": rule.title, "short_title": rule.short_title,
            "jurisdiction": rule.jurisdiction, "authority_id": rule.authority,
            "instrument": rule.instrument, "citation": rule.citation,
            "document_number": rule.document_number, "url": rule.url, "start_date": rule.start,
            "announced": d.announced, "public_inspection": d.public_inspection,
            "published": d.published, "effective": d.effective, "compliance": d.compliance,
            "comment_deadline": d.comment_deadline, "end_date": d.end, "summary": rule.summary,
            "status_note": rule.status_note,
        })
        for relation in ("amends", "replaces", "ends"):
            for other in sorted(getattr(rule, relation)):
                out["rule_link"].append({"rule_id": rule.id, "relation": relation,
                                         "other_rule_id": other})
        for control in rule.controls:
            start, end = engine.spans[(rule.id, control.id)]
            out["control"].append({
                "rule_id": rule.id, "control_id": control.id, "paragraph": control.paragraph,
                "description": control.description, "items": control.items,
                "effect": control.effect,
                "criterion_json": (json.dumps(control.criterion.model_dump(
                    mode="json", by_alias=True, exclude_none=True), sort_keys=True)
                    if control.criterion else None),
                "valid_from": start, "valid_to": end,
                "licence_policy": control.licence_policy, "policy_note": control.policy_note,
            })
            out["control_destination"].extend(_destinations(rule.id, control))
        _citations(out, "rule", rule.id, rule.citations)
    for share in base.market_shares.values():
        row = share.model_dump(exclude={"citations", "subject", "estimator"})
        row.update(subject_id=share.subject, estimator_id=share.estimator,
                   period_start_on=partial_start(share.period_start))
        out["market_share"].append(row)
        _citations(out, "market_share", share.id, share.citations)
    for claim in base.claims.values():
        out["claim"].append({
            "id": claim.id, "statement": claim.statement, "claimant": claim.claimant,
            "organization_id": claim.organization, "made": claim.made, "where": claim.where,
            "source_id": claim.source, "verdict": claim.verdict, "reasoning": claim.reasoning,
            "last_reviewed": claim.last_reviewed,
        })
        for ev in claim.evidence:
            out["claim_evidence"].append({"claim_id": claim.id, "source_id": ev.source,
                                          "stance": ev.stance, "tier": ev.tier, "note": ev.note})
        for kind, ids in (("chip", claim.related.chips), ("rule", claim.related.rules),
                          ("market_share", claim.related.market_shares),
                          ("organization", claim.related.organizations)):
            for rid in sorted(set(ids)):
                out["claim_link"].append({"claim_id": claim.id, "kind": kind, "record_id": rid})
    out["determination"] = engine.determination_rows(base.chips.values())
    return out


def _citations(out: dict[str, list[dict[str, Any]]], kind: str, rid: str,
               cites: list[Any]) -> None:
    for c in cites:
        out["citation"].append({"record_kind": kind, "record_id": rid, "source_id": c.source,
                                "fields": ", ".join(c.fields), "tier": c.tier, "note": c.note})


def _destinations(rule_id: str, control: Any) -> list[dict[str, Any]]:
    reach = control.destinations
    if reach is None:
        return []
    spec = [("include", "worldwide", [None] if reach.worldwide else []),
            ("include", "country", reach.countries), ("include", "group", reach.groups),
            ("exclude", "country", reach.except_countries),
            ("exclude", "group", reach.except_groups),
            ("headquartered", "country", reach.headquartered_in),
            ("headquartered", "group", reach.headquartered_in_groups)]
    return [{"rule_id": rule_id, "control_id": control.id, "role": role, "kind": kind,
             "value": value} for role, kind, values in spec for value in values]
