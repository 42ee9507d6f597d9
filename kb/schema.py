"""JSON Schema for every record kind, generated from the pydantic models, for editors.

Field descriptions come from the attribute docstrings in :mod:`kb.models`, read here from the
source with ``ast`` rather than by pydantic at import (which would slow every ``kb.load()``).
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kb import models

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# records/<folder> -> schema file name
FILE_NAMES = {
    "sources": "source",
    "organizations": "organization",
    "country-groups": "country-group",
    "chips": "chip",
    "rules": "rule",
    "market-shares": "market-share",
    "claims": "claim",
}


@cache
def _docstrings(module_name: str) -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring written under the field."""
    import importlib

    source = inspect.getsource(importlib.import_module(module_name))
    out: dict[str, dict[str, str]] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, str] = {}
        body = node.body
        for first, second in itertools.pairwise(body):
            if (isinstance(first, ast.AnnAssign) and isinstance(first.target, ast.Name)
                    and isinstance(second, ast.Expr) and isinstance(second.value, ast.Constant)
                    and isinstance(second.value.value, str)):
                fields[first.target.id] = inspect.cleandoc(second.value.value)
        out[node.name] = fields
    return out


def _models_in(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``model``, by the title pydantic gives it in the schema."""
    found: dict[str, type[BaseModel]] = {}

    def visit(m: type[BaseModel]) -> None:
        if m.__name__ in found:
            return
        found[m.__name__] = m
        for info in m.model_fields.values():
            for sub in _submodels(info.annotation):
                visit(sub)

    visit(model)
    return found


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out.extend(_submodels(arg))
    return out


def _describe(schema: dict[str, Any], model: type[BaseModel]) -> None:
    docs = {}
    for cls in reversed(model.__mro__):
        ours = cls.__module__.startswith("kb.")
        if isinstance(cls, type) and issubclass(cls, BaseModel) and ours:
            docs.update(_docstrings(cls.__module__).get(cls.__name__, {}))
    if model.__doc__ and "description" not in schema:
        schema["description"] = inspect.cleandoc(model.__doc__)
    for name, info in model.model_fields.items():
        key = info.alias or name
        prop = schema.get("properties", {}).get(key)
        if prop is not None and name in docs and "description" not in prop:
            prop["description"] = docs[name]


def schema_for(folder: str) -> dict[str, Any]:
    """The JSON Schema of the records in ``records/<folder>/``."""
    model = models.KINDS[folder]
    schema = model.model_json_schema(mode="validation")
    reachable = _models_in(model)
    _describe(schema, model)
    for name, sub in schema.get("$defs", {}).items():
        if name in reachable:
            _describe(sub, reachable[name])
    return {"$schema": SCHEMA_DIALECT, "$id": f"{FILE_NAMES[folder]}.schema.json", **schema}


def render(folder: str) -> str:
    return json.dumps(schema_for(folder), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(out: Path) -> list[Path]:
    """Write one schema file per record kind into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for folder, name in FILE_NAMES.items():
        path = out / f"{name}.schema.json"
        path.write_text(render(folder), encoding="utf-8")
        written.append(path)
    return written


def editor_header(folder: str) -> str:
    """The first line of a record file, pointing editors at its schema."""
    return f"# yaml-language-server: $schema=../../schemas/{FILE_NAMES[folder]}.schema.json"
