"""AI chip export-controls knowledge base: records, rules engine, queries and site.

Public API::

    import kb
    base = kb.load()
    base.chips["nvidia-h100-sxm"].tpp
    base.classify("nvidia-a800", on="2024-06-01")
"""

from typing import Any

from kb.engine import Determination, Requirement, TimelineEntry, WhatIf
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

__version__ = "0.1.0"

__all__ = [
    "Chip", "Claim", "CountryGroup", "Criterion", "Determination", "KBError", "KnowledgeBase",
    "MarketShare", "Organization", "Problem", "RecordsInvalid", "Requirement", "Rule",
    "Source", "TimelineEntry", "UnknownRecord", "WhatIf", "load", "session",
]


def __getattr__(name: str) -> Any:
    # The database stack loads only when asked for, so `kb validate` stays fast.
    if name == "session":
        from kb.db import session

        return session
    raise AttributeError(f"module 'kb' has no attribute {name!r}")
