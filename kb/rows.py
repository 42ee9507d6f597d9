"""Records -> table rows: what the database, the CSV export and the session worker publish.

Every row comes from a validated record; derived values come from :mod:`kb.metrics`. This module
imports no SQL library, so a worker process can compute the rows while the parent imports
SQLAlchemy (see :mod:`kb.sessions`); ``python -m kb.rows`` is that worker.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import sys
from typing import TYPE_CHECKING, Any

from kb import bounds, metrics
from kb.models.figures import exact

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

SCHEMA_VERSION = "3"

Rows = dict[str, list[dict[str, Any]]]
"""Every table's rows by table name, as :func:`rows` makes them."""

# The tables in dependency order (rows are inserted in this order); kb.tables defines the same
# tables with their columns, and a test keeps the two lists equal.
TABLE_NAMES = (
    "kb_meta", "country", "organization", "source", "chip", "chip_tops", "citation",
    "country_group", "group_member", "rule", "rule_link", "control", "control_destination",
    "market_share", "claim", "claim_evidence", "claim_link", "determination",
)

def rows(base: KnowledgeBase) -> Rows:
    """Every table's rows, in a fixed order (tables by dependency, rows by key)."""
    from kb.models import countries
    from kb.models.common import partial_start

    out: Rows = {name: [] for name in TABLE_NAMES}
    out["kb_meta"] = [{"key": "schema_version", "value": SCHEMA_VERSION},
                      {"key": "title", "value": "AI chip export-controls knowledge base"},
                      {"key": "licence", "value": "Data: CC BY 4.0; code: MIT"}]
    out["country"] = [{"code": c, "name": n} for c, n in sorted(countries.table().items())]
    for org in base.organizations.values():
        out["organization"].append({"id": org.id, "name": org.name, "kind": org.kind,
                                    "country": org.country, "url": org.url, "notes": org.notes})
        _citations(out, "organization", org.id, org.citations)
    for src in base.sources.values():
        out["source"].append({**src.model_dump(include={"id", "title", "publisher", "published",
                                                        "url", "kind", "notes"}),
                              "reliability": src.reliability_mark})
    # Parents before variants, so the self-reference holds as rows arrive.
    for chip in sorted(base.chips.values(), key=lambda c: (c.variant_of is not None, c.id)):
        mem = chip.memory
        out["chip"].append({
            "id": chip.id, "name": chip.name, "vendor_id": chip.vendor, "kind": chip.kind,
            "family": chip.family, "released": chip.released, "released_on": chip.released_on,
            "datacenter": chip.datacenter, "foundry_id": chip.foundry, "process": chip.process,
            "die_area_mm2": exact(chip.die_area_mm2), "logic_dies": chip.logic_dies,
            "transistors_billion": chip.transistors_billion,
            "tpp": chip.tpp, "tpp_operand": bounds.setting_operand(chip),
            "performance_density": chip.performance_density, "stated_tpp": chip.stated_tpp,
            "memory_type": mem.type if mem else None,
            "memory_capacity_gb": exact(mem.capacity_gb) if mem else None,
            "memory_bandwidth_gb_s": exact(mem.bandwidth_gb_s) if mem else None,
            "interconnect_gb_s": exact(chip.interconnect_gb_s), "tdp_w": chip.tdp_w,
            "form_factor": chip.form_factor, "variant_of": chip.variant_of, "notes": chip.notes,
            **range_columns(chip),
        })
        for op, term in bounds.operand_intervals(chip).items():
            tops = bounds.figure(chip.dense_tops[op], op)
            assert tops is not None
            out["chip_tops"].append({
                "chip_id": chip.id, "operand": op,
                "dense_tops": tops.low if tops.exact else None,
                "dense_tops_low": tops.low, "dense_tops_high": tops.high,
                "bit_length": metrics.BIT_LENGTH[op],
                "bit_lengths": " or ".join(str(b) for b in metrics.BIT_LENGTHS.get(
                    op, (metrics.BIT_LENGTH[op],))),
                "tpp_term": term.low if term.exact else None,
                "tpp_term_low": term.low, "tpp_term_high": term.high})
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


RANGED = ("tpp", "performance_density", "die_area_mm2", "interconnect_gb_s",
          "memory_bandwidth_gb_s", "memory_capacity_gb")
"""Metrics published with the ends of the interval the figures allow (``_low``, ``_high``)."""


def range_columns(chip: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in RANGED:
        out[f"{name}_low"], out[f"{name}_high"] = bounds.low_high(chip.spans[name])
    return out


def _citations(out: Rows, kind: str, rid: str,
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


def _worker(argv: list[str]) -> int:
    """Load the records (the folder in ``argv``, else the default), compute every table's rows
    and write them, pickled, to stdout."""
    import kb
    from kb.errors import RecordsInvalid
    from kb.loader import load

    try:
        message: tuple[Any, ...] = ("rows", kb.__file__, rows(load(argv[0] if argv else None)))
    except RecordsInvalid as exc:
        message = ("invalid", kb.__file__, exc.problems)
    sys.stdout.buffer.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    # A short-lived process that frees nothing until it exits: the cyclic collector would only
    # rescan the growing heap of model classes and records.
    import gc

    gc.disable()
    sys.exit(_worker(sys.argv[1:]))
