"""The JSON API's OpenAPI description: a valid OpenAPI 3.1 document, every file the build writes
matches its path's response schema, the same bytes every build, linked from the downloads page;
and source reliability as published in the JSON, SQL and CSV downloads."""

from __future__ import annotations

import copy
import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kb import KnowledgeBase
from kb.site import build

DOC_URI = "urn:kb:openapi"


@pytest.fixture(scope="module")
def downloads(base: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("downloads")
    build.write_downloads(base, folder)  # what kb build writes into site/downloads/
    return folder


@pytest.fixture(scope="module")
def doc(downloads: Path) -> dict[str, Any]:
    return json.loads((downloads / "api" / "openapi.json").read_text(encoding="utf-8"))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validators(doc: dict[str, Any]) -> list[tuple[re.Pattern[str], Any]]:
    """Each path as a pattern over file names under api/, with its 200 response's schema."""
    registry = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    out = []
    for path in doc["paths"]:
        assert path.startswith("/api/")
        pattern = re.compile(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path[len("/api/"):])))
        ref = f"{DOC_URI}#/" + _pointer("paths", path, "get", "responses", "200", "content",
                                        "application/json", "schema")
        out.append((pattern, jsonschema.Draft202012Validator(
            {"$ref": ref}, registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)))
    return out


def test_document_is_valid_openapi_3_1(doc):
    validate(doc)  # raises on any error
    assert doc["openapi"] == "3.1.0"


def test_every_file_the_build_writes_matches_its_path(downloads, doc):
    validators = _validators(doc)
    files = sorted(p for p in (downloads / "api").rglob("*") if p.is_file())
    assert any(p.name == "openapi.json" for p in files)
    checked: set[str] = set()
    for file in files:
        rel = file.relative_to(downloads / "api").as_posix()
        matches = [v for pattern, v in validators if pattern.fullmatch(rel)]
        assert len(matches) == 1, f"{rel}: {len(matches)} paths describe it"
        errors = list(matches[0].iter_errors(json.loads(file.read_text(encoding="utf-8"))))
        assert not errors, f"{rel}: {errors[0].json_path}: {errors[0].message}"
        checked.add(rel)
    # Every path describes a file that exists (each {id} path, at least one record's).
    for pattern, _ in validators:
        assert any(pattern.fullmatch(rel) for rel in checked), pattern.pattern


def test_schemas_catch_a_field_the_export_did_not_declare(downloads, doc):
    # The schemas refuse unknown fields, so an export field added without its description
    # fails the test above instead of slipping through.
    validators = dict((p.pattern, v) for p, v in _validators(doc))
    chip = json.loads((downloads / "api" / "chips" / "nvidia-h20.json").read_text())
    one_chip = next(v for p, v in validators.items() if p.startswith("chips/"))
    assert one_chip.is_valid(chip)
    assert not one_chip.is_valid({**chip, "surprise": 1})
    assert not one_chip.is_valid({**chip, "die_area_mm2": {"low": 1, "high": 2}})
    det = json.loads((downloads / "api" / "determinations.json").read_text())[0]
    dets = next(v for p, v in validators.items() if p.startswith("determinations"))
    assert dets.is_valid([det])
    assert not dets.is_valid([{k: v for k, v in det.items() if k != "flip_value"}])


# JSON Schema keywords whose values are schemas: one, a list of them, or a mapping of them.
_ONE = ("items", "not", "additionalProperties", "propertyNames", "contains", "if", "then",
        "else", "unevaluatedItems", "unevaluatedProperties")
_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")


def _undescribed(schema: Any, where: str) -> list[str]:
    """Every property, at any depth below ``schema``, without a description in words."""
    if not isinstance(schema, dict):
        return []  # true / false
    out = [f"{where}.{key}" for key, prop in schema.get("properties", {}).items()
           if not (isinstance(prop, dict) and re.search(r"[A-Za-z]{2}",
                                                        str(prop.get("description", ""))))]
    for keyword in _ONE:
        out += _undescribed(schema.get(keyword), f"{where}/{keyword}")
    for keyword in _LIST:
        for i, sub in enumerate(schema.get(keyword, [])):
            out += _undescribed(sub, f"{where}/{keyword}[{i}]")
    for keyword in _MAP:
        for key, sub in schema.get(keyword, {}).items():
            out += _undescribed(sub, f"{where}.{key}" if keyword == "properties"
                                else f"{where}/{keyword}/{key}")
    return out


def _every_schema(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    """The document's schemas: its components, and those written in its paths."""
    out = list(doc["components"]["schemas"].items())
    for path, item in doc["paths"].items():
        op = item["get"]
        out += [(f"{path} {p['name']}", p["schema"]) for p in op.get("parameters", [])]
        out += [(f"{path} {code}", body["schema"]) for code, response in op["responses"].items()
                for body in response.get("content", {}).values()]
    return out


def test_every_field_is_described(doc):
    schemas = doc["components"]["schemas"]
    # Every property of every schema, however deep: the criterion tree, destinations, figure
    # ranges, dates, the objects written inline in a criterion, the index's entries.
    undescribed = [u for name, schema in _every_schema(doc) for u in _undescribed(schema, name)]
    assert undescribed == []
    # The walk reaches nested schemas: it finds a description taken away at each depth.
    for *path, key in (("Reach", "properties", "note"),
                       ("Criterion", "properties", "vendor", "anyOf", 1, "properties", "in"),
                       ("Index", "properties", "kinds", "properties", "chips")):
        broken = copy.deepcopy(schemas[path[0]])
        target = broken
        for step in path[1:]:
            target = target[step]
        del target[key]["description"]
        assert len(_undescribed(broken, path[0])) == 1, path
    # The records' words come first: the models' docstrings and Field descriptions, then the
    # export's own DESCRIPTIONS.
    reach, control = schemas["Reach"]["properties"], schemas["Control"]["properties"]
    assert reach["groups"]["description"].startswith("Country-group ids; membership is read")
    assert control["earlier_for"]["description"].startswith("Named chips or vendors")
    assert schemas["Criterion"]["properties"]["tpp"]["description"].startswith(
        "total processing performance")
    assert schemas["Chip"]["properties"]["tpp_low"]["description"].startswith("Least TPP")
    # The JSON says null where the CSV leaves a cell empty.
    assert "(null:" in schemas["Membership"]["properties"]["to"]["description"]
    assert "memory_capacity_gb_low" in schemas["Memory"]["properties"]["capacity_gb"][
        "description"]


def test_document_is_byte_identical_across_builds(base, downloads, tmp_path):
    build.write_downloads(base, tmp_path)
    again = (tmp_path / "api" / "openapi.json").read_bytes()
    assert again == (downloads / "api" / "openapi.json").read_bytes()
    assert again.endswith(b"\n") and json.loads(again)["info"]["version"]


def test_downloads_page_links_the_document(base, downloads):
    from kb.site import render

    page = render.render_pages(base, Path(__file__).parents[1] / "docs")["downloads.md"]
    links = re.findall(rb'href="([^"]+)"', page)
    assert b"downloads/api/openapi.json" in links
    # The downloads folder the build publishes holds it, beside index.json, which names it.
    index = json.loads((downloads / "api" / "index.json").read_text())
    assert (downloads / "api" / index["openapi"]).is_file()


def test_source_reliability_is_published_with_whether_the_record_sets_it(base, downloads):
    api = downloads / "api"
    sources = {s["id"]: s for s in json.loads((api / "sources.json").read_text())}
    assert len(sources) == len(base.sources)
    con = sqlite3.connect(downloads / "kb.sqlite")
    try:
        sql = dict(con.execute("SELECT id, reliability FROM source"))
    finally:
        con.close()
    with (downloads / "csv" / "source.csv").open(newline="", encoding="utf-8") as f:
        csv_marks = {r["id"]: r["reliability"] for r in csv.DictReader(f)}
    recorded = defaulted = 0
    for sid, src in base.sources.items():
        published = sources[sid]
        assert published["reliability"] == src.reliability_mark == sql[sid] == csv_marks[sid]
        assert published["is_reliability_recorded"] is (src.reliability is not None)
        recorded += src.reliability is not None
        defaulted += src.reliability is None
    # The records hold both cases, so each branch above is exercised.
    assert recorded and defaulted
    weak = [s for s in base.sources.values() if s.reliability == "weak"]
    assert weak and all(sources[s.id]["reliability"] == "weak" for s in weak)
