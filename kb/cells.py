"""Exact answers over what a chip's figures allow, and the figure that would decide.

Interval arithmetic answers most questions at once (a TPP of 4,096 to 6,400 is at least 1,600
whatever it is), but not all: it cannot see that 3A090.a and 3A090.b together catch every chip
between their lines, nor that TPP and performance density rise together. Here the possible values
are cut into cells at every line a criterion draws, and each cell is answered exactly: within a
cell no comparison changes, so a value true in every cell is true whatever the figures are.

TPP, die area and performance density are tied (density = TPP / area): a cell pairs a TPP piece
with a density piece only where some area the figures allow joins them, so no cell is imagined
that no chip could be.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kb import bounds, words
from kb.bounds import INF, Interval, operand_intervals
from kb.i18n import N_, _
from kb.metrics import BIT_LENGTH, BIT_LENGTHS, METRICS, format_number

Resolve = Callable[[Any], tuple[str, Any, Any]]
"""A control reference -> (its label, its criterion, the resolver for that criterion's rule)."""

MAX_CELLS = 4096
"""Beyond this many cells the question is left undetermined rather than answered slowly."""


@dataclass(frozen=True)
class Piece:
    """A stretch of possible values between (or at) lines, with a value inside it."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool
    rep: Any


def compare(op: str, actual: Any, expected: Any) -> bool:
    """One comparison of a criterion on exact values (``in``: membership)."""
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


# ---------------------------------------------------------------------------------------------
# Criteria as functions of exact values, and the lines they draw


Point = Callable[[dict[str, Any]], bool]


def point_function(criterion: Any, resolve: Resolve | None) -> Point:
    """The criterion as a function of exact metric values (a dict metric -> value)."""
    parts: list[Point] = []
    for key, value in criterion.parts():
        if key in ("all", "any"):
            subs = [point_function(c, resolve) for c in value]
            parts.append(_all_points(subs) if key == "all" else _any_points(subs))
        elif key == "not_":
            inner = point_function(value, resolve)
            parts.append(lambda v, inner=inner: not inner(v))
        elif key == "control":
            if resolve is None:
                raise ValueError("a control reference needs the rule it is written in")
            _label, target, sub = resolve(value)
            parts.append(point_function(target, sub))
        elif METRICS[key].type == "bool":
            parts.append(lambda v, key=key, want=value: v[key] == want)
        else:
            tests = list(value.items())
            parts.append(lambda v, key=key, tests=tests:
                         all(compare(op, v[key], e) for op, e in tests))
    return _all_points(parts)


def _all_points(parts: list[Point]) -> Point:
    if len(parts) == 1:
        return parts[0]
    return lambda v: all(p(v) for p in parts)


def _any_points(parts: list[Point]) -> Point:
    if len(parts) == 1:
        return parts[0]
    return lambda v: any(p(v) for p in parts)


def lines(criterion: Any, resolve: Resolve | None, out: dict[str, set[Any]] | None = None
          ) -> dict[str, set[Any]]:
    """Metric -> the values a criterion compares it with (booleans: an empty set)."""
    out = {} if out is None else out
    for key, value in criterion.parts():
        if key in ("all", "any"):
            for c in value:
                lines(c, resolve, out)
        elif key == "not_":
            lines(value, resolve, out)
        elif key == "control":
            if resolve is not None:
                _label, target, sub = resolve(value)
                lines(target, sub, out)
        elif METRICS[key].type == "bool":
            out.setdefault(key, set())
        elif METRICS[key].type in ("number", "date"):
            seen = out.setdefault(key, set())
            for _op, expected in value.items():
                seen.add(expected)
        else:
            out.setdefault(key, set())
    return out


# ---------------------------------------------------------------------------------------------
# Pieces


def _rep(low: float, high: float, low_closed: bool, high_closed: bool) -> float:
    if low_closed:
        return low
    if high_closed and high < INF:
        return high
    if high == INF:
        return low * 2 + 1
    return (low + high) / 2


def pieces(span: Interval, cuts: set[Any], positive: bool = False) -> list[Piece]:
    """The span cut at every line inside it: each line a point, the stretches between open."""
    if span.points:
        return [Piece(p, p, True, True, p) for p in span.points]
    if span.exact:
        return [Piece(span.low, span.low, True, True, span.low)]
    inside = sorted(c for c in cuts if span.low <= c <= span.high and c < INF)
    out: list[Piece] = []
    low, low_closed = span.low, not (positive and span.low <= 0)
    for cut in inside:
        if cut > low or (cut == low and not low_closed):
            if cut > low:
                out.append(Piece(low, cut, low_closed, False, _rep(low, cut, low_closed, False)))
            out.append(Piece(cut, cut, True, True, cut))
        elif cut == low:
            out.append(Piece(cut, cut, True, True, cut))
        low, low_closed = cut, False
    if span.high > low or (span.high == low and low_closed and not out):
        closed = span.high < INF
        out.append(Piece(low, span.high, low_closed, closed,
                         _rep(low, span.high, low_closed, closed)))
    return out


def _date_pieces(cuts: set[Any]) -> list[Piece]:
    days = sorted(cuts)
    out: list[Piece] = []
    prev: dt.date | None = None
    for day in days:
        start = prev + dt.timedelta(days=1) if prev else None
        before = day - dt.timedelta(days=1)
        if start is None or start <= before:
            out.append(Piece(-INF, 0, False, False, before))
        out.append(Piece(0, 0, True, True, day))
        prev = day
    if prev is not None:
        out.append(Piece(0, INF, False, False, prev + dt.timedelta(days=1)))
    return out or [Piece(-INF, INF, False, False, dt.date(2000, 1, 1))]


def _quotient(t: Piece, a: Piece) -> Piece:
    """Every t / a for t in one piece and a > 0 in another."""
    low = 0.0 if a.high == INF else t.low / a.high
    low_closed = t.low_closed and a.high_closed and a.high < INF
    if a.low <= 0 or t.high == INF:
        high, high_closed = INF, False
    else:
        high, high_closed = t.high / a.low, t.high_closed and a.low_closed
    return Piece(low, high, low_closed, high_closed, None)


def _meet(x: Piece, y: Piece) -> bool:
    if x.low > y.low or (x.low == y.low and not x.low_closed):
        low, low_closed = x.low, x.low_closed
    else:
        low, low_closed = y.low, y.low_closed
    if x.high < y.high or (x.high == y.high and not x.high_closed):
        high, high_closed = x.high, x.high_closed
    else:
        high, high_closed = y.high, y.high_closed
    return low < high or (low == high and low_closed and high_closed)


# ---------------------------------------------------------------------------------------------
# Cells


def known_values(chip: Any) -> dict[str, Any]:
    """Every metric whose value the chip's figures fix exactly."""
    out: dict[str, Any] = {}
    for name, metric in METRICS.items():
        if metric.type == "number":
            span = chip.spans[name]
            if span.exact:
                out[name] = span.low
        else:
            value = metric.get(chip)
            if value is not None:
                out[name] = value
    return out


def uncertain(chip: Any, used: dict[str, set[Any]]) -> list[str]:
    """The metrics among ``used`` whose value the chip's figures leave open."""
    known = known_values(chip)
    return [name for name in used if name not in known]


def cells(chip: Any, used: dict[str, set[Any]]) -> Iterator[dict[str, Any]]:
    """Every combination of possible values, one per cell, that some chip could have."""
    base = known_values(chip)
    open_ = [name for name in used if name not in base]
    spans = chip.spans
    dims: list[tuple[str, list[Any]]] = []
    for name in open_:
        kind = METRICS[name].type
        if kind == "bool":
            dims.append((name, [True, False]))
        elif kind == "date":
            dims.append((name, [p.rep for p in _date_pieces(used[name])]))
        elif kind == "text":
            return  # text metrics are always recorded
        elif name != "performance_density":
            dims.append((name, pieces(spans[name], used.get(name, set()),
                                      positive=name in ("tpp", "die_area_mm2"))))
    density = "performance_density" in open_
    tpp_whole = _whole(spans["tpp"])
    area_whole = _whole(spans["die_area_mm2"], positive=True)
    densities = pieces(spans["performance_density"], used.get("performance_density", set()),
                       positive=True) if density else []
    sizes = math.prod(len(d[1]) for d in dims) * max(1, len(densities))
    if sizes > MAX_CELLS:
        raise TooMany(sizes)
    names = [d[0] for d in dims]
    for combo in itertools.product(*(d[1] for d in dims)):
        values = dict(base)
        chosen: dict[str, Any] = {}
        for name, got in zip(names, combo, strict=True):
            chosen[name] = got
            values[name] = got.rep if isinstance(got, Piece) else got
        if not density:
            yield values
            continue
        t = chosen.get("tpp", tpp_whole)
        a = chosen.get("die_area_mm2", area_whole)
        reach = _quotient(t, a)
        for d in densities:
            if _meet(reach, d):
                yield {**values, "performance_density": d.rep}


def _whole(span: Interval, positive: bool = False) -> Piece:
    closed_low = not (positive and span.low <= 0)
    return Piece(span.low, span.high, closed_low, span.high < INF, span.low)


class TooMany(Exception):
    """More cells than are worth answering."""


def answers(chip: Any, formulas: Sequence[Point], used: dict[str, set[Any]],
            stop: Callable[[set[tuple[bool, ...]]], bool] | None = None
            ) -> set[tuple[bool, ...]] | None:
    """The distinct vectors of answers over every cell (``None``: too many cells to try).
    ``stop`` ends the search early once what was seen settles the question."""
    seen: set[tuple[bool, ...]] = set()
    try:
        for values in cells(chip, used):
            seen.add(tuple(f(values) for f in formulas))
            if stop is not None and stop(seen):
                break
    except TooMany:
        return None
    return seen


# ---------------------------------------------------------------------------------------------
# The deciding figure


INPUT_OF = {"tpp": "dense_tops", "die_area_mm2": "die_area_mm2",
            "interconnect_gb_s": "interconnect_gb_s",
            "memory_bandwidth_gb_s": "memory.bandwidth_gb_s",
            "memory_capacity_gb": "memory.capacity_gb", "datacenter": "datacenter",
            "released": "released"}


INPUT_WORDS = words.FIELDS
"""Record fields in words, as answers name what would decide them."""


@dataclass(frozen=True)
class Decider:
    """A figure that decides an undetermined answer, and where the answer flips."""

    input: str
    """The record field, e.g. ``die_area_mm2``."""
    flips: tuple[float, ...]
    """Values of the field at which the answer changes (in the field's unit)."""
    condition: str
    """When the answer is yes, in words, e.g. "the die area is at most 498.92 mm²"; empty where
    several figures are open together and no one of them decides alone."""
    known: str
    """What the records say of the field, e.g. "not published; at most 858 mm²"."""


def inputs_of(chip: Any, open_metrics: list[str]) -> list[str]:
    """The record fields behind the open metrics, in a fixed order."""
    spans = chip.spans
    out: list[str] = []
    for name in open_metrics:
        if name == "performance_density":
            if not spans["tpp"].exact:
                out.append("dense_tops")
            if not spans["die_area_mm2"].exact:
                out.append("die_area_mm2")
        else:
            out.append(INPUT_OF.get(name, name))
    return list(dict.fromkeys(out))


def decide(chip: Any, target: Point, used: dict[str, set[Any]]) -> list[Decider]:
    """The fields that decide ``target`` for the chip, with the flip values where one does."""
    open_ = [n for n in uncertain(chip, used)]
    fields = inputs_of(chip, open_)
    if len(fields) == 1:
        found = _sweep(chip, fields[0], target, used)
        if found is not None:
            return [found]
    spans = chip.spans
    out = []
    for field in fields:
        metric = "tpp" if field == "dense_tops" else next(
            (m for m, f in INPUT_OF.items() if f == field), field)
        span = spans.get(metric)
        known = _known_text(chip, field)
        cuts = sorted(c for c in used.get(metric, ()) if isinstance(c, int | float)
                      and (span is None or span.low <= c <= span.high))
        if metric == "tpp" and "performance_density" in used:
            cuts = sorted(set(cuts))
        # Several open figures: the lines each is measured against, without one condition.
        out.append(Decider(field, tuple(cuts), "", known))
    return out


def _known_text(chip: Any, field: str) -> str:
    spans = chip.spans
    if field == "dense_tops":
        span = spans["tpp"]
        return words.clauses(["TPP " + span.shown(), *bounds.why(span)])
    if field == "die_area_mm2":
        span = spans["die_area_mm2"]
        return words.clauses(bounds.why(span)) if span.why else span.shown("mm²")
    if field == "datacenter":
        return _("not recorded")
    if field == "released":
        return _("not recorded")
    metric = next((m for m, f in INPUT_OF.items() if f == field), field)
    span = spans.get(metric)
    if span is None:
        return _("not recorded")
    unit = METRICS[metric].unit
    return span.shown(unit) if (span.low > 0 or span.high < INF) else _("not published")


def _sweep(chip: Any, field: str, target: Point, used: dict[str, set[Any]]) -> Decider | None:
    """One open field: walk its possible values from low to high, answering at each piece."""
    spans = chip.spans
    base = known_values(chip)
    pd_cuts = [p for p in used.get("performance_density", ()) if p > 0]
    if field == "dense_tops":
        span, unit = spans["tpp"], ""
        area = spans["die_area_mm2"]
        cuts = set(used.get("tpp", ()))
        if area.exact:
            cuts |= {p * area.low for p in pd_cuts}

        def put(x: float) -> dict[str, Any]:
            out = {**base, "tpp": x}
            if area.exact:
                out["performance_density"] = x / area.low
            return out
    elif field == "die_area_mm2":
        span, unit = spans["die_area_mm2"], "mm²"
        t = spans["tpp"]
        if not t.exact:
            return None
        cuts = set(used.get("die_area_mm2", ())) | {t.low / p for p in pd_cuts}

        def put(x: float) -> dict[str, Any]:
            return {**base, "die_area_mm2": x, "performance_density": t.low / x}
    elif field == "datacenter":
        yes, no = target({**base, "datacenter": True}), target({**base, "datacenter": False})
        if yes == no:
            return None
        return Decider(field, (), _("it is designed or marketed for data centres") if yes else
                       _("it is not designed or marketed for data centres"), _("not recorded"))
    elif field == "released":
        return None
    else:
        metric = next(m for m, f in INPUT_OF.items() if f == field)
        span, unit = spans[metric], METRICS[metric].unit
        cuts = set(used.get(metric, ()))

        def put(x: float) -> dict[str, Any]:
            return {**base, metric: x}
    positive = field in ("dense_tops", "die_area_mm2")
    steps = [(p, target(put(p.rep))) for p in pieces(span, cuts, positive=positive)]
    if len({v for _p, v in steps}) < 2:
        return None
    flips = tuple(sorted({_boundary(a, b, cuts) for (a, va), (b, vb)
                          in itertools.pairwise(steps) if va != vb}))
    condition = _condition(field, steps, unit, chip)
    return Decider(field, flips, condition, _known_text(chip, field))


def _boundary(a: Piece, b: Piece, cuts: set[Any]) -> float:
    """Where the answer changes between two neighbouring pieces: the line between them (two
    possible values, such as TPP under each TF32 reading, have a line between them)."""
    if a.high == b.low:
        return a.high
    between = sorted(c for c in cuts if a.high < c <= b.low)
    return between[0] if between else b.low


def _condition(field: str, steps: list[tuple[Piece, bool]], unit: str, chip: Any) -> str:
    """"the die area is at most 498.92 mm²" from the pieces where the answer is yes."""
    runs: list[tuple[Piece, Piece]] = []
    for piece, value in steps:
        if not value:
            continue
        if runs and runs[-1][1] is steps[[p for p, _v in steps].index(piece) - 1][0]:
            runs[-1] = (runs[-1][0], piece)
        else:
            runs.append((piece, piece))
    first, last = steps[0][0], steps[-1][0]
    texts = []
    for low, high in runs:
        if low is first and high is last:
            continue
        if low is first:
            texts.append(_side(field, "lte" if high.high_closed else "lt", high.high, unit, chip))
        elif high is last:
            texts.append(_side(field, "gte" if low.low_closed else "gt", low.low, unit, chip))
        else:
            texts.append(_("{low} and {high}").format(
                low=_side(field, "gte" if low.low_closed else "gt", low.low, unit, chip),
                high=_side(field, "lte" if high.high_closed else "lt", high.high, unit, chip,
                           again=True)))
    return words.alternatives(texts)


_FIELD_NAMES = {"die_area_mm2": N_("the die area"), "interconnect_gb_s": N_("the interconnect"),
                "memory.bandwidth_gb_s": N_("the memory bandwidth"),
                "memory.capacity_gb": N_("the memory capacity")}
"""The figures a condition names, as its sentence does ("the die area is at most ...")."""


def _side(field: str, op: str, value: float, unit: str, chip: Any, again: bool = False) -> str:
    u = f" {unit}" if unit else ""
    if field == "dense_tops":
        return _tops_side(op, value, chip, again)
    name = _(_FIELD_NAMES[field]) if field in _FIELD_NAMES else field
    text = words.bound(op, f"{format_number(round(value, 2))}{u}")
    if field == "die_area_mm2" and chip.spans["tpp"].exact:
        density = chip.spans["tpp"].low / value
        flipped = {"gte": "lte", "gt": "lt", "lte": "gte", "lt": "gt"}[op]
        text = _("{bound} (performance density {density})").format(
            bound=text, density=words.bound(flipped, format_number(round(density, 2))))
    return text if again else _("{figure} is {bound}").format(figure=name, bound=text)


def _tops_side(op: str, value: float, chip: Any, again: bool) -> str:
    """A TPP line read back through the formula to the dense figure that sets it."""
    line = words.bound(op, format_number(round(value, 2)))
    tpp_text = f"TPP {line}"
    plain_text = line if again else _("{figure} is {bound}").format(figure="TPP", bound=line)
    terms = operand_intervals(chip)
    top = chip.spans["tpp"]
    setting = [op_ for op_, term in terms.items() if term.high == top.high and not term.exact]
    if len(setting) == 1:
        name = setting[0]
        if name in BIT_LENGTHS and not _tops_range(chip, name) and top.points:
            bits = sorted(BIT_LENGTHS[name])
            low, high = (format_number(p) for p in (top.points[0], top.points[-1]))
            big = (bits[-1], high, bits[0], low)
            small = (bits[0], low, bits[-1], high)
            counted, tpp_at, other, tpp_other = big if op in ("gte", "gt") else small
            return _("{operand} counts at {bits} bits (TPP {tpp}), not {other} "
                     "(TPP {other_tpp})").format(operand=name.upper(), bits=counted, tpp=tpp_at,
                                                 other=other, other_tpp=tpp_other)
        if name not in BIT_LENGTHS:
            tops = value / BIT_LENGTH[name]
            text = _("{bound} ({tpp})").format(
                bound=words.bound(op, f"{format_number(round(tops, 2))} TFLOPS"), tpp=tpp_text)
            return text if again else _("dense {operand} is {bound}").format(
                operand=name.upper(), bound=text)
    return plain_text


def _tops_range(chip: Any, op: str) -> bool:
    value = chip.dense_tops.get(op)
    return value is not None and not isinstance(value, int | float)
