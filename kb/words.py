"""The words a reader sees for the records' codes: fields, policies, instruments, country groups,
criteria and estimates, in plain sentences with their figures and units.

One place for them, so the site, ``kb classify`` and ``kb diff`` say the same thing, and so they
can be translated: nothing here is built by gluing codes together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kb import i18n
from kb.i18n import N_, _
from kb.metrics import METRICS, format_number

FIELDS: dict[str, str] = {
    "released": N_("release date"),
    "datacenter": N_("whether it is designed or marketed for data centres"),
    "foundry": N_("foundry"),
    "process": N_("process"),
    "die_area_mm2": N_("die area"),
    "logic_dies": N_("number of logic dies"),
    "transistors_billion": N_("transistor count"),
    "dense_tops": N_("dense compute figures"),
    "dense_tops_complete": N_("whether the dense figures cover every operand type"),
    "stated_tpp": N_("stated TPP"),
    "memory": N_("memory figures"),
    "memory.type": N_("memory type"),
    "memory.capacity_gb": N_("memory capacity"),
    "memory.bandwidth_gb_s": N_("memory bandwidth"),
    "interconnect_gb_s": N_("interconnect rate"),
    "tdp_w": N_("power (TDP)"),
    "form_factor": N_("form factor"),
    "name": N_("name"),
    "vendor": N_("vendor"),
    "kind": N_("kind"),
    "family": N_("family"),
    "aliases": N_("other names"),
    "variant_of": N_("parent chip"),
    "notes": N_("notes"),
    "title": N_("title"),
    "short_title": N_("short title"),
    "summary": N_("summary"),
    "citation": N_("official citation"),
    "document_number": N_("document number"),
    "url": N_("official text"),
    "controls": N_("controls"),
    "status_note": N_("status note"),
    "dates": N_("dates"),
    "dates.announced": N_("announcement date"),
    "dates.public_inspection": N_("public-inspection date"),
    "dates.published": N_("publication date"),
    "dates.effective": N_("effective date"),
    "dates.compliance": N_("compliance date"),
    "dates.comment_deadline": N_("comment deadline"),
    "dates.end": N_("end date"),
    "amends": N_("what it amends"),
    "replaces": N_("what it replaces"),
    "ends": N_("what it ends"),
}
"""Record fields (dotted paths) as a reader names them."""

OPERANDS = {"fp64": "FP64", "fp32": "FP32", "tf32": "TF32", "bf16": "BF16", "fp16": "FP16",
            "fp8": "FP8", "fp6": "FP6", "fp4": "FP4", "int8": "INT8", "int4": "INT4"}


def field(path: str) -> str:
    """A record field's name in words: ``dense_tops.fp16`` is "dense FP16 rate"."""
    if path in FIELDS:
        return _(FIELDS[path])
    head, _dot, tail = path.partition(".")
    if head == "dense_tops" and tail in OPERANDS:
        return _("dense {operand} rate").format(operand=OPERANDS[tail])
    if path.endswith(".low"):
        return _("{field} (lowest reported)").format(field=field(path.removesuffix(".low")))
    if path.endswith(".high"):
        return _("{field} (highest reported)").format(field=field(path.removesuffix(".high")))
    if ".conventions." in path:
        base, _dot, convention = path.partition(".conventions.")
        way = (_(CONVENTIONS[convention]) if convention in CONVENTIONS
               else convention.replace("_", " "))
        return _("{field} ({convention})").format(field=field(base), convention=way)
    if head == "controls":
        return _(FIELDS["controls"])
    return path.replace(".", " ").replace("_", " ")


def fields(paths: list[str] | tuple[str, ...]) -> str:
    """Several fields in one phrase: "die area, dense FP16 rate and memory bandwidth"."""
    names = list(dict.fromkeys(field(p) for p in paths))
    return and_list(names)


def and_list(items: list[str], word: str = "and") -> str:
    """Items in a sentence: "A, B and C" (``word`` "and") or "A, B or C" (``word`` "or"), as
    the language in force lists them."""
    if len(items) < 2:
        return "".join(items)
    last = N_("{items} and {last}") if word == "and" else N_("{items} or {last}")
    return _(last).format(items=_(", ").join(items[:-1]), last=items[-1])


def alternatives(items: list[str] | tuple[str, ...]) -> str:
    """Items as alternatives, each named in full: "A or B or C"."""
    return fold(N_("{first} or {second}"), items)


def both(items: list[str] | tuple[str, ...]) -> str:
    """Conditions that hold together, each named in full: "A and B and C"."""
    return fold(N_("{first} and {second}"), items)


def fold(message: str, items: Any) -> str:
    """Items joined two at a time by ``message`` (a catalog message with ``{first}`` and
    ``{second}``), so that each language orders and joins them its own way."""
    items = list(items)
    if not items:
        return ""
    said = items[0]
    for item in items[1:]:
        said = _(message).format(first=said, second=item)
    return said


def clauses(items: list[str] | tuple[str, ...]) -> str:
    """Clauses of one reason, one after another: "A; B" in English, 「A。B」 in Japanese."""
    return _("; ").join(items)


CONVENTIONS = {"bis_applicable": N_("all logic dies, as ECCN 3A090 counts them"),
               "processing_dies": N_("processing dies only")}

POLICIES = {
    "presumption-of-denial": N_("presumption of denial"),
    "case-by-case": N_("case-by-case review"),
    "presumption-of-approval": N_("presumption of approval"),
    "approval-with-conditions": N_("licences granted with conditions"),
    "prohibited": N_("prohibited"),
    "notification": N_("notification only"),
    "not-stated": N_("review policy not stated"),
}


def policy(code: str | None) -> str:
    """A licence review policy in words."""
    if code is None:
        return _(POLICIES["not-stated"])
    return _(POLICIES[code]) if code in POLICIES else code.replace("-", " ")


INSTRUMENTS = {
    "interim-final-rule": N_("interim final rule"),
    "final-rule": N_("final rule"),
    "correction": N_("correction"),
    "rescission": N_("rescission"),
    "regulation": N_("regulation"),
    "law": N_("law"),
    "proclamation": N_("proclamation"),
    "licence-letter": N_("licence letter to a company"),
    "licensing-decision": N_("licensing decision"),
    "announcement": N_("announcement"),
    "guidance": N_("guidance"),
    "administrative-action": N_("administrative action"),
}


def instrument(code: str) -> str:
    """The kind of legal instrument in words."""
    return _(INSTRUMENTS[code]) if code in INSTRUMENTS else code.replace("-", " ")


STATUSES = {"controlled": N_("controlled"), "not controlled": N_("not controlled"),
            "undetermined": N_("undetermined")}
"""The engine's three answers (kb.engine.STATUS, codes the API gives in English) in words."""


def status(code: str) -> str:
    """A status code ("controlled", "not controlled", "undetermined") in words."""
    return _(STATUSES[code]) if code in STATUSES else code


KINDS = {"gpu": N_("GPU"), "asic": N_("ASIC"), "cpu": N_("CPU"), "fpga": N_("FPGA"),
         "chip-designer": N_("chip designer"), "foundry": N_("foundry"),
         "government": N_("government"), "analyst": N_("analyst"), "company": N_("company"),
         "other": N_("organization")}


def kind(code: str) -> str:
    return _(KINDS[code]) if code in KINDS else code.replace("-", " ")


def group(record: Any) -> str:
    """A country group by its code ("Country Group D:5") or its name."""
    code = getattr(record, "code", None)
    return _("Country Group {code}").format(code=code) if code else str(record.name)


# ---------------------------------------------------------------------------------------------
# Estimates

SCOPES = {"gpu": N_("GPUs"), "ai-accelerator": N_("AI accelerators"), "ai-chip": N_("AI chips"),
          "other": N_("other chips")}
MEASURES = {"revenue": N_("by revenue"), "units": N_("by units"), "shipments": N_("by shipments"),
            "unstated": N_("measure not stated")}


def scope(code: str) -> str:
    return _(SCOPES[code]) if code in SCOPES else code.replace("-", " ")


def measure(code: str) -> str:
    return _(MEASURES[code]) if code in MEASURES else code


def share_value(share: Any) -> str:
    """A market-share estimate's value: "about 80.6 %", "at least 95 %", "55 to 60 %"."""
    low, high = share.value_pct_low, share.value_pct_high
    value = share.value_pct
    if value is not None:
        shown = format_number(value)
        said = _SHARES.get(share.qualifier)
        return _(said).format(value=shown) if said else f"{shown} %"
    if low is not None and high is not None:
        if low == high:
            return f"{format_number(low)} %"
        if low == 0:
            return _("up to {value} %").format(value=format_number(high))
        return _("{low} to {high} %").format(low=format_number(low), high=format_number(high))
    return _("not stated")


_SHARES = {"at-least": N_("at least {value} %"), "at-most": N_("at most {value} %"),
           "about": N_("about {value} %")}


# ---------------------------------------------------------------------------------------------
# Criteria


BOUNDS = {"gte": N_("at least {value}"), "gt": N_("more than {value}"),
          "lte": N_("at most {value}"), "lt": N_("less than {value}"), "eq": N_("exactly {value}")}
"""A comparison with a line in words, the line (with its unit) in ``{value}``."""


def bound(op: str, value: str) -> str:
    """``value`` as the side of a line that ``op`` tests: "at least 4,800"."""
    return _(BOUNDS[op]).format(value=value)


def criterion(value: Any, name: Callable[[str], str] | None = None) -> str:
    """A rule criterion as a sentence: "TPP of at least 4,800; or TPP of at least 1,600 with a
    performance density of at least 5.92, if designed or marketed for data centres"."""
    name = name or (lambda rid: rid)
    return _criterion(value, name, top=True)


def _criterion(value: Any, name: Callable[[str], str], top: bool = False) -> str:
    parts: list[str] = []
    for key, part in value.parts():
        if key == "all":
            parts.append(and_list([_criterion(c, name) for c in part], "and"))
        elif key == "any":
            inner = fold(N_("{first}; or {second}"), [_criterion(c, name) for c in part])
            parts.append(inner if top else _("either {alternatives}").format(alternatives=inner))
        elif key == "not_":
            if part.control is not None and len(part.parts()) == 1:
                parts.append(_("not specified by {control}").format(
                    control=_control(part.control, name)))
            else:
                parts.append(_("not ({criterion})").format(criterion=_criterion(part, name)))
        elif key == "control":
            parts.append(_("specified by {control}").format(control=_control(part, name)))
        else:
            parts.append(_test(key, part, name))
    return and_list(parts)


def _control(ref: Any, name: Callable[[str], str]) -> str:
    return ref.control if ref.rule is None else control_of(ref.control, name(ref.rule))


def control_of(control: str, rule: str) -> str:
    """A control named with the rule it is in: "3A090.a of the October 2023 rule"."""
    return _("{control} of the {rule}").format(control=control, rule=rule)


def _test(key: str, test: Any, name: Callable[[str], str]) -> str:
    metric = METRICS[key]
    if metric.type == "bool":
        return _(metric.label) if test else _("not {label}").format(label=_(metric.label))
    if metric.type == "text":
        values = [test.eq] if test.eq is not None else list(test.in_ or ())
        shown = and_list([name(v) if key in ("id", "vendor") else kind(v) for v in values], "or")
        said = _NAMED.get(key)
        return _(said).format(names=shown) if said else shown
    unit = f" {metric.unit}" if metric.unit else ""
    bits = []
    for op, expected in test.items():
        shown = i18n.day(expected) if hasattr(expected, "isoformat") else \
            format_number(expected)
        bits.append(bound(op, f"{shown}{unit}"))
    label = _(_ARTICLED[key]) if key in _ARTICLED else _(metric.label)
    return _("{metric} of {bounds}").format(metric=label, bounds=both(bits))


_NAMED = {"id": N_("the {names}"), "vendor": N_("made by {names}"), "kind": N_("a {names}")}
_ARTICLED = {"tpp": N_("a TPP"), "performance_density": N_("a performance density")}


def names_from(base: Any) -> Callable[[str], str]:
    """A look-up of display names for chip, organization and rule ids."""
    from kb.translations import text

    lang = i18n.language()
    table: Mapping[str, str] = {
        **{cid: c.name for cid, c in base.chips.items()},
        **{oid: o.name for oid, o in base.organizations.items()},
        **{rid: text(r, "short_title", lang)[0] for rid, r in base.rules.items()},
    }
    return lambda rid: table.get(rid, rid)


RECORD_WORDS = frozenset({
    # A claim's verdict, and how a piece of evidence bears on it.
    N_("supported"), N_("disputed"), N_("misleading"), N_("unverified"),
    N_("supports"), N_("contradicts"), N_("qualifies"),
    # How a figure is known, a source's kind and its reliability in words.
    N_("official"), N_("reported"), N_("estimated"),
    N_("regulation"), N_("datasheet"), N_("filing"), N_("analysis"), N_("news"),
    N_("official-statement"), N_("reference"),
    N_("reputable press or analyst"), N_("weak source"),
    # The engine's answers, and the site's licence answers for China.
    N_("controlled"), N_("not controlled"), N_("undetermined"),
    N_("licence required"), N_("no licence required"),
})
"""Codes the records and the engine give in English words (the pages show them as they are in
English), said in the reader's language."""


def said(code: str) -> str:
    """One of :data:`RECORD_WORDS` in the language in force; any other text as it is."""
    return _(code) if code in RECORD_WORDS else code
