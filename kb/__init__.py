"""AI chip export-controls knowledge base: records, rules engine, queries and site.

Public API::

    import kb
    base = kb.load()
    base.chips["nvidia-h100-sxm"].tpp
    base.classify("nvidia-a800", on="2024-06-01")
    base.verdict("amd-mi100", on="2026-01-01", destination="CN")   # overall, with deciders
    with kb.session() as s: ...

The names below load on first use, so ``import kb`` costs almost nothing and each entry point
pays only for what it uses (``kb.session()`` starts loading the records in a worker while it
imports the SQL stack; see :mod:`kb.sessions`).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.cells import Decider
    from kb.engine import Determination, Requirement, TimelineEntry, Verdict, WhatIf
    from kb.errors import KBError, Problem, RecordsInvalid, UnknownRecord
    from kb.knowledge import KnowledgeBase
    from kb.loader import load
    from kb.models import (
        Chip,
        Claim,
        CountryGroup,
        Criterion,
        MarketShare,
        Organization,
        Rule,
        Source,
    )
    from kb.sessions import session

__version__ = "0.1.0"

_HOMES = {
    "Determination": "kb.engine", "Requirement": "kb.engine", "TimelineEntry": "kb.engine",
    "WhatIf": "kb.engine", "Verdict": "kb.engine", "Decider": "kb.cells",
    "KBError": "kb.errors", "Problem": "kb.errors", "RecordsInvalid": "kb.errors",
    "UnknownRecord": "kb.errors",
    "KnowledgeBase": "kb.knowledge",
    "load": "kb.loader",
    "Chip": "kb.models", "Claim": "kb.models", "CountryGroup": "kb.models",
    "Criterion": "kb.models", "MarketShare": "kb.models", "Organization": "kb.models",
    "Rule": "kb.models", "Source": "kb.models",
    "session": "kb.sessions",
}

__all__ = [
    "Chip", "Claim", "CountryGroup", "Criterion", "Decider", "Determination", "KBError",
    "KnowledgeBase",
    "MarketShare", "Organization", "Problem", "RecordsInvalid", "Requirement", "Rule",
    "Source", "TimelineEntry", "UnknownRecord", "Verdict", "WhatIf", "load", "session",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
