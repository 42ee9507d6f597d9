"""Pydantic models of every record kind. No I/O here: loading lives in :mod:`kb.loader`."""

from kb.models.chip import Chip, Memory
from kb.models.claim import Claim, ClaimedFigure, Evidence, Related
from kb.models.common import Citation, Disputed, Record
from kb.models.country_group import CountryGroup, Membership
from kb.models.criteria import Criterion
from kb.models.market_share import MarketShare
from kb.models.organization import Organization
from kb.models.rule import Control, ControlRef, LicenceException, Reach, Rule, RuleDates
from kb.models.source import Source

# Folder under records/ -> model. The order is the order kinds are loaded and reported in.
KINDS: dict[str, type[Record]] = {
    "sources": Source,
    "organizations": Organization,
    "country-groups": CountryGroup,
    "chips": Chip,
    "rules": Rule,
    "market-shares": MarketShare,
    "claims": Claim,
}

__all__ = [
    "KINDS",
    "Chip",
    "Citation",
    "Claim",
    "ClaimedFigure",
    "Control",
    "ControlRef",
    "CountryGroup",
    "Criterion",
    "Disputed",
    "Evidence",
    "LicenceException",
    "MarketShare",
    "Membership",
    "Memory",
    "Organization",
    "Reach",
    "Record",
    "Related",
    "Rule",
    "RuleDates",
    "Source",
]
