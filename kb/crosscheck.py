"""Cross-record checks beyond "the id exists": reference cycles, date order between records,
criterion values against the records, and citation field names against the models.

:func:`kb.loader._cross_check` runs :func:`run` after its reference checks. Every check here is a
dict look-up per reference, or linear in the records (cycle detection is one pass of Tarjan's
algorithm), so they add little to a load of 10,000 chips.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from kb import models
from kb.metrics import METRICS
from kb.models.criteria import Criterion
from kb.models.rule import Rule

Loc = tuple[str | int, ...]


class Reporter(Protocol):
    """What the checks need of the loader's checker: the records, their files, a way to report."""

    records: dict[str, dict[str, Any]]
    files: dict[tuple[str, str], Any]

    def problem(self, kind: str, rid: str, loc: Loc, code: str, message: str) -> None: ...


def run(ck: Reporter) -> None:
    """Every check in this module, in a fixed order."""
    variant_cycles(ck)
    rule_lineage(ck)
    superseded_controls(ck)
    control_references(ck)
    policy_targets(ck)
    criterion_values(ck)
    citation_fields(ck)


def _hint(value: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------------------------------------
# Reference cycles


def variant_cycles(ck: Reporter) -> None:
    """``variant_of`` chains that come back to where they began (a chip that is its own variant
    is reported by the loader already)."""
    chips = ck.records["chips"]
    done: set[str] = set()
    for first in chips:
        path: list[str] = []
        seen: dict[str, int] = {}
        node: str | None = first
        # Each chip has one parent at most: follow the chain until it leaves the records, meets
        # a chain already walked, or meets itself.
        while node is not None and node in chips and node not in done and node not in seen:
            seen[node] = len(path)
            path.append(node)
            node = chips[node].variant_of
        done.update(path)
        if node is None or node not in seen or len(path) - seen[node] < 2:
            continue
        cycle = path[seen[node]:]
        for i, member in enumerate(cycle):
            spelled = " -> ".join([*cycle[i:], *cycle[:i], member])
            ck.problem("chips", member, ("variant_of",), "reference-cycle",
                       f"variant_of forms a cycle: {spelled}; a chip's chain of parents must "
                       "end at a chip that is not a variant")


Edge = tuple[str, Loc]  # (relation, where it is written in the record that holds it)


def _strong_components(graph: dict[Hashable, list[tuple[Hashable, Edge]]]) -> list[list[Any]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on long chains)."""
    index: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    stack: list[Hashable] = []
    on_stack: set[Hashable] = set()
    out: list[list[Any]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, edges = work[-1]
            for target, _ in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out


@dataclass(frozen=True)
class Cycle:
    """A way round from a node back to it."""

    nodes: list[Any]
    """From the node round to it again; the middle is left out of a long one (see length)."""
    first: Edge
    """The reference that leaves the node on this way round: where the problem is reported."""
    labels: list[str]
    """The relations on the way (amends, replaces...), in order, each once."""
    length: int
    """References on the whole way round."""

    def spell(self, name: Callable[[Any], str] = str) -> str:
        names = [name(n) for n in self.nodes]
        if self.length == len(names) - 1:
            return " -> ".join(names)
        return " -> ".join(names[:-1]) + f" -> ... -> {names[-1]} ({self.length} references)"


SPELL_AT_MOST = 12
"""Nodes a cycle message names before it leaves the middle out."""
SMALL_COMPONENT = 64
"""Up to this many nodes on cycles that touch, each gets its shortest cycle (a search per node);
a larger tangle gets a linear walk per node through one root instead."""


def cycles(graph: dict[Hashable, list[tuple[Hashable, Edge]]]) -> dict[Any, Cycle]:
    """For every node on a cycle of two or more nodes, a cycle through it. Self-references are
    left to the caller, which words them differently. Finding the nodes is linear (Tarjan's
    algorithm); naming the cycles is too, but for small tangles of cycles (the only ones real
    records could have), which get each node's shortest cycle."""
    found: dict[Any, Cycle] = {}
    for component in _strong_components(graph):
        if len(component) < 2:
            continue
        members = set(component)
        if len(component) <= SMALL_COMPONENT:
            for start in component:
                found[start] = _shortest_cycle(graph, members, start)
        else:
            found.update(_cycles_through_root(graph, members, component[0]))
    return found


def _cycle(nodes: list[Any], edges: list[Edge], labels: list[str] | None = None,
           length: int | None = None) -> Cycle:
    total = len(edges) if length is None else length
    shown = nodes if total < SPELL_AT_MOST else [*nodes[:SPELL_AT_MOST], nodes[0]]
    return Cycle(shown, edges[0], labels or list(dict.fromkeys(rel for rel, _ in edges)), total)


def _shortest_cycle(graph: dict[Hashable, list[tuple[Hashable, Edge]]], members: set[Any],
                    start: Any) -> Cycle:
    # Breadth-first inside the component: the shortest way back to the start.
    back: dict[Any, tuple[Any, Edge]] = {}
    queue = deque([start])
    while queue and start not in back:
        node = queue.popleft()
        for target, edge in graph[node]:
            if target in members and target not in back and target != node:
                back[target] = (node, edge)
                if target == start:
                    break
                queue.append(target)
    nodes, edges = [start], []
    node = start
    while True:
        node, edge = back[node]
        nodes.append(node)
        edges.append(edge)
        if node == start:
            break
    nodes.reverse()
    edges.reverse()
    return _cycle(nodes, edges)


def _cycles_through_root(graph: dict[Hashable, list[tuple[Hashable, Edge]]], members: set[Any],
                         root: Any) -> dict[Any, Cycle]:
    # One search forward from the root and one backward give every node a way to the root and
    # back; each node's message names the first steps of it, so the whole is linear.
    incoming: dict[Any, list[tuple[Any, Edge]]] = {m: [] for m in members}
    labels: dict[str, None] = {}
    for node in members:
        for target, edge in graph[node]:
            if target in members and target != node:
                incoming[target].append((node, edge))
                labels[edge[0]] = None
    to_root: dict[Any, tuple[Any, Edge, int]] = {root: (root, ("", ()), 0)}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for source, edge in incoming[node]:
            if source not in to_root:
                to_root[source] = (node, edge, to_root[node][2] + 1)
                queue.append(source)
    from_root: dict[Any, int] = {root: 0}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for target, _ in graph[node]:
            if target in members and target not in from_root:
                from_root[target] = from_root[node] + 1
                queue.append(target)
    out: dict[Any, Cycle] = {}
    for node in members:
        if node == root:
            target, first = next((t, e) for t, e in graph[root] if t in members and t != root)
            steps, length = [root, target], 1 + to_root[target][2]
        else:
            target, first, depth = to_root[node]
            steps, length = [node, target], depth + from_root[node]
        while len(steps) <= SPELL_AT_MOST and steps[-1] != root:
            steps.append(to_root[steps[-1]][0])
        steps = steps[:SPELL_AT_MOST]
        if steps[-1] != node or len(steps) == 1:
            steps.append(node)
        out[node] = Cycle(steps, first, list(labels), length)
    return out


def _made_public(rule: Rule) -> dt.date | None:
    public = rule.dates.first_public()
    return public[1] if public else rule.start


LINEAGE = ("amends", "replaces", "ends")


def rule_lineage(ck: Reporter) -> None:
    """``amends``, ``replaces`` and ``ends`` point to rules made public before (or with) the rule,
    never to itself and never round in a circle."""
    rules = ck.records["rules"]
    graph: dict[Hashable, list[tuple[Hashable, Edge]]] = {}
    late: dict[tuple[str, Loc], str] = {}
    for rid, rule in rules.items():
        edges = graph[rid] = []
        for rel in LINEAGE:
            verb = rel.removesuffix("s")
            for i, other in enumerate(getattr(rule, rel)):
                if other == rid:
                    ck.problem("rules", rid, (rel, i), "invalid-reference",
                               f"a rule cannot {verb} itself")
                    continue
                target = rules.get(other)
                if target is None:
                    continue  # reported as an unknown reference
                edges.append((other, (rel, (rel, i))))
                mine, theirs = _made_public(rule), _made_public(target)
                if mine and theirs and theirs > mine:
                    late[(rid, (rel, i))] = (f"'{other}' was made public on {theirs}, after this "
                                             f"rule ({mine}): a rule can only {verb} rules that "
                                             "came before it")
    found = cycles(graph)
    for rid, cycle in found.items():
        verb = "forms" if len(cycle.labels) == 1 else "form"
        ck.problem("rules", rid, cycle.first[1], "reference-cycle",
                   f"{' and '.join(cycle.labels)} {verb} a cycle: {cycle.spell()}; a rule "
                   "amends, replaces or ends only rules that came before it")
    _report_late(ck, late, found)


def _report_late(ck: Reporter, late: dict[tuple[str, Loc], str],
                 found: dict[Any, Cycle]) -> None:
    """Date-order problems of references, except those on a reported cycle: there the cycle is
    the problem, and a second message on the same line would only repeat it."""
    on_cycle = {(node if isinstance(node, str) else node[0], cycle.first[1])
                for node, cycle in found.items()}
    for (rid, loc), message in late.items():
        if (rid, loc) not in on_cycle:
            ck.problem("rules", rid, loc, "date-order", message)


def _controls(rule: Rule) -> dict[str, Any]:
    return {c.id: c for c in rule.controls}


def superseded_controls(ck: Reporter) -> None:
    """A control supersedes only controls that started before it, never itself, never in a
    circle: the superseded control ends the day before its successor starts, so any other order
    leaves a control that is never in force."""
    rules = ck.records["rules"]
    graph: dict[Hashable, list[tuple[Hashable, Edge]]] = {}
    late: dict[tuple[str, Loc], str] = {}
    for rid, rule in rules.items():
        for ci, control in enumerate(rule.controls):
            edges = graph[(rid, control.id)] = []
            start, _ = rule.control_span(control)
            for ri, ref in enumerate(control.supersedes):
                loc: Loc = ("controls", ci, "supersedes", ri)
                if ref.rule == rid and ref.control == control.id:
                    ck.problem("rules", rid, loc, "invalid-reference",
                               "a control cannot supersede itself")
                    continue
                target_rule = rules.get(ref.rule)
                target = _controls(target_rule).get(ref.control) if target_rule else None
                if target is None:
                    continue  # reported as an unknown reference
                edges.append(((ref.rule, ref.control), ("supersedes", loc)))
                theirs, _ = target_rule.control_span(target)  # type: ignore[union-attr]
                if start and theirs and theirs >= start:
                    late[(rid, loc)] = (f"'{ref.rule} {ref.control}' starts {theirs}, not before "
                                        f"this control ({start}): a superseded control ends the "
                                        "day before its successor starts, so it would never be "
                                        "in force")
    found = cycles(graph)
    for (rid, _), cycle in found.items():
        ck.problem("rules", rid, cycle.first[1], "reference-cycle",
                   f"supersedes forms a cycle: {cycle.spell(lambda n: f'{n[0]} {n[1]}')}; a "
                   "control supersedes only controls that started before it")
    _report_late(ck, late, found)


def _control_refs(criterion: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """Every ``control`` reference inside a criterion, with its location."""
    for key, part in criterion.parts():
        if key in ("all", "any"):
            for i, sub in enumerate(part):
                yield from _control_refs(sub, (*loc, key, i))
        elif key == "not_":
            yield from _control_refs(part, (*loc, "not"))
        elif key == "control":
            yield (*loc, "control"), part


def control_references(ck: Reporter) -> None:
    """A criterion's ``control`` names a control of a recorded rule that has a criterion, and
    references never lead back to where they began (the answer would depend on itself)."""
    rules = ck.records["rules"]
    graph: dict[Hashable, list[tuple[Hashable, Edge]]] = {}
    for rid, rule in rules.items():
        for ci, control in enumerate(rule.controls):
            edges = graph.setdefault((rid, control.id), [])
            for where, criterion in _criteria(control, ("controls", ci)):
                for loc, ref in _control_refs(criterion, where):
                    target_rid = ref.rule or rid
                    target_rule = rules.get(target_rid)
                    if target_rule is None:
                        ck.problem("rules", rid, (*loc, "rule"), "unknown-reference",
                                   f"no rule '{target_rid}' in records/rules/"
                                   f"{_hint(target_rid, rules)}")
                        continue
                    target = _controls(target_rule).get(ref.control)
                    if target is None or target.criterion is None:
                        spot = loc if ref.rule is None else (*loc, "control")
                        names = [c.id for c in target_rule.controls if c.criterion is not None
                                 and (target_rid, c.id) != (rid, control.id)]
                        why = ("has no criterion" if target is not None else "is not a control")
                        ck.problem("rules", rid, spot, "unknown-reference",
                                   f"'{ref.control}' {why} of {target_rid}; a control's outcome "
                                   "can be named only for controls with a criterion"
                                   f"{_hint(ref.control, names)}")
                        continue
                    if (target_rid, ref.control) == (rid, control.id):
                        ck.problem("rules", rid, loc, "reference-cycle",
                                   f"control {control.id} refers to its own outcome: its answer "
                                   "would depend on itself")
                        continue
                    edges.append(((target_rid, ref.control), ("control", loc)))
    for (rid, _), cycle in cycles(graph).items():
        ck.problem("rules", rid, cycle.first[1], "reference-cycle",
                   f"control references form a cycle: "
                   f"{cycle.spell(lambda n: f'{n[0]} {n[1]}')}; each answer would depend on "
                   "itself")


def policy_targets(ck: Reporter) -> None:
    """``policy_of`` names licence-requirement controls: a review policy reviews the licences
    they require (so review policies never refer to each other, and never in a circle)."""
    rules = ck.records["rules"]
    for rid, rule in rules.items():
        for ci, control in enumerate(rule.controls):
            for ri, ref in enumerate(control.policy_of):
                target_rule = rules.get(ref.rule)
                target = _controls(target_rule).get(ref.control) if target_rule else None
                if target is not None and target.effect != "licence-requirement":
                    ck.problem("rules", rid, ("controls", ci, "policy_of", ri),
                               "invalid-reference",
                               f"'{ref.rule} {ref.control}' is a review-policy control; "
                               "policy_of names the licence-requirement controls whose licences "
                               "this control's policy reviews")


# ---------------------------------------------------------------------------------------------
# Criterion values


def _chip_kinds() -> tuple[str, ...]:
    return typing.get_args(models.Chip.model_fields["kind"].annotation)


Values = tuple[str, typing.Collection[str], Callable[[str, str], str]]
"""Problem code, the values that exist, and the message for one that does not (value, hint)."""


def _reference_values(folder: str, label: str) -> Callable[[dict[str, Any]], Values]:
    def values(records: dict[str, Any]) -> Values:
        return ("unknown-reference", records[folder],
                lambda v, h: f"no {label} '{v}' in records/{folder}/{h}")
    return values


def _kind_values(records: dict[str, Any]) -> Values:
    kinds = _chip_kinds()
    expected = ", ".join(f"'{k}'" for k in kinds[:-1]) + f" or '{kinds[-1]}'"
    return ("invalid-choice", kinds, lambda v, h: f"unexpected value '{v}'; expected {expected}{h}")


# Text metric -> how its values are checked. Every text metric in kb.metrics needs an entry (a
# test says so): a value no chip can have makes a criterion that silently matches nothing.
TEXT_VALUES: dict[str, Callable[[dict[str, Any]], Values]] = {
    "vendor": _reference_values("organizations", "organization"),
    "id": _reference_values("chips", "chip"),
    "kind": _kind_values,
}


def _criteria(value: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """Every criterion inside a record, wherever a model puts one, with its location."""
    if isinstance(value, Criterion):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from _criteria(getattr(value, name), (*loc, info.alias or name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _criteria(item, (*loc, i))


def _text_values(criterion: Any, loc: Loc) -> Iterator[tuple[Loc, str, str]]:
    for key, part in criterion.parts():
        if key in ("all", "any"):
            for i, sub in enumerate(part):
                yield from _text_values(sub, (*loc, key, i))
        elif key == "not_":
            yield from _text_values(part, (*loc, "not"))
        elif key == "control":
            continue
        elif METRICS[key].type == "text":
            if part.eq is not None:
                yield (*loc, key, "eq"), key, part.eq
            for i, value in enumerate(part.in_ or ()):
                yield (*loc, key, "in", i), key, value


def unknown_values(criterion: Any, records: dict[str, dict[str, Any]],
                   loc: Loc = ()) -> Iterator[tuple[Loc, str, str]]:
    """(location, code, message) for each text value of ``criterion`` that names an
    organization, chip kind or chip the records do not have; usable for a criterion typed on the
    command line as for one in a record."""
    checks: dict[str, Values] = {}
    for where, metric, value in _text_values(criterion, loc):
        if metric not in checks:
            checks[metric] = TEXT_VALUES[metric](records)
        code, known, message = checks[metric]
        if value not in known:
            hint = _hint(value.lower() if metric == "kind" else value, known)
            yield where, code, message(value, hint)


def criterion_values(ck: Reporter) -> None:
    """Text comparisons name organizations, chip kinds and chips that exist."""
    for rid, rule in ck.records["rules"].items():
        for where, criterion in _criteria(rule, ()):
            for loc, code, message in unknown_values(criterion, ck.records, where):
                if loc[-1] == "eq":
                    # "vendor: nvidia" is shorthand for {eq: nvidia}: point at what was written.
                    parsed = ck.files[("rules", rid)].parsed
                    if parsed is not None and loc not in parsed.marks:
                        loc = loc[:-1]
                ck.problem("rules", rid, loc, code, message)


# ---------------------------------------------------------------------------------------------
# Citation fields


def _unwrap(annotation: Any) -> Iterator[Any]:
    """The plain types an annotation allows (through Optional, unions, Annotated and lists)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _unwrap(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    elif annotation is not type(None):
        yield annotation


Children = dict[str, Any]
"""Name as written in records -> annotation of what it holds."""


@cache
def _children(annotation: Any) -> tuple[str, Children] | None:
    """What a dotted path may name under a field: a model's fields, or a mapping's keys (a field
    that may hold one of several forms, such as a number or a range, offers every form's)."""
    found: tuple[str, Children] | None = None
    for t in _unwrap(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel):
            what, names = "field", {(info.alias or name): info.annotation
                                    for name, info in t.model_fields.items()}
        elif typing.get_origin(t) is dict:
            key, value = typing.get_args(t)
            keys = typing.get_args(key) if typing.get_origin(key) is Literal else ()
            what, names = "key", dict.fromkeys(keys, value)
        else:
            continue
        found = (found[0], {**found[1], **names}) if found else (what, names)
    return found


def _leaf(annotation: Any) -> str:
    kinds = set()
    for t in _unwrap(annotation):
        if t is bool:
            kinds.add("true or false")
        elif t in (int, float):
            kinds.add("a number")
        elif t is str or t is dt.date or typing.get_origin(t) is Literal:
            kinds.add("text")
    return kinds.pop() if len(kinds) == 1 else ""


@cache  # the same few dozen paths recur in every record of a kind
def resolve(model: type[BaseModel], path: str) -> tuple[str | None, Any]:
    """A dotted field path on a record kind: (why it names nothing, or None; its annotation)."""
    annotation: Any = model
    done: list[str] = []
    for part in path.split("."):
        children = _children(annotation)
        label = _LABELS[model]
        where = f"'{'.'.join(done)}'" if done else f"{_ARTICLE[label]} {label} record"
        if children is None:
            return (f"'{'.'.join(done)}' holds a value, not fields: cite '{'.'.join(done)}'",
                    None)
        what, names = children
        if part not in names:
            if not done and part in model.model_computed_fields:
                return (f"'{part}' is derived, never typed in: cite the fields it is computed "
                        "from", None)
            return f"no {what} '{part}' in {where}{_hint(part, names)}", None
        annotation = names[part]
        done.append(part)
    return None, annotation


_LABELS: dict[Any, str] = {model: folder.removesuffix("s").replace("-", " ")
                           for folder, model in models.KINDS.items()}
_ARTICLE = {label: "an" if label[0] in "aeiou" else "a" for label in _LABELS.values()}


def citation_fields(ck: Reporter) -> None:
    """Citation ``fields`` and disputed ``field`` name fields the record kind has; a disputed
    value is of the field's type."""
    for kind, items in ck.records.items():
        model = models.KINDS[kind]
        cited = "citations" in model.model_fields
        disputable = "disputed" in model.model_fields
        # Paths recur in nearly every record of a kind: a set look-up each, and the slow walk
        # (with positions) only for a record that has a path outside the set.
        good: set[str] = set()
        for rid, record in items.items():
            if cited:
                bad = False
                for citation in record.citations:
                    for path in citation.fields:
                        if path in good:
                            continue
                        if resolve(model, path)[0] is None:
                            good.add(path)
                        else:
                            bad = True
                if bad:
                    _report_citations(ck, kind, rid, record, model)
            if disputable:
                for i, disputed in enumerate(record.disputed):
                    _check_disputed(ck, kind, rid, model, i, disputed)


def _report_citations(ck: Reporter, kind: str, rid: str, record: Any,
                      model: type[BaseModel]) -> None:
    for i, citation in enumerate(record.citations):
        for j, path in enumerate(citation.fields):
            why, _ = resolve(model, path)
            if why:
                ck.problem(kind, rid, ("citations", i, "fields", j), "unknown-field", why)


def _check_disputed(ck: Reporter, kind: str, rid: str, model: type[BaseModel], i: int,
                    disputed: Any) -> None:
    why, annotation = resolve(model, disputed.field)
    if why:
        ck.problem(kind, rid, ("disputed", i, "field"), "unknown-field", why)
        return
    wanted = _leaf(annotation)
    value = disputed.value
    if isinstance(value, bool):
        found = "true or false"
        shown = f"{str(value).lower()} (YAML reads yes/no/true/false as booleans)"
    elif isinstance(value, str):
        found, shown = "text", f"text {value!r}"
    else:
        found = "a number"
        shown = f"the number {value}" + ("; quote it" if wanted == "text" else "")
    if wanted and found != wanted:
        ck.problem(kind, rid, ("disputed", i, "value"), "wrong-type",
                   f"'{disputed.field}' holds {wanted}; found {shown}")
