"""The OpenAPI 3.1 description of the static JSON API (``api/openapi.json``).

Record schemas come from the pydantic models (the JSON is their ``model_dump``); what
:mod:`kb.export` changes or adds is written here beside it, with the export's own column
descriptions (:data:`kb.export.DESCRIPTIONS`). The document depends on the models only, never on
the records, so every build writes the same bytes; tests/test_openapi.py checks each file the
export writes against its path's schema, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kb import engine, models, outputs, schema
from kb.export import DESCRIPTIONS, JSON_SCHEMA_VERSION
from kb.models.chip import OperandType
from kb.models.figures import CONVENTION_LABELS
from kb.models.source import DEFAULT_RELIABILITY, Reliability
from kb.rows import RANGED

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"

# Kinds whose records are published with every field (kb.export.json_records); rules leave out
# the fields that are null, so only their non-null fields are always there.
_FULL_DUMP = ("sources", "organizations", "country-groups", "chips", "market-shares", "claims")

_NUMBER = {"type": "number"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_DATE = {"type": "string", "format": "date"}
_DATE_OR_NULL = {"anyOf": [_DATE, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _operands(values: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "propertyNames": {"enum": list(OperandType.__args__)},
            "additionalProperties": values}


def _with(target: dict[str, Any], props: dict[str, dict[str, Any]],
          required: bool = True) -> None:
    """Add (or replace) properties of ``target``, each always present when ``required``."""
    target.setdefault("properties", {}).update(props)
    if required:
        target["required"] = sorted(set(target.get("required", [])) | set(props))


def _describe_all(defs: dict[str, dict[str, Any]]) -> None:
    """Each model's and field's description from the docstrings in :mod:`kb.models`, as the
    records' own JSON Schemas have them (:mod:`kb.schema`)."""
    reachable: dict[str, type[BaseModel]] = {}
    for model in models.KINDS.values():
        reachable.update(schema._models_in(model))
    for name, sub in defs.items():
        if name in reachable:
            schema._describe(sub, reachable[name])


# Record fields the models carry no docstring for, in words that hold for every kind they
# appear in (the models' own docstrings, where written, come first).
_PLAIN: dict[str, str] = {
    "id": "The record's id: its file name under records/, a lowercase slug",
    "name": "Name as the maker or issuer writes it", "title": "Title as published",
    "short_title": "A short name for the rule", "aliases": "Other names it goes by",
    "notes": "Remarks by the knowledge base's contributors",
    "citations": "Which source supports which fields",
    "disputed": "Figures that sources give differently, with each source's value",
    "kind": "What sort of record this is (one of the listed values)",
    "family": "Product family or architecture", "foundry": "Organization id of the foundry",
    "process": "Manufacturing process, as the foundry names it",
    "transistors_billion": "Transistor count, billions",
    "memory": "On-package memory (null: not recorded)", "tdp_w": "Thermal design power, W",
    "form_factor": "Package or board form", "url": "Address of the document or page",
    "publisher": "Who published the document", "published": "Publication date (YYYY-MM-DD "
                                                             "or YYYY-MM)",
    "authority": "Organization id of the issuing authority",
    "description": "What it is, in words", "members": "Countries with their dated membership",
    "scope": "Which chips the market counts", "region": "global, or an ISO 3166-1 country code",
    "period_start": "First month or day of the period measured",
    "period_end": "Last month or day of the period measured",
    "value_pct_low": "Least share in percent, where a range is given",
    "value_pct_high": "Greatest share in percent, where a range is given",
    "qualifier": "How the value is stated: about, at least, at most or exact",
    "quote": "The source's words", "figures": "Figures the claim states",
    "verdict": "The knowledge base's verdict on the claim",
    "evidence": "Sources weighed, each supporting, contradicting or qualifying the claim",
    "related": "Records the claim is about", "jurisdiction": "Where the rule has force",
    "instrument": "Kind of legal instrument",
    "document_number": "The issuer's document number (e.g. Federal Register)",
    "dates": "The rule's dates: announced, published, effective, compliance, end",
    "amends": "Ids of rules this one amends", "replaces": "Ids of rules this one replaces",
    "ends": "Ids of rules this one ends", "summary": "What the rule does, in words",
    "controls": "The rule's controls, each a paragraph with its criterion and destinations",
}


# The fields of the nested models (criteria, destinations, figure ranges, dates...) that carry
# no docstring, by schema name; the models' own docstrings, where written, come first.
_ON_OR = {"gte": "at least", "gt": "more than", "lte": "at most", "lt": "less than",
          "eq": "exactly"}
_DAY_OR = {"gte": "on or after", "gt": "after", "lte": "on or before", "lt": "before",
           "eq": "on"}
_TEXT_TEST = {"eq": "The text must be exactly this",
              "in": "The text must be one of these (any one matches)"}
_NESTED: dict[str, dict[str, str]] = {
    "ByConvention": {
        "conventions": "The figure under each named way of counting ("
                       + "; ".join(f"{k}: {v}" for k, v in CONVENTION_LABELS.items()) + ")",
        "note": "Why the ways of counting give different values, in words"},
    "Control": {
        "description": "What the paragraph controls, in words",
        "effective": "First day in force, where it differs from the rule's (left out: the "
                     "rule's first day; see applies_from)",
        "destinations": "Where a licence is needed: countries and groups, less exclusions (left "
                        "out: the control names none; a review-policy control then applies "
                        "wherever the controls in policy_of need a licence)",
        "policy_of": "For a review-policy control: the controls whose licences it changes the "
                     "review of",
        "policy_by_destination": "Review policies for some of the destinations, each in place "
                                 "of licence_policy there (the first entry that names a "
                                 "destination applies)",
        "policy_note": "Conditions or remarks that go with the review policy, in words",
        "exceptions": "Licence exceptions or exemptions available under the control",
        "note": "Remarks by the knowledge base's contributors"},
    "ControlRef": {"rule": "Id of the rule (rules/{id}.json)",
                   "control": "Id of the control within that rule, its paragraph (e.g. "
                              "3A090.a)"},
    "Criterion": {"all": "Criteria that must all hold", "any": "Criteria of which at least "
                  "one must hold", "not": "A criterion that must not hold"},
    "DateTest": {op: f"The day must be {words} this day (YYYY-MM-DD)"
                 for op, words in _DAY_OR.items()},
    "DestinationPolicy": {
        "countries": "ISO 3166-1 alpha-2 codes of the countries the policy applies to",
        "groups": "Country-group ids whose members the policy applies to (membership on the "
                  "day asked about)",
        "policy": "The licence review policy for those destinations",
        "note": "Conditions or remarks that go with the policy there, in words"},
    "Disputed": {"field": "The field, or dotted path such as dense_tops.fp8, the other source "
                          "gives a value for",
                 "value": "The value that source gives",
                 "source": "Id of the source that gives it (sources/{id}.json)"},
    "EarlierFor": {"effective": "The earlier first day for the named chips and vendors",
                   "chips": "Ids of the chips the earlier day applies to"},
    "Evidence": {"source": "Id of the source weighed (sources/{id}.json)",
                 "tier": "official (datasheet, filing, regulation), reported (press, analyst) "
                         "or estimated (by the knowledge base)"},
    "FigureRange": {"low": "The lowest value the sources give (its source cited as the "
                           "field's .low)",
                    "high": "The highest value the sources give (its source cited as the "
                            "field's .high)"},
    "LicenceException": {"description": "What the exception allows, and on which conditions, "
                                        "in words"},
    "Membership": {"country": "ISO 3166-1 alpha-2 code of the member country"},
    "Memory": {"capacity_gb": "On-package memory capacity, GB"},
    "NumberTest": {op: f"The value must be {words} this number"
                   for op, words in _ON_OR.items()},
    "Reach": {
        "worldwide": "Every destination (less the exclusions)",
        "countries": "ISO 3166-1 alpha-2 codes of the destination countries",
        "except_countries": "Countries left out, though worldwide or a group takes them in",
        "except_groups": "Country-group ids whose members are left out (membership on the day "
                         "asked about)",
        "headquartered_in_groups": "Also to entities headquartered in a member of these "
                                   "country groups (or whose parent is), wherever they are",
        "note": "Remarks on the destinations, in words"},
    "Related": {"chips": "Ids of the chips the claim is about",
                "rules": "Ids of the rules the claim is about",
                "market_shares": "Ids of the market-share estimates the claim is about",
                "organizations": "Ids of the organizations the claim is about"},
    "RuleDates": {"announced": "Day the rule was announced",
                  "published": "Day of official publication (e.g. in the Federal Register)",
                  "effective": "Day the rule takes effect",
                  "comment_deadline": "Last day for public comments on the rule"},
    "_TextTestModel": _TEXT_TEST,
}
# The objects written inline in a criterion (a text comparison, another control's outcome).
_CONTROL_TEST = {"rule": "Id of the rule the control is in (left out: the rule the criterion "
                         "is written in)",
                 "control": "Id of the control, its paragraph (e.g. 3A090.a)"}


def _describe_nested(defs: dict[str, dict[str, Any]]) -> None:
    for name, fields in _NESTED.items():
        props = defs[name]["properties"]
        for key, text in fields.items():
            if not props[key].get("description"):  # KeyError: a field the model dropped
                props[key]["description"] = text
    for key, prop in defs["Criterion"]["properties"].items():
        words = _CONTROL_TEST if key == "control" else _TEXT_TEST
        for branch in prop.get("anyOf", []):
            for sub, schema_ in branch.get("properties", {}).items():
                schema_.setdefault("description", words[sub])


def _overlay(target: dict[str, Any], descriptions: dict[str, str]) -> None:
    """The export's descriptions win: they say what the published field holds (written for the
    CSV, where null is an empty cell)."""
    for key, text in descriptions.items():
        prop = target.get("properties", {}).get(key)
        if prop is not None:
            prop["description"] = text.replace("(empty", "(null").replace("; empty:", "; null:")


def _chip(defs: dict[str, dict[str, Any]]) -> None:
    chip, memory = defs["Chip"], defs["Memory"]
    # A figure known only within bounds is null here, with the interval's ends beside it
    # (kb.export.json_records), so each field is a number or null, never an object.
    bounded = ((chip, "die_area_mm2", "die_area_mm2"),
               (chip, "interconnect_gb_s", "interconnect_gb_s"),
               (memory, "capacity_gb", "memory_capacity_gb"),
               (memory, "bandwidth_gb_s", "memory_bandwidth_gb_s"))
    for target, key, _ in bounded:
        target["properties"][key] = {**_NUMBER_OR_NULL,
                                     "description": target["properties"][key]["description"]}
    memory["required"] = sorted(memory["properties"])
    chip["properties"]["dense_tops"] = {
        **_operands(_NUMBER),
        "description": "Dense peak tera-operations per second by operand type, for the operand "
                       "types whose figure is one value (see dense_tops_low and "
                       "dense_tops_high for the others)"}
    extra: dict[str, dict[str, Any]] = {
        "dense_tops_low": {**_operands(_NUMBER), "description":
                           "Least dense TOPS the figures allow, by operand type"},
        "dense_tops_high": {**_operands(_NUMBER), "description":
                            "Greatest dense TOPS the figures allow, by operand type"},
        "tpp_operand": {"anyOf": [{"enum": list(OperandType.__args__)}, {"type": "null"}],
                        "description": "The operand type whose term sets the TPP (null: no "
                                       "dense figures)"},
        "released_precision": {"enum": ["day", "month", None],
                               "description": "How precise released is: day, month or null "
                                              "(no release date)"},
        "released_from": {**_DATE_OR_NULL, "description":
                          "First day the release date can mean (a month counts from its first "
                          "day)"},
        "is_datacenter_known": {"type": "boolean", "description":
                                "Whether datacenter is recorded (false: datacenter is null)"},
    }
    for name in RANGED:
        what = name.replace("_", " ")
        extra[f"{name}_low"] = {**_NUMBER_OR_NULL, "description":
                                f"Least {what} the figures allow (equals the figure where it is "
                                "exact; null: unknown)"}
        extra[f"{name}_high"] = {**_NUMBER_OR_NULL, "description":
                                 f"Greatest {what} the figures allow (null: unbounded)"}
    _with(chip, extra)
    _overlay(chip, DESCRIPTIONS["chip"])
    for target, key, ranged in bounded:
        prop = target["properties"][key]
        if f"{ranged}_low" not in prop["description"]:
            prop["description"] = (prop["description"].rstrip(".") + " (null where only bounds "
                                   f"are known: see the chip's {ranged}_low and {ranged}_high)")


def _rule(defs: dict[str, dict[str, Any]]) -> None:
    _with(defs["Rule"], {"start": {**_DATE_OR_NULL, "description":
                                   "First day in force: effective, else published, else "
                                   "announced"}})
    _with(defs["Control"], {
        "applies_from": {**_DATE_OR_NULL, "description": DESCRIPTIONS["determination"][
            "valid_from"]},
        "applies_to": {**_DATE_OR_NULL, "description": DESCRIPTIONS["determination"][
            "valid_to"].replace("empty", "null")},
        "is_open_ended": {"type": "boolean", "description":
                          "Whether the control still applies (applies_to is null)"},
    })


def _source(defs: dict[str, dict[str, Any]]) -> None:
    kinds = ", ".join(f"{kind}: {mark}" for kind, mark in DEFAULT_RELIABILITY.items())
    _with(defs["Source"], {
        "reliability": {"enum": list(Reliability.__args__), "description":
                        DESCRIPTIONS["source"]["reliability"] + f" (by kind: {kinds})"},
        "is_reliability_recorded": {"type": "boolean", "description":
                                    "Whether the record sets reliability (false: the default "
                                    "for its kind)"},
    })


def _determination() -> dict[str, Any]:
    described = DESCRIPTIONS["determination"]
    props: dict[str, dict[str, Any]] = {
        "chip_id": {"type": "string", "description": "The chip (chips/{id}.json)"},
        "rule_id": {"type": "string", "description": "The rule (rules/{id}.json)"},
        "control_id": {"type": "string", "description": "The control within the rule"},
        "status": {"enum": sorted(engine.STATUS.values())},
        "is_controlled": {"type": "boolean", "description": "Whether status is controlled"},
        "is_undetermined": {"type": "boolean", "description": "Whether status is undetermined"},
        "reasons": {"type": "string", "description": "Why, in words; reasons joined by '; '"},
        "missing": {"type": "string", "description":
                    "The missing figures the answer waits on, joined by ', ' (empty: none)"},
        "deciding_input": {"type": ["string", "null"]},
        "flip_value": _NUMBER_OR_NULL,
        "decided_when": {"type": ["string", "null"]},
        "valid_from": _DATE_OR_NULL,
        "valid_to": _DATE_OR_NULL,
    }
    for key, text in described.items():
        props[key] = {**props[key], "description": text.replace("(empty:", "(null:")}
    return {"type": "object", "title": "Determination", "additionalProperties": False,
            "description": "What one control says about one chip, and the days it holds for",
            "properties": props, "required": sorted(props)}


def _index() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The index's schema, and those of its entries for a kind and for determinations."""
    kind = {"type": "object", "additionalProperties": False, "required": ["count", "all", "one"],
            "description": "A record kind's count and files",
            "properties": {
                "count": {"type": "integer", "minimum": 0, "description": "Number of records"},
                "all": {"type": "string", "description": "Every record, relative to index.json"},
                "one": {"type": "string", "description":
                        "One record by id, relative to index.json ({id}: the record's id)"}}}
    dets = copy.deepcopy(kind)
    del dets["properties"]["one"]
    dets["required"] = ["count", "all"]
    dets["description"] = "The determinations' count and file"
    return {
        "type": "object", "title": "Index", "additionalProperties": False,
        "description": "What the API holds, with the file of each kind",
        "required": ["schema_version", "kinds", "determinations", "openapi"],
        "properties": {
            "schema_version": {"const": JSON_SCHEMA_VERSION, "description":
                               "Changes when a field changes meaning or is removed (each version's "
                               "change: docs/querying.md, Schema versions)"},
            "openapi": {"const": "openapi.json", "description": "This API's description"},
            "kinds": {"type": "object", "additionalProperties": False,
                      "description": "Each record kind's count and files",
                      "required": list(models.KINDS),
                      "properties": {k: {**_ref("IndexKind"), "description":
                                         f"The {k.replace('-', ' ')}: count and files"}
                                     for k in models.KINDS}},
            "determinations": {**_ref("IndexDeterminations"), "description":
                               "Every chip under every chip control: count and file"},
        },
    }, kind, dets


def components() -> dict[str, dict[str, Any]]:
    """Every schema of the API by name."""
    _, top = models_json_schema([(m, "serialization") for m in models.KINDS.values()],
                                ref_template=REF)
    defs: dict[str, dict[str, Any]] = top["$defs"]
    _describe_all(defs)
    _describe_nested(defs)
    for model in models.KINDS.values():
        for key, prop in defs[model.__name__]["properties"].items():
            if not prop.get("description") and key in _PLAIN:
                prop["description"] = _PLAIN[key]
    for folder in _FULL_DUMP:
        record = defs[models.KINDS[folder].__name__]
        record["required"] = sorted(record["properties"])
    _chip(defs)
    _rule(defs)
    _source(defs)
    _overlay(defs["MarketShare"], DESCRIPTIONS["market_share"])
    _overlay(defs["Membership"], {"from": DESCRIPTIONS["group_member"]["from_date"],
                                  "to": DESCRIPTIONS["group_member"]["to_date"]})
    defs["Determination"] = _determination()
    defs["Index"], defs["IndexKind"], defs["IndexDeterminations"] = _index()
    defs["OpenAPI"] = {"type": "object", "required": ["openapi", "paths"],
                       "description": "This document",
                       "properties": {"openapi": {"const": OPENAPI_VERSION, "description":
                                                  "The OpenAPI version the document follows"}}}
    return defs


def _get(operation_id: str, summary: str, body: dict[str, Any],
         parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, "responses": {
        "200": {"description": summary, "content": {"application/json": {"schema": body}}},
        "404": {"description": "No such file (for one record: no record with that id)"}}}
    if parameters:
        op["parameters"] = parameters
    return {"get": op}


def document() -> dict[str, Any]:
    """The OpenAPI document; the same for every build of the same code."""
    schemas = components()
    paths: dict[str, Any] = {
        "/api/index.json": _get("getIndex", "What the API holds", _ref("Index")),
        "/api/openapi.json": _get("getOpenAPI", "This description of the API", _ref("OpenAPI")),
        "/api/determinations.json": _get(
            "listDeterminations", "Every chip under every chip control",
            {"type": "array", "items": _ref("Determination")}),
    }
    for folder, model in models.KINDS.items():
        name = model.__name__
        id_schema = {k: v for k, v in schemas[name]["properties"]["id"].items() if k != "title"}
        paths[f"/api/{folder}.json"] = _get(
            f"list{name}s", f"Every {folder.replace('-', ' ')} record",
            {"type": "array", "items": _ref(name)})
        paths[f"/api/{folder}/{{id}}.json"] = _get(
            f"get{name}", f"One {folder.replace('-', ' ')} record", _ref(name),
            [{"name": "id", "in": "path", "required": True, "schema": id_schema,
              "description": "The record's id (its file name under records/" + folder + "/)"}])
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{outputs.METADATA_TITLE}: static JSON API",
            "version": JSON_SCHEMA_VERSION,
            "description": "Static files, written by each build from the same records as the "
                           "site. Figures known only within bounds are null, with their "
                           "interval's ends in the *_low and *_high fields beside them; "
                           "three-valued answers are a status and is_* flags.",
            "license": {"name": "CC BY 4.0 (data)", "identifier": "CC-BY-4.0"},
        },
        # Relative to this document (api/openapi.json): the folder that holds api/.
        "servers": [{"url": "..", "description": "The downloads folder beside this file's api/"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }
