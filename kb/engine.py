"""The rules engine: three-valued criteria, determinations, licences, timelines, what-if.

Pure functions over records already validated: no I/O, no clock (callers pass the date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kb.metrics import METRICS, format_number
from kb.models import Chip, Control, CountryGroup, Reach, Rule
from kb.models.criteria import Criterion

STATUS = {True: "controlled", False: "not controlled", None: "undetermined"}
"""The words for a three-valued answer, used by every view."""

_OP_TEXT = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "in": "in"}
_NEGATED = {"gte": "<", "gt": "≤", "lte": ">", "lt": "≥", "eq": "≠", "in": "not in"}


class Outcome(NamedTuple):
    """Kleene truth value of a criterion with the reasons and the figures it lacked."""

    # A named tuple: a determination builds several thousand of these, and a frozen
    # dataclass costs three times as much to construct.
    value: bool | None
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def _show(metric: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_show(metric, v) for v in value) + "]"
    return str(value)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "gte":
        return bool(actual >= expected)
    if op == "gt":
        return bool(actual > expected)
    if op == "lte":
        return bool(actual <= expected)
    if op == "lt":
        return bool(actual < expected)
    if op == "eq":
        return bool(actual == expected)
    return actual in expected


def _metric_outcome(name: str, test: Any, chip: Chip) -> Outcome:
    metric = METRICS[name]
    actual = metric.get(chip)
    if actual is None:
        inputs = _absent_inputs(metric.inputs or (name,), chip)
        return Outcome(None, (f"{metric.label} unknown (missing {', '.join(inputs)})",), inputs)
    if metric.type == "bool":
        ok = actual == test
        label = metric.label
        text = label if actual else f"not {label}"
        return Outcome(ok, (text,))
    results = []
    bound = metric.type == "number" and metric.lower_bound(chip)
    unit = f" {metric.unit}" if metric.unit and metric.type == "number" else ""
    for op, expected in test:
        ok = _compare(op, actual, expected)
        if bound and not _settled_by_lower_bound(op, ok):
            # The true value is at least `actual`; only some answers are certain.
            results.append(Outcome(None, (
                f"{metric.label} at least {_show(name, actual)}{unit}, not known against "
                f"{_show(name, expected)}{unit} (dense_tops incomplete)",), ("dense_tops",)))
            continue
        sign = _OP_TEXT[op] if ok else _NEGATED[op]
        shown = f"at least {_show(name, actual)}" if bound else _show(name, actual)
        results.append(Outcome(ok, (f"{metric.label} {shown}{unit} {sign} "
                                    f"{_show(name, expected)}{unit}",)))
    return _all(results)


def _settled_by_lower_bound(op: str, ok: bool) -> bool:
    """With only a lower bound L for a value V >= L: `V >= x` is settled when L >= x holds,
    `V < x` when it fails; equality never is."""
    if op in ("gte", "gt"):
        return ok
    if op in ("lt", "lte"):
        return not ok
    return False


def _absent_inputs(inputs: tuple[str, ...], chip: Chip) -> tuple[str, ...]:
    """The inputs of a metric that the chip record lacks (empty dense_tops counts as absent)."""
    absent = []
    for path in inputs:
        value: Any = chip
        for part in path.split("."):
            value = getattr(value, part, None) if value is not None else None
        if value is None or value == {}:
            absent.append(path)
    return tuple(absent) or inputs


def _all(parts: list[Outcome]) -> Outcome:
    if len(parts) == 1:
        # Outcomes already hold their reasons once each, and only unknowns carry `missing`.
        return parts[0]
    if any(p.value is False for p in parts):
        chosen = [p for p in parts if p.value is False]
        return Outcome(False, _cat(p.reasons for p in chosen))
    missing = _cat(p.missing for p in parts)
    if any(p.value is None for p in parts):
        return Outcome(None, _cat(p.reasons for p in parts), missing)
    return Outcome(True, _cat(p.reasons for p in parts))


def _any(parts: list[Outcome]) -> Outcome:
    if len(parts) == 1:
        return parts[0]
    if any(p.value is True for p in parts):
        chosen = [p for p in parts if p.value is True]
        return Outcome(True, _cat(p.reasons for p in chosen))
    if any(p.value is None for p in parts):
        return Outcome(None, _cat(p.reasons for p in parts), _cat(p.missing for p in parts))
    return Outcome(False, _cat(p.reasons for p in parts))


def _cat(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


# Criteria are immutable: their parts (and each comparison's operators) are worked out once.
# Keyed by id, holding the object so the id cannot be reused while the entry lives.
_PARTS: dict[int, tuple[Any, list[tuple[str, Any]]]] = {}


def _parts_of(criterion: Any) -> list[tuple[str, Any]]:
    entry = _PARTS.get(id(criterion))
    if entry is None or entry[0] is not criterion:
        parts = []
        for key, value in criterion.parts():
            if key not in ("all", "any", "not_") and METRICS[key].type != "bool":
                value = value.items()  # (operator, value) pairs, computed once
            parts.append((key, value))
        entry = _PARTS[id(criterion)] = (criterion, parts)
    return entry[1]


def evaluate(criterion: Any, chip: Chip) -> Outcome:
    """Evaluate a criterion on a chip: True, False or None (unknown), with reasons."""
    parts: list[Outcome] = []
    for key, value in _parts_of(criterion):
        if key == "all":
            parts.append(_all([evaluate(c, chip) for c in value]))
        elif key == "any":
            parts.append(_any([evaluate(c, chip) for c in value]))
        elif key == "not_":
            inner = evaluate(value, chip)
            flipped = None if inner.value is None else not inner.value
            parts.append(Outcome(flipped, inner.reasons, inner.missing))
        else:
            parts.append(_metric_outcome(key, value, chip))
    return _all(parts)


# ---------------------------------------------------------------------------------------------
# Compiled criteria: the same three-valued answer as `evaluate`, without building reasons, for bulk
# work (every chip under every control). `evaluate` stays the one place that explains.

Answer = tuple[bool | None, tuple[str, ...]]


def compile_criterion(criterion: Any) -> Any:
    """A function chip -> (True/False/None, missing inputs) equal in value to ``evaluate``."""
    parts = [_compile_part(key, value) for key, value in _parts_of(criterion)]
    return _all_of(parts)


def _combine(parts: list[Any], decisive: bool) -> Any:
    """Kleene `all` (decisive False) or `any` (decisive True) over compiled parts."""
    if len(parts) == 1:
        return parts[0]

    def combined(chip: Chip) -> Answer:
        missing: tuple[str, ...] = ()
        unknown = False
        for part in parts:
            value, miss = part(chip)
            if value is decisive:
                return decisive, ()
            if value is None:
                unknown = True
                missing += miss
        return (None, tuple(dict.fromkeys(missing))) if unknown else (not decisive, ())
    return combined


def _all_of(parts: list[Any]) -> Any:
    return _combine(parts, False)


def _any_of(parts: list[Any]) -> Any:
    return _combine(parts, True)


def _compile_part(key: str, value: Any) -> Any:
    if key == "all":
        return _all_of([compile_criterion(c) for c in value])
    if key == "any":
        return _any_of([compile_criterion(c) for c in value])
    if key == "not_":
        inner = compile_criterion(value)

        def not_(chip: Chip) -> Answer:
            v, miss = inner(chip)
            return (None if v is None else not v), miss
        return not_
    metric = METRICS[key]
    get, inputs, lower_bound = metric.get, metric.inputs or (key,), metric.lower_bound
    if metric.type == "bool":
        def boolean(chip: Chip) -> Answer:
            actual = get(chip)
            if actual is None:
                return None, _absent_inputs(inputs, chip)
            return actual == value, ()
        return boolean
    tests = list(value)
    numeric = metric.type == "number"

    def compare(chip: Chip) -> Answer:
        actual = get(chip)
        if actual is None:
            return None, _absent_inputs(inputs, chip)
        bound = numeric and lower_bound(chip)
        unknown = False
        for op, expected in tests:
            ok = _compare(op, actual, expected)
            if bound and not _settled_by_lower_bound(op, ok):
                unknown = True
            elif not ok:
                return False, ()
        return (None, ("dense_tops",)) if unknown else (True, ())
    return compare


# ---------------------------------------------------------------------------------------------
# Determinations


@dataclass(frozen=True)
class Determination:
    """What one control of one rule says about one chip on one date."""

    rule_id: str
    control_id: str
    controlled: bool | None
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return STATUS[self.controlled]


@dataclass(frozen=True)
class Requirement:
    """A licence requirement (or possible one) for a chip to a destination on a date."""

    rule_id: str
    control_id: str
    destination: str
    required: bool | None
    """True: a licence is needed; None: undetermined because a figure is missing."""
    basis: str
    """"destination" (the country is reached) or "headquarters" (the buyer's parent is)."""
    policy: str | None
    policy_note: str | None
    exceptions: list[str]
    reasons: list[str]


@dataclass(frozen=True)
class TimelineEntry:
    """The chip's status from ``date`` until the next entry."""

    date: dt.date
    controlled_by: list[tuple[str, str]]
    undetermined: list[tuple[str, str]]
    released_from: list[tuple[str, str]]
    """Controls that caught the chip on the previous entry and no longer apply or catch."""

    @property
    def status(self) -> str:
        if self.controlled_by:
            return "controlled"
        return "undetermined" if self.undetermined else "not controlled"


@dataclass(frozen=True)
class WhatIf:
    """Which chips a hypothetical criterion catches, compared with the rules on a date."""

    on: dt.date
    caught: list[str]
    not_caught: list[str]
    undetermined: dict[str, list[str]]
    newly_caught: list[str]
    """Caught by the criterion, not controlled by any rule on ``on``."""
    released: list[str]
    """Controlled by some rule on ``on``, not caught by the criterion."""


class Engine:
    """Evaluation over one knowledge base's rules and groups, with control spans precomputed."""

    def __init__(self, rules: Mapping[str, Rule], groups: Mapping[str, CountryGroup],
                 chips: Mapping[str, Chip] | None = None) -> None:
        self.rules = rules
        self.groups = groups
        # A criterion's answer does not depend on the date, so answers for the knowledge base's
        # own chips are kept; hypothetical chips are evaluated afresh every time.
        self._known = chips or {}
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._change_dates: list[dt.date] | None = None
        self._compiled: dict[tuple[str, str], Any] = {}
        self.spans: dict[tuple[str, str], tuple[dt.date | None, dt.date | None]] = {}
        successors = self._successors()
        ordered = sorted(rules.values(), key=lambda r: (r.start or dt.date.min, r.id))
        self.chip_controls: list[tuple[Rule, Control]] = []
        self.policy_controls: list[tuple[Rule, Control]] = []
        for rule in ordered:
            for control in rule.controls:
                start, end = rule.control_span(control)
                nxt = successors.get((rule.id, control.id))
                if nxt is not None and (end is None or nxt - dt.timedelta(days=1) < end):
                    end = nxt - dt.timedelta(days=1)
                self.spans[(rule.id, control.id)] = (start, end)
                if control.criterion is None:
                    continue
                if control.effect == "review-policy":
                    self.policy_controls.append((rule, control))
                else:
                    self.chip_controls.append((rule, control))
        self._controls_by_key = {(r.id, c.id): (r, c) for r, c in self.chip_controls}

    def _successors(self) -> dict[tuple[str, str], dt.date]:
        """First day of the control that supersedes each superseded control (derived end dates)."""
        out: dict[tuple[str, str], dt.date] = {}
        for rule in self.rules.values():
            for control in rule.controls:
                start, _ = rule.control_span(control)
                if start is None:
                    continue
                for ref in control.supersedes:
                    key = (ref.rule, ref.control)
                    out[key] = min(out.get(key, start), start)
        return out

    def in_force(self, rule: Rule, control: Control, on: dt.date) -> bool:
        start, end = self.spans[(rule.id, control.id)]
        return start is not None and start <= on and (end is None or on <= end)

    def change_dates(self) -> list[dt.date]:
        """Every day on which some chip control starts or stops applying."""
        if self._change_dates is None:
            days: set[dt.date] = set()
            for rule, control in self.chip_controls:
                start, end = self.spans[(rule.id, control.id)]
                if start:
                    days.add(start)
                if end:
                    days.add(end + dt.timedelta(days=1))
            self._change_dates = sorted(days)
        return list(self._change_dates)

    def _evaluate_once(self, key: str, criterion: Any, chip: Chip) -> Outcome:
        """A criterion on a chip, answered once per knowledge-base chip (``key`` names where the
        criterion sits: rule and control, and the exception for an exception's criterion);
        hypothetical chips are answered afresh every time."""
        if self._known.get(chip.id) is not chip:
            return evaluate(criterion, chip)
        found = self._outcomes.get((key, chip.id))
        if found is None:
            found = self._outcomes[(key, chip.id)] = evaluate(criterion, chip)
        return found

    def answer(self, rule: Rule, control: Control, chip: Chip) -> Answer:
        """A control's criterion on a chip, value and missing inputs only (no reasons)."""
        return self._compiled_for(rule, control)(chip)  # type: ignore[no-any-return]

    def _compiled_for(self, rule: Rule, control: Control) -> Any:
        key = (rule.id, control.id)
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = compile_criterion(control.criterion)
        return fn

    def matrix(self, chips: Iterable[Chip]) -> dict[str, tuple[int, int]]:
        """For each chip, two bit masks over ``chip_controls``: the controls whose criterion
        catches it, and those that leave it undetermined."""
        # Rules repeat criteria (3A090.a of 2023 is also in the 2024 corrections and the Macau
        # rule): each distinct criterion is answered once, for all the controls that use it.
        masks: dict[str, tuple[Any, int]] = {}
        for bit, (rule, control) in enumerate(self.chip_controls):
            same = control.criterion.model_dump_json()  # type: ignore[union-attr]
            fn, mask = masks.get(same, (self._compiled_for(rule, control), 0))
            masks[same] = (fn, mask | 1 << bit)
        compiled = list(masks.values())
        out: dict[str, tuple[int, int]] = {}
        # Chip by chip, every criterion in turn: each chip's figures are read while they are in
        # the CPU's cache, and a day's statuses are then two integer tests per chip.
        for chip in chips:
            caught = unknown = 0
            for fn, mask in compiled:
                value = fn(chip)[0]
                if value is True:
                    caught |= mask
                elif value is None:
                    unknown |= mask
            out[chip.id] = (caught, unknown)
        return out

    def determination_rows(self, chips: Iterable[Chip]) -> list[dict[str, Any]]:
        """Every chip under every chip control, with the days the control applies: the rows the
        database and the JSON export publish."""
        out = []
        for chip in chips:
            for rule, control in self.chip_controls:
                res = self.evaluate(rule, control, chip)
                start, end = self.spans[(rule.id, control.id)]
                out.append({
                    "chip_id": chip.id, "rule_id": rule.id, "control_id": control.id,
                    "controlled": res.value, "status": STATUS[res.value],
                    "reasons": "; ".join(res.reasons), "missing": ", ".join(res.missing),
                    "valid_from": start, "valid_to": end,
                })
        return out

    def statuses(self, matrix: dict[str, tuple[int, int]], on: dt.date) -> dict[str, str]:
        """Every chip's status on a day from a precomputed :meth:`matrix` (criteria do not
        depend on dates; only which controls apply does)."""
        in_force = 0
        for bit, (rule, control) in enumerate(self.chip_controls):
            if self.in_force(rule, control, on):
                in_force |= 1 << bit
        return {cid: "controlled" if caught & in_force else
                "undetermined" if unknown & in_force else "not controlled"
                for cid, (caught, unknown) in matrix.items()}

    def evaluate(self, rule: Rule, control: Control, chip: Chip) -> Outcome:
        """A control's criterion on a chip (dates aside)."""
        return self._evaluate_once(f"{rule.id} {control.id}", control.criterion, chip)

    def classify(self, chip: Chip, on: dt.date) -> list[Determination]:
        out = []
        for rule, control in self.chip_controls:
            if self.in_force(rule, control, on):
                res = self.evaluate(rule, control, chip)
                out.append(Determination(rule.id, control.id, res.value, list(res.reasons),
                                         list(res.missing)))
        return out

    def reaches(self, reach: Reach, country: str, on: dt.date) -> bool:
        """Whether a destination reach covers a country on a date."""
        if country in reach.except_countries or any(
            self.groups[g].has(country, on) for g in reach.except_groups
        ):
            return False
        return (
            reach.worldwide
            or country in reach.countries
            or any(self.groups[g].has(country, on) for g in reach.groups)
        )

    def _in(self, country: str, countries: list[str], groups: list[str], on: dt.date) -> bool:
        return country in countries or any(self.groups[g].has(country, on) for g in groups)

    def policy(self, rule: Rule, control: Control, chip: Chip, destination: str,
               on: dt.date) -> tuple[str | None, str | None]:
        """Review policy (and its note) for a licence under a control to a destination."""
        policy, note = control.licence_policy, control.policy_note
        for p in control.policy_by_destination:
            if self._in(destination, p.countries, p.groups, on):
                policy, note = p.policy, p.note or note
                break
        for prule, pcontrol in self.policy_controls:
            if not self.in_force(prule, pcontrol, on):
                continue
            if not any(r.rule == rule.id and r.control == control.id for r in pcontrol.policy_of):
                continue
            if pcontrol.destinations and not self.reaches(pcontrol.destinations, destination, on):
                continue
            res = self._evaluate_once(f"{prule.id} {pcontrol.id}", pcontrol.criterion, chip)
            if res.value is False:
                continue
            prefix = "" if res.value else "possibly, if its conditions hold: "
            policy = pcontrol.licence_policy
            note = (f"{prefix}set by {prule.id} {pcontrol.id}"
                    + (f": {pcontrol.policy_note}" if pcontrol.policy_note else ""))
        return policy, note

    def hq_reaches(self, reach: Reach, country: str, on: dt.date) -> bool:
        return country in reach.headquartered_in or any(
            self.groups[g].has(country, on) for g in reach.headquartered_in_groups
        )

    def license_required(self, chip: Chip, destination: str, on: dt.date,
                         headquartered_in: str | None = None) -> list[Requirement]:
        controls = self._controls_by_key
        out = []
        for det in self.classify(chip, on):
            if det.controlled is False:
                continue
            rule, control = controls[(det.rule_id, det.control_id)]
            reach = control.destinations
            if reach is None:
                continue
            basis = None
            if self.reaches(reach, destination, on):
                basis = "destination"
            elif headquartered_in and self.hq_reaches(reach, headquartered_in, on):
                basis = "headquarters"
            if basis is None:
                continue
            exceptions = []
            for e in control.exceptions:
                if e.destinations is not None and not self.reaches(e.destinations, destination,
                                                                   on):
                    continue
                fits = (self._evaluate_once(f"{rule.id} {control.id} {e.id}", e.criterion,
                                            chip).value if e.criterion is not None else True)
                if fits is not False:
                    exceptions.append(e.id if fits else f"{e.id} (undetermined)")
            policy, note = self.policy(rule, control, chip, destination, on)
            out.append(Requirement(det.rule_id, det.control_id, destination,
                                   True if det.controlled else None, basis, policy, note,
                                   exceptions, det.reasons))
        return out

    def timeline(self, chip: Chip) -> list[TimelineEntry]:
        out: list[TimelineEntry] = []
        previous: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = None
        for day in self.change_dates():
            dets = self.classify(chip, day)
            caught = [(d.rule_id, d.control_id) for d in dets if d.controlled is True]
            unknown = [(d.rule_id, d.control_id) for d in dets if d.controlled is None]
            if previous is not None and (caught, unknown) == previous:
                continue
            before = previous[0] if previous else []
            released = [k for k in before if k not in caught]
            if previous is None and not caught and not unknown:
                previous = (caught, unknown)
                continue
            out.append(TimelineEntry(day, caught, unknown, released))
            previous = (caught, unknown)
        return out

    def what_if(self, criterion: Any, chips: Iterable[Chip], on: dt.date) -> WhatIf:
        caught, not_caught, newly, released = [], [], [], []
        undetermined: dict[str, list[str]] = {}
        for chip in chips:
            res = evaluate(criterion, chip)
            now = any(d.controlled is True for d in self.classify(chip, on))
            if res.value is True:
                caught.append(chip.id)
                if not now:
                    newly.append(chip.id)
            elif res.value is False:
                not_caught.append(chip.id)
                if now:
                    released.append(chip.id)
            else:
                undetermined[chip.id] = list(res.missing)
        return WhatIf(on, caught, not_caught, undetermined, newly, released)


def as_criterion(value: Any) -> Any:
    """A criterion from a model or plain data."""
    if isinstance(value, Criterion):
        return value
    return Criterion.model_validate(value)
