"""The in-memory knowledge base: every record, validated and cross-checked, and its engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kb.engine import (
    Determination,
    Engine,
    Period,
    Requirement,
    TimelineEntry,
    Verdict,
    WhatIf,
    as_criterion,
)
from kb.errors import Problem, UnknownRecord
from kb.models import Chip, Claim, CountryGroup, MarketShare, Organization, Rule, Source

ChipRef = Chip | str
DateLike = dt.date | str | None


def as_day(value: DateLike) -> dt.date:
    """A date from a ``date``, an ISO string, or ``None`` (today)."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date written YYYY-MM-DD; found {value!r}") from None


class KnowledgeBase:
    """Read-only view over the records; one load serves every query and view."""

    def __init__(
        self,
        *,
        chips: Mapping[str, Chip],
        organizations: Mapping[str, Organization],
        rules: Mapping[str, Rule],
        country_groups: Mapping[str, CountryGroup],
        market_shares: Mapping[str, MarketShare],
        sources: Mapping[str, Source],
        claims: Mapping[str, Claim] | None = None,
        root: Path | None = None,
        warnings: tuple[Problem, ...] = (),
    ) -> None:
        def frozen(items: Mapping[str, Any]) -> Mapping[str, Any]:
            return MappingProxyType(dict(sorted(items.items())))

        self.chips: Mapping[str, Chip] = frozen(chips)
        self.organizations: Mapping[str, Organization] = frozen(organizations)
        self.rules: Mapping[str, Rule] = frozen(rules)
        self.country_groups: Mapping[str, CountryGroup] = frozen(country_groups)
        self.market_shares: Mapping[str, MarketShare] = frozen(market_shares)
        self.sources: Mapping[str, Source] = frozen(sources)
        self.claims: Mapping[str, Claim] = frozen(claims or {})
        self.root = root
        self.warnings = warnings
        self._matrix: dict[str, tuple[int, int]] | None = None
        self._engines: dict[str, Engine] = {}

    @classmethod
    def from_records(cls, records: Mapping[str, Mapping[str, Any]], root: Path | None = None,
                     warnings: tuple[Problem, ...] = ()) -> KnowledgeBase:
        return cls(
            chips=records["chips"],
            organizations=records["organizations"],
            rules=records["rules"],
            country_groups=records["country-groups"],
            market_shares=records["market-shares"],
            sources=records["sources"],
            claims=records.get("claims", {}),
            root=root,
            warnings=warnings,
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"<KnowledgeBase {counts}>"

    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""
        return {
            "chips": len(self.chips),
            "organizations": len(self.organizations),
            "rules": len(self.rules),
            "country-groups": len(self.country_groups),
            "market-shares": len(self.market_shares),
            "sources": len(self.sources),
            "claims": len(self.claims),
        }

    @property
    def engine(self) -> Engine:
        """The rules engine, giving its reasons in the language in force (:mod:`kb.i18n`):
        one engine per language, each keeping its own answers."""
        from kb.i18n import language
        from kb.words import names_from

        lang = language()
        found = self._engines.get(lang)
        if found is None:
            found = self._engines[lang] = Engine(self.rules, self.country_groups, self.chips,
                                                 names_from(self))
        return found

    def chip(self, chip_or_id: ChipRef) -> Chip:
        """A chip record by id, or the given (possibly hypothetical) chip itself."""
        if isinstance(chip_or_id, Chip):
            return chip_or_id
        try:
            return self.chips[chip_or_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(chip_or_id, list(self.chips), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownRecord(f"no chip '{chip_or_id}'{hint}") from None

    def classify(self, chip_or_id: ChipRef, on: DateLike = None) -> list[Determination]:
        """What every chip control in force on ``on`` (default: today) says about the chip."""
        return self.engine.classify(self.chip(chip_or_id), as_day(on))

    def license_required(self, chip_or_id: ChipRef, destination: str, on: DateLike = None,
                         headquartered_in: str | None = None) -> list[Requirement]:
        """Licence requirements for exporting the chip to ``destination`` (ISO code) on ``on``.

        ``headquartered_in`` adds the rules that reach buyers by where their parent is based.
        """
        destination = destination.upper()
        self._check_country(destination)
        if headquartered_in:
            headquartered_in = headquartered_in.upper()
            self._check_country(headquartered_in)
        return self.engine.license_required(self.chip(chip_or_id), destination, as_day(on),
                                            headquartered_in)

    def verdict(self, chip_or_id: ChipRef, on: DateLike = None, destination: str | None = None,
                headquartered_in: str | None = None) -> Verdict:
        """The overall answer on ``on``: controlled (or, with ``destination``, a licence
        required), not, or undetermined, across every control in force; where no one control
        is certain but one of several catches the chip whichever value its figures allow, the
        answer is yes, ``jointly``. An undetermined answer names the figures that decide it."""
        if destination is not None:
            destination = destination.upper()
            self._check_country(destination)
        if headquartered_in:
            headquartered_in = headquartered_in.upper()
            self._check_country(headquartered_in)
        return self.engine.verdict(self.chip(chip_or_id), as_day(on), destination,
                                   headquartered_in)

    def history(self, chip_or_id: ChipRef, destination: str | None = None,
                today: DateLike = None) -> list[Period]:
        """The chip's complete status history to ``today`` (default: today): every period,
        controlled (by which controls), not controlled (and the numbers that kept it out) or
        undetermined (and what would decide it); for a destination, whether a licence was
        needed and the review policy in force."""
        if destination is not None:
            destination = destination.upper()
            self._check_country(destination)
        return self.engine.history(self.chip(chip_or_id), destination, as_day(today))

    def timeline(self, chip_or_id: ChipRef) -> list[TimelineEntry]:
        """The chip's status changes over time, across every rule."""
        return self.engine.timeline(self.chip(chip_or_id))

    def what_if(self, criterion: Any, on: DateLike = None) -> WhatIf:
        """Which chips a hypothetical criterion catches, compared with the rules on ``on``."""
        return self.engine.what_if(as_criterion(criterion), self.chips.values(), as_day(on))

    def statuses(self, on: DateLike = None) -> dict[str, str]:
        """Every chip's overall status on a day: controlled, undetermined or not controlled.

        The bulk form of ``classify``: each criterion is answered once per chip, then only the set
        of controls in force changes from day to day.
        """
        if self._matrix is None:
            self._matrix = self.engine.matrix(self.chips.values())
        return self.engine.statuses(self._matrix, as_day(on))

    def change_dates(self) -> list[dt.date]:
        """Every day on which some chip control starts or stops."""
        return self.engine.change_dates()

    @staticmethod
    def _check_country(code: str) -> None:
        from kb.models import countries

        if code not in countries.ALPHA2:
            raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code"
                             f"{countries.suggest(code)}")
