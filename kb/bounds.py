"""What a chip's figures allow: each comparable metric as an interval of possible values.

A figure known exactly is a one-point interval; a range, a value under another convention, an
operand type left out, or a missing figure widen it. Physics narrows it again: no die exceeds the
lithography reticle, so a chip of n logic dies has at most 858·n mm² of die area. TPP and
performance density are derived here from their inputs' intervals, exactly as
:mod:`kb.metrics` derives them from exact figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb import i18n, metrics, words
from kb.i18n import _, ngettext
from kb.metrics import BIT_LENGTH, BIT_LENGTHS, OPERAND_TYPES, format_number
from kb.models.figures import (
    LOWER_BOUND_CONVENTIONS,
    RETICLE_MM2,
    RULES_CONVENTION,
    ByConvention,
    FigureRange,
)

if TYPE_CHECKING:
    from kb.models.chip import Chip

INF = math.inf


@dataclass(frozen=True)
class Interval:
    """Closed interval [low, high] of a figure's possible values; ``high`` may be infinite."""

    low: float
    high: float
    why: tuple[str, ...] = ()
    """How the bounds were found, in English words (empty when the figure is recorded
    exactly); :func:`why` says them in the language in force."""
    points: tuple[float, ...] = ()
    """The only values possible, where they are few (TPP under each reading of a bit length);
    empty when every value in the interval is."""

    @property
    def exact(self) -> bool:
        return self.low == self.high

    def shown(self, unit: str = "") -> str:
        """The values in words, in the language in force: "4,096 to 6,400 mm²"."""
        u = f" {unit}" if unit else ""
        if self.points and not self.exact:
            return words.alternatives([format_number(p) for p in self.points]) + u
        if self.exact:
            return f"{format_number(self.low)}{u}"
        if self.high == INF:
            if self.low <= 0:
                return _("not known")
            return words.bound("gte", f"{format_number(self.low)}{u}")
        if self.low <= 0:
            return words.bound("lte", f"{format_number(self.high)}{u}")
        return _("{low} to {high}").format(low=format_number(self.low),
                                           high=format_number(self.high)) + u


UNKNOWN = Interval(0.0, INF)


def figure(value: Any, field: str) -> Interval | None:
    """The interval a figure field holds, before physical bounds; ``None`` when absent."""
    if value is None:
        return None
    if type(value) in (int, float):
        return Interval(value, value)
    if isinstance(value, FigureRange):
        return Interval(value.low, value.high, (Why("range", field, value.low, value.high),))
    if isinstance(value, ByConvention):
        rules = RULES_CONVENTION.get(field)
        if rules and rules in value.conventions:
            v = value.conventions[rules]
            return Interval(v, v)
        lower = [value.conventions[c] for c in LOWER_BOUND_CONVENTIONS.get(field, ())
                 if c in value.conventions]
        if lower:
            return Interval(max(lower), INF, (Why("other-dies", field, max(lower)),))
        values = sorted(value.conventions.values())
        return Interval(values[0], values[-1])
    return Interval(float(value), float(value))


def _field(path: str) -> str:
    """A record field as the bounds' reasons name it: its path in English (as ever), its
    words in another language."""
    return path if i18n.language() == "en" else words.field(path)


def _operand(code: str) -> str:
    """An operand type as the bounds' reasons name it: its code in English (as ever), its
    name (FP16) in another language."""
    return code if i18n.language() == "en" else words.OPERANDS.get(code, code)


_WHY: dict[str, Callable[..., str]] = {
    "range": lambda field, low, high: _("{field} reported from {low} to {high}").format(
        field=_field(field), low=format_number(low), high=format_number(high)),
    "other-dies": lambda field, value: _(
        "{field} known only without the other logic dies ({value}), so at least that").format(
        field=_field(field), value=format_number(value)),
    "no-dense": lambda: _("no dense figure is recorded"),
    "operands-left-out": lambda: _("the recorded operand types leave some out"),
    "bit-lengths": lambda op: _("{operand} counts at {bits} bits, with no official "
                                "reading").format(operand=op.upper(), bits=words.alternatives(
                                    [str(b) for b in BIT_LENGTHS[op]])),
    "dense-range": lambda op: _("dense {operand} reported as a range").format(
        operand=_operand(op)),
    "no-area": lambda: _("die area not published"),
    "area-cap": lambda cap, dies: ngettext(
        "die area not published; at most {cap} mm² for one die, as no die exceeds the "
        "26 mm × 33 mm lithography reticle",
        "die area not published; at most {cap} mm² for {n} logic dies, as no die exceeds "
        "the 26 mm × 33 mm lithography reticle", dies).format(cap=format_number(cap), n=dies),
    "reticle": lambda cap, dies: _("at most {cap} mm², the reticle limit for {n} logic "
                                   "dies").format(cap=format_number(cap), n=dies),
    "not-published": lambda field: _("{field} not published").format(field=_field(field)),
}


class Why(str):
    """How a bound was found, in words: English as a string (chips keep their intervals, made
    once whatever the language), and said again in the language in force by :meth:`said`."""

    kind: str
    args: tuple[Any, ...]

    def __new__(cls, kind: str, *args: Any) -> Why:
        with i18n.speaking("en"):
            text = _WHY[kind](*args)
        made = super().__new__(cls, text)
        made.kind, made.args = kind, args
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Why, (self.kind, *self.args))

    def said(self) -> str:
        """The words in the language in force."""
        return str(self) if i18n.language() == "en" else _WHY[self.kind](*self.args)


def why(span: Interval) -> tuple[str, ...]:
    """How an interval's bounds were found, in the language in force."""
    return tuple(w.said() if isinstance(w, Why) else w for w in span.why)


def operand_intervals(chip: Chip) -> dict[str, Interval]:
    """TOPS x bit length per operand type, as intervals (a range of TOPS, or more than one
    reading of the bit length, widens a term)."""
    out = {}
    for op in OPERAND_TYPES:
        if op not in chip.dense_tops:
            continue
        tops = figure(chip.dense_tops[op], f"dense_tops.{op}")
        assert tops is not None
        bits = BIT_LENGTHS.get(op, (BIT_LENGTH[op],))
        out[op] = Interval(tops.low * min(bits), tops.high * max(bits))
    return out


def setting_operand(chip: Chip) -> str | None:
    """The operand type whose term can reach the highest TPP; on a tie, the shortest bit length
    (datasheets' usual basis), then table order."""
    terms = operand_intervals(chip)
    if not terms:
        return None
    best = max(t.high for t in terms.values())
    tied = [op for op in OPERAND_TYPES if op in terms and terms[op].high == best]
    return min(tied, key=lambda op: BIT_LENGTH[op])


def low_high(span: Interval) -> tuple[float | None, float | None]:
    """An interval's ends as published: ``None`` for an end the figures leave open."""
    unknown = span.low <= 0 and span.high == INF
    return (None if unknown else span.low), (None if span.high == INF else span.high)


_ONE_READING = {op: BIT_LENGTH[op] for op in OPERAND_TYPES if op not in BIT_LENGTHS}


def tpp(chip: Chip) -> Interval:
    """TPP: the maximum over operand types, whose interval is the maximum of the terms' ends."""
    tops = chip.dense_tops
    if tops and chip.dense_tops_complete:
        # The common case, worked out without intervals: every figure exact and the largest
        # term from an operand type with one bit length, which no other reading can beat.
        terms_exact = {op: v * _ONE_READING[op] for op, v in tops.items()
                       if type(v) in (int, float) and op in _ONE_READING}
        if len(terms_exact) == len(tops):
            best = metrics.tpp(tops)  # the exact formula: one reading of every bit length
            assert best is not None
            return Interval(best, best)
        others = [v for op, v in tops.items() if op not in _ONE_READING]
        if (len(terms_exact) + len(others) == len(tops) and terms_exact
                and all(type(v) in (int, float) for v in others)
                and max(terms_exact.values()) >= max(
                    v * max(BIT_LENGTHS[op]) for op, v in tops.items() if op in BIT_LENGTHS)):
            best = max(terms_exact.values())
            return Interval(best, best)
    terms = operand_intervals(chip)
    if not terms:
        return Interval(0.0, INF, (Why("no-dense"),))
    low = max(t.low for t in terms.values())
    high = max(t.high for t in terms.values())
    why: list[str] = []
    if not chip.dense_tops_complete:
        high = INF
        why.append(Why("operands-left-out"))
    points: tuple[float, ...] = ()
    if chip.dense_tops_complete and all(figure(chip.dense_tops[op], op).exact  # type: ignore[union-attr]
                                         for op in terms) and high > low:
        # Exact figures with more than one reading of a bit length: TPP is one of a few values.
        readings = [[(op, b) for b in BIT_LENGTHS.get(op, (BIT_LENGTH[op],))] for op in terms]
        tops = {op: float(chip.dense_tops[op]) for op in terms}
        found = set()
        for combo in _product(readings):
            found.add(max(tops[op] * b for op, b in combo))
        points = tuple(sorted(found))
    for op, term in terms.items():
        if op in BIT_LENGTHS and term.high > low:
            why.append(Why("bit-lengths", op))
        elif not term.exact and term.high > low:
            why.append(Why("dense-range", op))
    return Interval(low, high, tuple(why), points)


def _product(groups: list[list[tuple[str, int]]]) -> Any:
    import itertools

    return itertools.product(*groups)


def die_area(chip: Chip) -> Interval:
    """Applicable die area, bounded by the reticle where the number of logic dies is known."""
    area = figure(chip.die_area_mm2, "die_area_mm2")
    cap = RETICLE_MM2 * chip.logic_dies if chip.logic_dies else INF
    if area is None:
        if cap == INF:
            return Interval(0.0, INF, (Why("no-area"),))
        return Interval(0.0, cap, (Why("area-cap", cap, chip.logic_dies),))
    if area.high == INF and cap < INF:
        # Only a lower bound is recorded (the processing dies alone): the reticle caps it. A
        # recorded area above the cap is kept: wafer-scale parts stitch many reticle fields.
        return Interval(area.low, max(cap, area.low), (
            *area.why, Why("reticle", cap, chip.logic_dies)))
    return area


def density(t: Interval, a: Interval) -> Interval:
    """TPP / die area over the intervals: smallest TPP over largest area, and back."""
    low = 0.0 if a.high == INF else t.low / a.high
    high = INF if a.low <= 0 or t.high == INF else t.high / a.low
    points = tuple(p / a.low for p in t.points) if t.points and a.exact else ()
    return Interval(low, high, (*t.why, *a.why), points)


def plain(chip: Chip, path: str) -> Interval | None:
    """A figure field's interval by dotted path (``memory.bandwidth_gb_s``), no bounds added."""
    value: Any = chip
    for part in path.split("."):
        value = getattr(value, part, None) if value is not None else None
    return figure(value, path)


def number_spans(chip: Chip) -> dict[str, Interval]:
    """Every numeric metric a criterion may compare, as an interval (unknown: 0 to infinity)."""
    t = tpp(chip)
    a = die_area(chip)
    out = {"tpp": t, "die_area_mm2": a, "performance_density": density(t, a)}
    for name, path in (("interconnect_gb_s", "interconnect_gb_s"),
                       ("memory_bandwidth_gb_s", "memory.bandwidth_gb_s"),
                       ("memory_capacity_gb", "memory.capacity_gb")):
        found = plain(chip, path)
        out[name] = found if found is not None else Interval(0.0, INF, (
            Why("not-published", path),))
    return out
