"""The rules engine: three-valued criteria, determinations, licences, timelines, what-if.

Pure functions over records already validated: no I/O, no clock (callers pass the date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kb import bounds, cells, i18n, words
from kb.bounds import INF, Interval
from kb.cells import INPUT_OF, Decider, Resolve, compare
from kb.i18n import _
from kb.metrics import METRICS, format_number
from kb.models import Chip, Control, CountryGroup, Reach, Rule
from kb.models.criteria import GROUPS, Criterion

STATUS = {True: "controlled", False: "not controlled", None: "undetermined"}
"""The codes of a three-valued answer, used by every view (the API's values, in English in
every language: :func:`kb.words.status` says them to a reader)."""

_OP_TEXT = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "in": "in"}
_NEGATED = {"gte": "<", "gt": "≤", "lte": ">", "lt": "≥", "eq": "≠", "in": "not in"}


class Outcome(NamedTuple):
    """Kleene truth value of a criterion with the reasons and the figures it lacked."""

    # A named tuple: a determination builds several thousand of these, and a frozen
    # dataclass costs three times as much to construct.
    value: bool | None
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    deciders: tuple[Decider, ...] = ()
    """For an undetermined answer: the figures that would decide it, with the flip values."""


def _show(metric: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, dt.date):
        return i18n.day(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(metric, v) for v in value) + "]"
    return str(value)


def _interval_compare(op: str, span: Interval, expected: Any) -> bool | None:
    """Kleene comparison of every value in ``span`` with ``expected``: True or False when all
    of them agree, else None."""
    low, high = span.low, span.high
    if op == "gte":
        return True if low >= expected else False if high < expected else None
    if op == "gt":
        return True if low > expected else False if high <= expected else None
    if op == "lte":
        return True if high <= expected else False if low > expected else None
    if op == "lt":
        return True if high < expected else False if low >= expected else None
    if op == "eq":
        return True if low == high == expected else (
            False if expected < low or expected > high else None)
    return None


def open_inputs(name: str, chip: Chip) -> tuple[str, ...]:
    """The record fields whose uncertainty leaves a numeric metric open."""
    spans = chip.spans
    if name == "performance_density":
        out = []
        if not spans["tpp"].exact:
            out.append("dense_tops")
        if not spans["die_area_mm2"].exact:
            out.append("die_area_mm2")
        return tuple(out)
    return (INPUT_OF.get(name, name),)


Names = Callable[[str], str]
"""Display names for chip and organization ids (the ids themselves where none is given)."""


def _same_name(rid: str) -> str:
    return rid


def _unknown(metric: Any, inputs: tuple[str, ...]) -> str:
    return _("{metric} unknown ({fields} not recorded)").format(metric=_(metric.label),
                                                              fields=words.fields(inputs))


class _Open(str):
    """A reason that a figure is not known against a line: dropped once every value the
    figures allow gives the same answer."""


def _metric_outcome(name: str, test: Any, chip: Chip, names: Names = _same_name) -> Outcome:
    metric = METRICS[name]
    if metric.type == "number":
        return _number_outcome(name, test, chip)
    actual = metric.get(chip)
    if actual is None:
        inputs = _absent_inputs(metric.inputs or (name,), chip)
        return Outcome(None, (_unknown(metric, inputs),), inputs)
    if metric.type == "bool":
        ok = actual == test
        label = _(metric.label)
        text = label if actual else _("not {label}").format(label=label)
        return Outcome(ok, (text,))
    results = []
    for op, expected in test:
        ok = compare(op, actual, expected)
        results.append(Outcome(ok, (_text_reason(name, op, ok, actual, expected, names),)))
    return _all(results)


def _text_reason(name: str, op: str, ok: bool, actual: Any, expected: Any, names: Names) -> str:
    """Why a chip is or is not the one named, by the vendor named, or of the kind named."""
    if name == "id":
        return (_("named by the control") if ok else _("not among the chips the control names"))
    if name == "vendor":
        wanted = [expected] if op == "eq" else list(expected)
        if ok:
            return _("made by {vendor}").format(vendor=names(actual))
        return _("made by {vendor}, not {vendors}").format(
            vendor=names(actual), vendors=words.and_list([names(w) for w in wanted], "or"))
    if name == "kind":
        wanted = [expected] if op == "eq" else list(expected)
        if ok:
            return _("a {kind}").format(kind=words.kind(actual))
        return _("a {kind}, not a {kinds}").format(
            kind=words.kind(actual), kinds=words.and_list([words.kind(w) for w in wanted], "or"))
    metric = METRICS[name]
    sign = _OP_TEXT[op] if ok else _NEGATED[op]
    return f"{_(metric.label)} {_show(name, actual)} {sign} {_show(name, expected)}"


def _number_outcome(name: str, test: Any, chip: Chip) -> Outcome:
    metric = METRICS[name]
    span = chip.spans[name]
    unit = f" {metric.unit}" if metric.unit else ""
    if span.low <= 0 and span.high == INF:
        inputs = _absent_inputs(metric.inputs or (name,), chip)
        return Outcome(None, (_unknown(metric, inputs),), inputs)
    results = []
    for op, expected in test:
        ok = _interval_compare(op, span, expected)
        if ok is None:
            values = {"metric": _(metric.label), "value": span.shown(metric.unit),
                      "line": f"{_show(name, expected)}{unit}"}
            if span.why:
                text = _("{metric} {value}, not known against {line} ({why})").format(
                    why=words.clauses(bounds.why(span)), **values)
            else:
                text = _("{metric} {value}, not known against {line}").format(**values)
            results.append(Outcome(None, (_Open(text),), open_inputs(name, chip)))
            continue
        sign = _OP_TEXT[op] if ok else _NEGATED[op]
        results.append(Outcome(ok, (f"{_(metric.label)} {span.shown(metric.unit)} {sign} "
                                    f"{_show(name, expected)}{unit}",)))
    return _all(results)


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
            if key not in GROUPS and METRICS[key].type != "bool":
                value = value.items()  # (operator, value) pairs, computed once
            parts.append((key, value))
        entry = _PARTS[id(criterion)] = (criterion, parts)
    return entry[1]


def _no_references(ref: Any) -> tuple[str, Any, Any]:
    raise ValueError(f"the criterion names control {ref.control}'s outcome, which needs the "
                     "rule it is written in")


def evaluate(criterion: Any, chip: Chip, resolve: Resolve | None = None,
             names: Names = _same_name) -> Outcome:
    """Evaluate a criterion on a chip: True, False or None (undetermined), with reasons.

    Comparisons are over the values the chip's figures allow (kb.bounds); where those do not
    settle the answer at once, the possible values are split at the criterion's lines
    (kb.cells) and the answer is the same in every piece, or undetermined with the figure that
    would decide it."""
    found = _kleene(criterion, chip, resolve or _no_references, names)
    if found.value is not None:
        return found
    return _settled(criterion, chip, resolve or _no_references, found)


def _kleene(criterion: Any, chip: Chip, resolve: Resolve, names: Names = _same_name
            ) -> Outcome:
    parts: list[Outcome] = []
    for key, value in _parts_of(criterion):
        if key == "all":
            parts.append(_all([_kleene(c, chip, resolve, names) for c in value]))
        elif key == "any":
            parts.append(_any([_kleene(c, chip, resolve, names) for c in value]))
        elif key == "not_":
            inner = _kleene(value, chip, resolve, names)
            flipped = None if inner.value is None else not inner.value
            parts.append(Outcome(flipped, inner.reasons, inner.missing))
        elif key == "control":
            label, target, sub = resolve(value)
            inner = _kleene(target, chip, sub, names)
            if inner.value is None:
                inner = _settled(target, chip, sub, inner)
            text = {True: _("caught by {control}"), False: _("not caught by {control}"),
                    None: _("{control} undetermined")}[inner.value].format(control=label)
            parts.append(Outcome(inner.value, (text,), inner.missing))
        else:
            parts.append(_metric_outcome(key, value, chip, names))
    return _all(parts)


def _settled(criterion: Any, chip: Chip, resolve: Resolve, found: Outcome) -> Outcome:
    """An undetermined Kleene answer tried piece by piece over the possible values."""
    fn = cells.point_function(criterion, resolve)
    used = cells.lines(criterion, resolve)
    seen = cells.answers(chip, [fn], used)
    if seen is None or len(seen) != 1:
        deciders = tuple(cells.decide(chip, fn, used)) if seen is not None else ()
        reasons = found.reasons + tuple(
            _("caught if {condition}; the records: {known}").format(condition=d.condition,
                                                                   known=d.known)
            for d in deciders if d.condition)
        return Outcome(None, reasons, found.missing, deciders)
    value = next(iter(seen))[0]
    spans = words.clauses([f"{_(METRICS[m].label)} {chip.spans[m].shown(METRICS[m].unit)}"
                           for m in cells.uncertain(chip, used) if METRICS[m].type == "number"])
    lead = (_("yes for every value the figures allow ({figures})") if value else
            _("no for every value the figures allow ({figures})")).format(figures=spans)
    keep = tuple(r for r in found.reasons if not isinstance(r, _Open))
    return Outcome(value, (lead, *keep))


# ---------------------------------------------------------------------------------------------
# Compiled criteria: the same three-valued answer as `evaluate`, without building reasons, for bulk
# work (every chip under every control). `evaluate` stays the one place that explains.

Answer = tuple[bool | None, tuple[str, ...]]


def compile_criterion(criterion: Any, resolve: Resolve | None = None) -> Any:
    """A function chip -> (True/False/None, open inputs) equal in value to ``evaluate``."""
    resolve = resolve or _no_references
    kleene = _compile_all(criterion, resolve)
    point: list[Any] = []  # built on first need: most chips never get that far

    def answer(chip: Chip) -> Answer:
        value, miss = kleene(chip)
        if value is not None:
            return value, miss
        if not point:
            point.extend((cells.point_function(criterion, resolve),
                          cells.lines(criterion, resolve)))
        seen = cells.answers(chip, [point[0]], point[1], stop=_both)
        if seen is not None and len(seen) == 1:
            return next(iter(seen))[0], ()
        return None, miss
    return answer


def _both(seen: set[tuple[bool, ...]]) -> bool:
    return len(seen) > 1


def _compile_all(criterion: Any, resolve: Resolve) -> Any:
    parts = [_compile_part(key, value, resolve) for key, value in _parts_of(criterion)]
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


def _compile_part(key: str, value: Any, resolve: Resolve) -> Any:
    if key == "all":
        return _all_of([_compile_all(c, resolve) for c in value])
    if key == "any":
        return _any_of([_compile_all(c, resolve) for c in value])
    if key == "not_":
        inner = _compile_all(value, resolve)

        def not_(chip: Chip) -> Answer:
            v, miss = inner(chip)
            return (None if v is None else not v), miss
        return not_
    if key == "control":
        _label, target, sub = resolve(value)
        return compile_criterion(target, sub)  # settled on its own, as `evaluate` does
    metric = METRICS[key]
    get, inputs = metric.get, metric.inputs or (key,)
    if metric.type == "bool":
        def boolean(chip: Chip) -> Answer:
            actual = get(chip)
            if actual is None:
                return None, _absent_inputs(inputs, chip)
            return actual == value, ()
        return boolean
    tests = list(value)
    if metric.type == "number":
        def interval(chip: Chip) -> Answer:
            span = chip.spans[key]
            if span.low <= 0 and span.high == INF:
                return None, _absent_inputs(inputs, chip)
            unknown = False
            for op, expected in tests:
                ok = _interval_compare(op, span, expected)
                if ok is False:
                    return False, ()
                if ok is None:
                    unknown = True
            return (None, open_inputs(key, chip)) if unknown else (True, ())
        return interval

    def exact(chip: Chip) -> Answer:
        actual = get(chip)
        if actual is None:
            return None, _absent_inputs(inputs, chip)
        for op, expected in tests:
            if not compare(op, actual, expected):
                return False, ()
        return True, ()
    return exact


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
    deciders: list[Decider] = field(default_factory=list)
    """For an undetermined answer: the figures that would decide it, with the flip values."""

    @property
    def status(self) -> str:
        return STATUS[self.controlled]


def _copy(d: Determination) -> Determination:
    return Determination(d.rule_id, d.control_id, d.controlled, list(d.reasons),
                         list(d.missing), list(d.deciders))


@dataclass(frozen=True)
class Verdict:
    """The overall answer across every control in force (for a destination, where one is
    given): controlled or licence required (True), not (False), or undetermined (None)."""

    value: bool | None
    by: list[tuple[str, str]]
    """The controls that catch the chip; when ``jointly``, those of which one does."""
    jointly: bool
    """No one control is certain, but whichever value the figures allow, one of ``by``
    catches the chip (3A090.a above the density line, 3A090.b below it)."""
    reasons: list[str]
    deciders: list[Decider] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return STATUS[self.value]


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
    jointly: bool = False
    """Controlled by one of ``undetermined`` whichever value the figures allow."""

    @property
    def status(self) -> str:
        if self.controlled_by or self.jointly:
            return "controlled"
        return "undetermined" if self.undetermined else "not controlled"


@dataclass(frozen=True)
class Period:
    """One stretch of a chip's status history, for a destination or for any."""

    start: dt.date
    end: dt.date | None
    """Last day of the stretch; ``None``: still so today."""
    status: str
    """controlled, not controlled or undetermined (for a destination: whether a licence is
    needed, in the same three words)."""
    by: list[tuple[str, str]]
    """The controls that catch the chip (or, when ``jointly``, of which one does; when
    undetermined, the open ones)."""
    jointly: bool
    reasons: list[str]
    """Why: the figures that caught it, or the numbers that kept it out."""
    deciders: list[Decider]
    policy: str | None = None
    """For a destination where a licence is needed: the review policy in force."""
    policy_note: str | None = None


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
    deciders: dict[str, list[Decider]] = field(default_factory=dict)
    """For each undetermined chip, the figures that would decide it."""


class Engine:
    """Evaluation over one knowledge base's rules and groups, with control spans precomputed."""

    def __init__(self, rules: Mapping[str, Rule], groups: Mapping[str, CountryGroup],
                 chips: Mapping[str, Chip] | None = None, names: Names | None = None) -> None:
        self.rules = rules
        self.groups = groups
        self.names = names or _same_name
        # A criterion's answer does not depend on the date, so answers for the knowledge base's
        # own chips are kept; hypothetical chips are evaluated afresh every time.
        self._known = chips or {}
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._reached: dict[tuple[int, str, dt.date], tuple[object, bool]] = {}
        self._determinations: dict[tuple[str, tuple[tuple[str, str, int | None], ...]],
                                   list[Determination]] = {}
        self._change_dates: list[dt.date] | None = None
        self._compiled: dict[tuple[str, str], Any] = {}
        self._resolvers: dict[str, Resolve] = {}
        self._joint: dict[tuple[str, int], bool | None] = {}
        self._unions: dict[tuple[str, tuple[tuple[str, str], ...]],
                           tuple[bool | None, list[Decider]]] = {}
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
        # Controls that bind some chips earlier than their own first day: (bit, control).
        self._early = [(bit, control) for bit, (_rule, control) in enumerate(self.chip_controls)
                       if control.earlier_for]

    def _successors(self) -> dict[tuple[str, str], dt.date]:
        """First day of the control that supersedes each superseded control (derived end dates)."""
        out: dict[tuple[str, str], dt.date] = {}
        for rule in self.rules.values():
            for control in rule.controls:
                start, _end = rule.control_span(control)
                if start is None:
                    continue
                for ref in control.supersedes:
                    key = (ref.rule, ref.control)
                    out[key] = min(out.get(key, start), start)
        return out

    # -- references between controls ------------------------------------------------------

    def resolver(self, rule: Rule | None) -> Resolve:
        """How a criterion written in ``rule`` finds the controls it names (``None``: a
        criterion outside any rule, which must name the rule)."""
        key = rule.id if rule is not None else ""
        found = self._resolvers.get(key)
        if found is None:
            def resolve(ref: Any) -> tuple[str, Any, Any]:
                rid = ref.rule or key
                target_rule = self.rules.get(rid)
                if target_rule is None:
                    raise ValueError(f"no rule '{rid}' for control {ref.control}")
                target = next((c for c in target_rule.controls if c.id == ref.control), None)
                if target is None or target.criterion is None:
                    raise ValueError(f"no control '{ref.control}' with a criterion in {rid}")
                label = (ref.control if rid == key else
                         words.control_of(ref.control, self.names(rid)))
                return label, target.criterion, self.resolver(target_rule)
            found = self._resolvers[key] = resolve
        return found

    # -- dates -------------------------------------------------------------------------------

    def span_for(self, rule: Rule, control: Control, chip: Chip | None = None
                 ) -> tuple[dt.date | None, dt.date | None]:
        """First and last day a control applies to a chip: its own, or earlier where the
        control names the chip or its vendor in ``earlier_for``."""
        start, end = self.spans[(rule.id, control.id)]
        if chip is not None and start is not None:
            for early in control.earlier_for:
                if early.effective < start and early.names(chip.id, chip.vendor):
                    start = early.effective
        return start, end

    def in_force(self, rule: Rule, control: Control, on: dt.date,
                 chip: Chip | None = None) -> bool:
        start, end = self.span_for(rule, control, chip)
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
                days.update(early.effective for early in control.earlier_for)
            self._change_dates = sorted(days)
        return list(self._change_dates)

    # -- answers -----------------------------------------------------------------------------

    def _evaluate_once(self, key: str, criterion: Any, chip: Chip, resolve: Resolve) -> Outcome:
        """A criterion on a chip, answered once per knowledge-base chip (``key`` names where the
        criterion sits: rule and control, and the exception for an exception's criterion);
        hypothetical chips are answered afresh every time."""
        if self._known.get(chip.id) is not chip:
            return evaluate(criterion, chip, resolve, self.names)
        found = self._outcomes.get((key, chip.id))
        if found is None:
            found = self._outcomes[(key, chip.id)] = evaluate(criterion, chip, resolve,
                                                              self.names)
        return found

    def answer(self, rule: Rule, control: Control, chip: Chip) -> Answer:
        """A control's criterion on a chip, value and open inputs only (no reasons)."""
        return self._compiled_for(rule, control)(chip)  # type: ignore[no-any-return]

    def _compiled_for(self, rule: Rule, control: Control) -> Any:
        key = (rule.id, control.id)
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = compile_criterion(control.criterion, self.resolver(rule))
        return fn

    def matrix(self, chips: Iterable[Chip]) -> dict[str, tuple[int, int]]:
        """For each chip, two bit masks over ``chip_controls``: the controls whose criterion
        catches it, and those that leave it undetermined."""
        # Rules repeat criteria (3A090.a of 2023 is also in the 2024 corrections and the Macau
        # rule): each distinct criterion is answered once, for all the controls that use it. A
        # criterion naming another control's outcome means that rule's control.
        masks: dict[tuple[str, str], tuple[Any, int]] = {}
        for bit, (rule, control) in enumerate(self.chip_controls):
            text = control.criterion.model_dump_json()  # type: ignore[union-attr]
            same = (text, rule.id if '"control":{' in text else "")
            fn, mask = masks.get(same, (self._compiled_for(rule, control), 0))
            masks[same] = (fn, mask | 1 << bit)
        compiled = list(masks.values())
        out: dict[str, tuple[int, int]] = {}
        # Chip by chip, every criterion in turn: each chip's figures are read while they are in
        # the CPU's cache, and a day's statuses are then two integer tests per chip.
        self._early_chips: dict[str, list[tuple[int, dt.date]]] = {}
        for chip in chips:
            caught = unknown = 0
            for fn, mask in compiled:
                value = fn(chip)[0]
                if value is True:
                    caught |= mask
                elif value is None:
                    unknown |= mask
            out[chip.id] = (caught, unknown)
            for bit, control in self._early:
                for early in control.earlier_for:
                    if early.names(chip.id, chip.vendor):
                        self._early_chips.setdefault(chip.id, []).append((bit, early.effective))
        return out

    def determination_rows(self, chips: Iterable[Chip]) -> list[dict[str, Any]]:
        """Every chip under every chip control, with the days the control applies: the rows the
        database and the JSON export publish."""
        out = []
        for chip in chips:
            for rule, control in self.chip_controls:
                res = self.evaluate(rule, control, chip)
                start, end = self.span_for(rule, control, chip)
                first = res.deciders[0] if res.deciders else None
                out.append({
                    "chip_id": chip.id, "rule_id": rule.id, "control_id": control.id,
                    "controlled": res.value, "status": STATUS[res.value],
                    "reasons": "; ".join(res.reasons), "missing": ", ".join(res.missing),
                    "deciding_input": ", ".join(d.input for d in res.deciders) or None,
                    "flip_value": first.flips[0] if first and len(first.flips) == 1 else None,
                    "decided_when": first.condition if first and first.condition else None,
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
        early = getattr(self, "_early_chips", {})
        out = {}
        for cid, (caught, unknown) in matrix.items():
            here = in_force
            for bit, since in early.get(cid, ()):
                _start, end = self.spans[(self.chip_controls[bit][0].id,
                                     self.chip_controls[bit][1].id)]
                if since <= on and (end is None or on <= end):
                    here |= 1 << bit
            if caught & here:
                out[cid] = "controlled"
            elif unknown & here:
                out[cid] = STATUS[self._jointly(cid, unknown & here)]
            else:
                out[cid] = "not controlled"
        return out

    def _jointly(self, chip_id: str, mask: int) -> bool | None:
        """Whether the undetermined controls in ``mask`` together catch the chip whichever
        value its figures allow (True), never do (False), or it depends (None)."""
        key = (chip_id, mask)
        if key not in self._joint:
            chip = self._known[chip_id]
            pairs = [pair for bit, pair in enumerate(self.chip_controls) if mask >> bit & 1]
            self._joint[key] = self._union(pairs, chip)[0]
        return self._joint[key]

    def _union(self, pairs: list[tuple[Rule, Control]], chip: Chip
               ) -> tuple[bool | None, list[Decider]]:
        """The disjunction of several undetermined controls, tried over the possible values
        (answered once per knowledge-base chip and set of controls)."""
        if len(pairs) < 2:
            return None, []
        key = (chip.id, tuple((r.id, c.id) for r, c in pairs))
        known = self._known.get(chip.id) is chip
        if known and key in self._unions:
            return self._unions[key]
        found = self._union_of(pairs, chip)
        if known:
            self._unions[key] = found
        return found

    def _union_of(self, pairs: list[tuple[Rule, Control]], chip: Chip
                  ) -> tuple[bool | None, list[Decider]]:
        formulas, used = [], {}  # type: ignore[var-annotated]
        for rule, control in pairs:
            resolve = self.resolver(rule)
            formulas.append(cells.point_function(control.criterion, resolve))
            cells.lines(control.criterion, resolve, used)

        def stop(seen: set[tuple[bool, ...]]) -> bool:
            return any(any(v) for v in seen) and any(not any(v) for v in seen)
        seen = cells.answers(chip, formulas, used, stop=stop)
        if seen is not None and all(any(v) for v in seen):
            return True, []
        if seen is not None and not any(any(v) for v in seen):
            return False, []
        if seen is None:
            return None, []

        def target(values: dict[str, Any]) -> bool:
            return any(f(values) for f in formulas)
        return None, cells.decide(chip, target, used)

    def evaluate_all(self) -> None:
        """Answer every control's criterion on every knowledge-base chip now: a process forked
        afterwards (the site's charts and downloads) shares the answers instead of redoing them."""
        for chip in self._known.values():
            for rule, control in self.chip_controls:
                self.evaluate(rule, control, chip)

    def evaluate(self, rule: Rule, control: Control, chip: Chip) -> Outcome:
        """A control's criterion on a chip (dates aside)."""
        return self._evaluate_once(f"{rule.id} {control.id}", control.criterion, chip,
                                   self.resolver(rule))

    def classify(self, chip: Chip, on: dt.date) -> list[Determination]:
        # Which controls apply (and through which earlier date) is all that varies by day:
        # a knowledge-base chip's determinations are made once per such state, and each
        # caller gets its own copies (a caller may change what it is given).
        state = []
        for rule, control in self.chip_controls:
            if self.in_force(rule, control, on, chip):
                general, _end = self.spans[(rule.id, control.id)]
                early = None
                if general is not None and on < general:
                    early = next(e for e in control.earlier_for
                                 if e.names(chip.id, chip.vendor) and e.effective <= on)
                state.append((rule, control, early))
        known = self._known.get(chip.id) is chip
        key = (chip.id, tuple((r.id, c.id, None if e is None else c.earlier_for.index(e))
                             for r, c, e in state))
        if known and key in self._determinations:
            return [_copy(d) for d in self._determinations[key]]
        out = []
        for rule, control, early in state:
            res = self.evaluate(rule, control, chip)
            reasons = list(res.reasons)
            if early is not None:
                general, _end = self.spans[(rule.id, control.id)]
                reasons.insert(0, _("in force for this chip from {day}, before the rule's "
                                    "{start}: {note}").format(day=i18n.day(early.effective),
                                                              start=i18n.day(general),
                                                              note=early.note))
            out.append(Determination(rule.id, control.id, res.value, reasons,
                                     list(res.missing), list(res.deciders)))
        if known:
            self._determinations[key] = [_copy(d) for d in out]
        return out

    def verdict(self, chip: Chip, on: dt.date, destination: str | None = None,
                headquartered_in: str | None = None) -> Verdict:
        """The overall answer on a day: controlled (or, for a destination, licence required)
        by some control, by one of several whichever value the figures allow, or not."""
        dets = self.classify(chip, on)
        if destination is not None:
            # The controls whose destinations include this one (or the buyer's parent's):
            # whether or not they catch the chip, they are the ones that answer for it.
            def reached(d: Determination) -> bool:
                reach = self._controls_by_key[(d.rule_id, d.control_id)][1].destinations
                return reach is not None and (
                    self.reaches(reach, destination, on)
                    or bool(headquartered_in and self.hq_reaches(reach, headquartered_in, on)))
            dets = [d for d in dets if reached(d)]
        return self.verdict_of(chip, dets)

    def verdict_of(self, chip: Chip, dets: list[Determination]) -> Verdict:
        """The overall answer from the determinations of the controls that answer (all in
        force, or those reaching a destination)."""
        caught = [d for d in dets if d.controlled is True]
        if caught:
            return Verdict(True, [(d.rule_id, d.control_id) for d in caught], False,
                           list(_cat(d.reasons for d in caught)))
        open_ = [d for d in dets if d.controlled is None]
        if not open_:
            return Verdict(False, [], False, list(_cat(d.reasons for d in dets)))
        pairs = [self._controls_by_key[(d.rule_id, d.control_id)] for d in open_]
        value, deciders = self._union(pairs, chip)
        names = words.alternatives([f"{d.control_id}" for d in open_])
        by = [(d.rule_id, d.control_id) for d in open_]
        missing = list(dict.fromkeys(m for d in open_ for m in d.missing))
        if value is True:
            return Verdict(True, by, True, [
                _("caught by {controls} whichever value the figures allow: no value leaves it "
                  "outside both").format(controls=names)], [], missing)
        if len(open_) == 1:
            return Verdict(None, by, False, open_[0].reasons, open_[0].deciders, missing)
        return Verdict(None, by, False, list(_cat(d.reasons for d in open_)), deciders,
                       missing)

    def reaches(self, reach: Reach, country: str, on: dt.date) -> bool:
        """Whether a destination reach covers a country on a date."""
        # Asked for every chip, destination and day ("Can I ship it?"), the answer depends on
        # none of the chips: kept per reach (an object the rules hold while this engine
        # lives), country and day.
        return self._kept(reach, country, on, lambda: self._reaches(reach, country, on))

    def _kept(self, holder: object, country: str, on: dt.date,
              answer: Callable[[], bool]) -> bool:
        """``answer()`` for a destination test held by ``holder`` (a reach, a review policy by
        destination), worked out once per country and day; the holder is kept beside its
        answer, so its id cannot pass to another object."""
        key = (id(holder), country, on)
        found = self._reached.get(key)
        if found is None or found[0] is not holder:
            found = self._reached[key] = (holder, answer())
        return found[1]

    def _reaches(self, reach: Reach, country: str, on: dt.date) -> bool:
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
            if self._kept(p, destination, on,  # as in reaches: the same for every chip
                          lambda p=p: self._in(destination, p.countries, p.groups, on)):
                policy, note = p.policy, p.note or note
                break
        for prule, pcontrol in self.policy_controls:
            if not self.in_force(prule, pcontrol, on, chip):
                continue
            if not any(r.rule == rule.id and r.control == control.id for r in pcontrol.policy_of):
                continue
            if pcontrol.destinations and not self.reaches(pcontrol.destinations, destination, on):
                continue
            res = self._evaluate_once(f"{prule.id} {pcontrol.id}", pcontrol.criterion, chip,
                                      self.resolver(prule))
            if res.value is False:
                continue
            policy = pcontrol.licence_policy
            rule_name = self.names(prule.id)
            note = (_("set by the {rule}: {note}").format(rule=rule_name,
                                                          note=pcontrol.policy_note)
                    if pcontrol.policy_note else _("set by the {rule}").format(rule=rule_name))
            if not res.value:
                note = _("possibly, if its conditions hold: {note}").format(note=note)
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
                                            chip, self.resolver(rule)).value
                        if e.criterion is not None else True)
                if fits is not False:
                    exceptions.append(e.id if fits else _("{exception} (undetermined)").format(
                        exception=e.id))
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
            jointly = (not caught and len(unknown) > 1 and self._union(
                [self._controls_by_key[k] for k in unknown], chip)[0] is True)
            out.append(TimelineEntry(day, caught, unknown, released, jointly))
            previous = (caught, unknown)
        return out

    def history_days(self) -> list[dt.date]:
        """Every day on which some answer can change: controls, review policies, earlier dates
        for named chips, and country-group memberships starting or ending."""
        days = set(self.change_dates())
        for rule, control in self.policy_controls:
            start, end = self.spans[(rule.id, control.id)]
            if start:
                days.add(start)
            if end:
                days.add(end + dt.timedelta(days=1))
        for group in self.groups.values():
            for m in group.members:
                if m.from_:
                    days.add(m.from_)
                if m.to:
                    days.add(m.to + dt.timedelta(days=1))
        return sorted(days)

    def history(self, chip: Chip, destination: str | None = None,
                today: dt.date | None = None) -> list[Period]:
        """The chip's complete status history: every period from its release (or the first
        rule in force, if earlier records start later) to ``today``, each controlled, not
        controlled or undetermined, with the controls, the reasons, what would decide an open
        answer and, for a destination, the licence review policy in force."""
        # From the release, or (where no release date is recorded) from the first chip control.
        first = chip.released_on or min(self.change_dates(), default=None)
        days = [d for d in self.history_days() if today is None or d <= today]
        if first is not None:
            days = [first] + [d for d in days if d > first]
        out: list[Period] = []
        for day in days:
            period = self._period(chip, day, destination)
            if out and _same(out[-1], period):
                continue
            if out:
                out[-1] = _ended(out[-1], day - dt.timedelta(days=1))
            out.append(period)
        return out

    def _period(self, chip: Chip, day: dt.date, destination: str | None) -> Period:
        verdict = self.verdict(chip, day, destination)
        policy = note = None
        if destination is not None and verdict.value is not False:
            for rule_id, control_id in verdict.by:
                rule, control = self._controls_by_key[(rule_id, control_id)]
                policy, note = self.policy(rule, control, chip, destination, day)
                break
        reasons = list(verdict.reasons)
        if verdict.value is False and not reasons:
            reasons = ([_("no recorded chip control reaches this destination")]
                       if destination is not None and self.classify(chip, day)
                       else [_("no recorded chip control in force")])
        return Period(day, None, verdict.status, list(verdict.by), verdict.jointly, reasons,
                      list(verdict.deciders), policy, note)

    def what_if(self, criterion: Any, chips: Iterable[Chip], on: dt.date) -> WhatIf:
        caught, not_caught, newly, released = [], [], [], []
        undetermined: dict[str, list[str]] = {}
        deciders: dict[str, list[Decider]] = {}
        resolve = self.resolver(None)
        for chip in chips:
            res = evaluate(criterion, chip, resolve, self.names)
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
                deciders[chip.id] = list(res.deciders)
        return WhatIf(on, caught, not_caught, undetermined, newly, released, deciders)


def _same(a: Period, b: Period) -> bool:
    return (a.status, a.by, a.jointly, a.policy, a.policy_note, a.reasons) == (
        b.status, b.by, b.jointly, b.policy, b.policy_note, b.reasons)


def _ended(period: Period, end: dt.date) -> Period:
    from dataclasses import replace

    return replace(period, end=end)


def as_criterion(value: Any) -> Any:
    """A criterion from a model or plain data."""
    if isinstance(value, Criterion):
        return value
    return Criterion.model_validate(value)
