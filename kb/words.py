"""The words a reader sees for the records' codes: fields, policies, instruments, country groups,
criteria and estimates, in plain sentences with their figures and units.

One place for them, so the site, ``kb classify`` and ``kb diff`` say the same thing, and so they
can be translated: nothing here is built by gluing codes together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kb.metrics import METRICS, format_number

FIELDS: dict[str, str] = {
    "released": "release date",
    "datacenter": "whether it is designed or marketed for data centres",
    "foundry": "foundry",
    "process": "process",
    "die_area_mm2": "die area",
    "logic_dies": "number of logic dies",
    "transistors_billion": "transistor count",
    "dense_tops": "dense compute figures",
    "dense_tops_complete": "whether the dense figures cover every operand type",
    "stated_tpp": "stated TPP",
    "memory": "memory figures",
    "memory.type": "memory type",
    "memory.capacity_gb": "memory capacity",
    "memory.bandwidth_gb_s": "memory bandwidth",
    "interconnect_gb_s": "interconnect rate",
    "tdp_w": "power (TDP)",
    "form_factor": "form factor",
    "name": "name",
    "vendor": "vendor",
    "kind": "kind",
    "family": "family",
    "aliases": "other names",
    "variant_of": "parent chip",
    "notes": "notes",
    "title": "title",
    "short_title": "short title",
    "summary": "summary",
    "citation": "official citation",
    "document_number": "document number",
    "url": "official text",
    "controls": "controls",
    "status_note": "status note",
    "dates": "dates",
    "dates.announced": "announcement date",
    "dates.public_inspection": "public-inspection date",
    "dates.published": "publication date",
    "dates.effective": "effective date",
    "dates.compliance": "compliance date",
    "dates.comment_deadline": "comment deadline",
    "dates.end": "end date",
    "amends": "what it amends",
    "replaces": "what it replaces",
    "ends": "what it ends",
}
"""Record fields (dotted paths) as a reader names them."""

OPERANDS = {"fp64": "FP64", "fp32": "FP32", "tf32": "TF32", "bf16": "BF16", "fp16": "FP16",
            "fp8": "FP8", "fp6": "FP6", "fp4": "FP4", "int8": "INT8", "int4": "INT4"}


def field(path: str) -> str:
    """A record field's name in words: ``dense_tops.fp16`` is "dense FP16 rate"."""
    if path in FIELDS:
        return FIELDS[path]
    head, _, tail = path.partition(".")
    if head == "dense_tops" and tail in OPERANDS:
        return f"dense {OPERANDS[tail]} rate"
    for end in (".low", ".high"):
        if path.endswith(end):
            return f"{field(path.removesuffix(end))} ({'lowest' if end == '.low' else 'highest'}"\
                   " reported)"
    if ".conventions." in path:
        base, _, convention = path.partition(".conventions.")
        return f"{field(base)} ({CONVENTIONS.get(convention, convention.replace('_', ' '))})"
    if head == "controls":
        return "controls"
    return path.replace(".", " ").replace("_", " ")


def fields(paths: list[str] | tuple[str, ...]) -> str:
    """Several fields in one phrase: "die area, dense FP16 rate and memory bandwidth"."""
    names = list(dict.fromkeys(field(p) for p in paths))
    return and_list(names)


def and_list(items: list[str], word: str = "and") -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


CONVENTIONS = {"bis_applicable": "all logic dies, as ECCN 3A090 counts them",
               "processing_dies": "processing dies only"}

POLICIES = {
    "presumption-of-denial": "presumption of denial",
    "case-by-case": "case-by-case review",
    "presumption-of-approval": "presumption of approval",
    "approval-with-conditions": "licences granted with conditions",
    "prohibited": "prohibited",
    "notification": "notification only",
    "not-stated": "review policy not stated",
}


def policy(code: str | None) -> str:
    """A licence review policy in words."""
    if code is None:
        return POLICIES["not-stated"]
    return POLICIES.get(code, code.replace("-", " "))


INSTRUMENTS = {
    "interim-final-rule": "interim final rule",
    "final-rule": "final rule",
    "correction": "correction",
    "rescission": "rescission",
    "regulation": "regulation",
    "law": "law",
    "proclamation": "proclamation",
    "licence-letter": "licence letter to a company",
    "licensing-decision": "licensing decision",
    "announcement": "announcement",
    "guidance": "guidance",
    "administrative-action": "administrative action",
}


def instrument(code: str) -> str:
    """The kind of legal instrument in words."""
    return INSTRUMENTS.get(code, code.replace("-", " "))


KINDS = {"gpu": "GPU", "asic": "ASIC", "cpu": "CPU", "fpga": "FPGA",
         "chip-designer": "chip designer", "foundry": "foundry", "government": "government",
         "analyst": "analyst", "company": "company", "other": "organization"}


def kind(code: str) -> str:
    return KINDS.get(code, code.replace("-", " "))


def group(record: Any) -> str:
    """A country group by its code ("Country Group D:5") or its name."""
    code = getattr(record, "code", None)
    return f"Country Group {code}" if code else str(record.name)


# ---------------------------------------------------------------------------------------------
# Estimates

SCOPES = {"gpu": "GPUs", "ai-accelerator": "AI accelerators", "ai-chip": "AI chips",
          "other": "other chips"}
MEASURES = {"revenue": "by revenue", "units": "by units", "shipments": "by shipments",
            "unstated": "measure not stated"}


def scope(code: str) -> str:
    return SCOPES.get(code, code.replace("-", " "))


def measure(code: str) -> str:
    return MEASURES.get(code, code)


def share_value(share: Any) -> str:
    """A market-share estimate's value: "about 80.6 %", "at least 95 %", "55 to 60 %"."""
    low, high = share.value_pct_low, share.value_pct_high
    value = share.value_pct
    if value is not None:
        shown = f"{format_number(value)} %"
        return {"at-least": f"at least {shown}", "at-most": f"at most {shown}",
                "about": f"about {shown}"}.get(share.qualifier, shown)
    if low is not None and high is not None:
        if low == high:
            return f"{format_number(low)} %"
        if low == 0:
            return f"up to {format_number(high)} %"
        return f"{format_number(low)} to {format_number(high)} %"
    return "not stated"


# ---------------------------------------------------------------------------------------------
# Criteria


_WORDS = {"gte": "at least", "gt": "more than", "lte": "at most", "lt": "less than",
          "eq": "exactly"}


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
            inner = [_criterion(c, name) for c in part]
            parts.append(("either " if not top else "") + "; or ".join(inner))
        elif key == "not_":
            if part.control is not None and len(part.parts()) == 1:
                parts.append(f"not specified by {_control(part.control, name)}")
            else:
                parts.append(f"not ({_criterion(part, name)})")
        elif key == "control":
            parts.append(f"specified by {_control(part, name)}")
        else:
            parts.append(_test(key, part, name))
    return and_list(parts)


def _control(ref: Any, name: Callable[[str], str]) -> str:
    return ref.control if ref.rule is None else f"{ref.control} of the {name(ref.rule)}"


def _test(key: str, test: Any, name: Callable[[str], str]) -> str:
    metric = METRICS[key]
    if metric.type == "bool":
        return metric.label if test else f"not {metric.label}"
    if metric.type == "text":
        values = [test.eq] if test.eq is not None else list(test.in_ or ())
        shown = and_list([name(v) if key in ("id", "vendor") else kind(v) for v in values], "or")
        return {"id": f"the {shown}", "vendor": f"made by {shown}",
                "kind": f"a {shown}"}.get(key, shown)
    unit = f" {metric.unit}" if metric.unit else ""
    bits = []
    for op, expected in test.items():
        shown = expected.isoformat() if hasattr(expected, "isoformat") else \
            format_number(expected)
        bits.append(f"{_WORDS[op]} {shown}{unit}")
    label = {"tpp": "a TPP", "performance_density": "a performance density"}.get(
        key, f"{metric.label}")
    return f"{label} of {' and '.join(bits)}"


def names_from(base: Any) -> Callable[[str], str]:
    """A look-up of display names for chip, organization and rule ids."""
    table: Mapping[str, str] = {
        **{cid: c.name for cid, c in base.chips.items()},
        **{oid: o.name for oid, o in base.organizations.items()},
        **{rid: r.short_title for rid, r in base.rules.items()},
    }
    return lambda rid: table.get(rid, rid)
