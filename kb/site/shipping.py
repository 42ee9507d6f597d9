"""The data behind "Can I ship it?": every chip's licence answer for every destination and day,
as small tables the browser reads (no server, and from file:// too).

Answers change only on the days the engine lists (controls, review policies, earlier dates and
country-group memberships starting or ending), and on a day countries that sit in the same groups
and that no rule names by itself get the same answer. So the build asks the engine once per day
and per such class of countries, and the page looks the answer up: the words and the figures are
the engine's, as ``kb classify CHIP --to CC --on DATE`` prints them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kb import words
from kb.i18n import _
from kb.knowledge import KnowledgeBase
from kb.models import Chip
from kb.models import countries as country_table


def named_countries(base: KnowledgeBase) -> set[str]:
    """Countries some rule names by itself (not only through a group)."""
    out: set[str] = set()
    for rule in base.rules.values():
        for control in rule.controls:
            reaches = [control.destinations] + [e.destinations for e in control.exceptions]
            for reach in reaches:
                if reach is not None:
                    out.update(reach.countries, reach.except_countries, reach.headquartered_in)
            for p in control.policy_by_destination:
                out.update(p.countries)
    return out


def days(base: KnowledgeBase) -> list[dt.date]:
    return base.engine.history_days()


Classes = tuple[list[str], list[list[int]], list[list[str]]]


def classes(base: KnowledgeBase) -> Classes:
    """Countries in a fixed order; for each day, each country's class; for each day, one
    country standing for each class."""
    codes = sorted(country_table.table())
    named = named_countries(base)
    groups = sorted(base.country_groups.values(), key=lambda g: g.id)
    per_day: list[list[int]] = []
    stand_ins: list[list[str]] = []
    for day in days(base):
        seen: dict[tuple[Any, ...], int] = {}
        row, reps = [], []
        for cc in codes:
            key = (cc if cc in named else None,
                   tuple(g.id for g in groups if g.has(cc, day)))
            if key not in seen:
                seen[key] = len(reps)
                reps.append(cc)
            row.append(seen[key])
        per_day.append(row)
        stand_ins.append(reps)
    return codes, per_day, stand_ins


def global_data(base: KnowledgeBase, table: Classes) -> dict[str, Any]:
    """What every chip page shares: the days, the countries by name and group, their classes
    (``table``: :func:`classes`)."""
    codes, per_day, _ = table
    groups = []
    for g in sorted(base.country_groups.values(), key=lambda g: (g.code or g.name, g.id)):
        groups.append({"label": words.group(g), "description": g.description or "",
                       "members": sorted(g.members_on(days(base)[-1]))})
    return {
        "days": [d.isoformat() for d in days(base)],
        "countries": [[cc, country_table.name(cc)] for cc in codes],
        "groups": groups,
        "classes": ["".join(_digit(c) for c in row) for row in per_day],
    }


def _digit(index: int) -> str:
    # One character per country and day keeps the table small: up to 62 classes a day.
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if index >= len(alphabet):
        raise ValueError("more than 62 classes of destinations on one day")
    return alphabet[index]


def reach_table(base: KnowledgeBase, stand_ins: list[list[str]]
                ) -> list[dict[tuple[str, str], tuple[bool, ...]]]:
    """For each day, for each chip control, which classes of destinations it reaches: the same
    for every chip, so worked out once."""
    engine = base.engine
    out = []
    for day, reps in zip(days(base), stand_ins, strict=True):
        row = {}
        for rule, control in engine.chip_controls:
            reach = control.destinations
            row[(rule.id, control.id)] = tuple(
                reach is not None and bool(engine.reaches(reach, cc, day)) for cc in reps)
        out.append(row)
    return out


def chip_data(base: KnowledgeBase, chip: Chip, stand_ins: list[list[str]],
              reaches: list[dict[tuple[str, str], tuple[bool, ...]]] | None = None
              ) -> dict[str, Any]:
    """One chip's answers: a table of distinct answers, and for each day, each class's."""
    engine = base.engine
    reaches = reaches if reaches is not None else reach_table(base, stand_ins)
    answers: list[dict[str, Any]] = []
    index: dict[tuple[Any, ...], int] = {}
    table = []
    for day, reps, reach in zip(days(base), stand_ins, reaches, strict=True):
        row = []
        dets = engine.classify(chip, day)  # once a day: only which controls reach varies
        verdicts: dict[tuple[int, ...], Any] = {}
        for k, cc in enumerate(reps):
            # What engine.verdict(chip, day, cc) gives, from the day's determinations.
            reached = tuple(i for i, d in enumerate(dets)
                            if reach[(d.rule_id, d.control_id)][k])
            verdict = verdicts.get(reached)
            if verdict is None:
                verdict = verdicts[reached] = engine.verdict_of(chip, [dets[i]
                                                                      for i in reached])
            policy = _policy(engine, chip, verdict, cc, day)
            key = (verdict.status, tuple(verdict.by), verdict.jointly, policy,
                   tuple(verdict.reasons))
            if key not in index:
                index[key] = len(answers)
                answers.append(_answer(base, verdict, policy))
            row.append(index[key])
        table.append(row)
    return {"released": chip.released_on.isoformat() if chip.released_on else None,
            "released_as": chip.released, "answers": answers, "table": table}


def _policy(engine: Any, chip: Chip, verdict: Any, cc: str, day: dt.date) -> str | None:
    if verdict.value is False or not verdict.by:
        return None
    rule, control = engine._controls_by_key[verdict.by[0]]
    code, note = engine.policy(rule, control, chip, cc, day)
    if not note:
        return words.policy(code)
    return _("{policy} ({note})").format(policy=words.policy(code), note=note.rstrip(".。"))


def _answer(base: KnowledgeBase, verdict: Any, policy: str | None) -> dict[str, Any]:
    controls = [{"rule": rule_id, "control": control_id,
                 "title": base.rules[rule_id].short_title}
                for rule_id, control_id in verdict.by]
    return {
        "status": verdict.status,
        "value": verdict.value,
        "jointly": verdict.jointly,
        "controls": controls,
        "policy": policy,
        "reasons": verdict.reasons,
        "decide": [d.condition for d in verdict.deciders if d.condition],
    }


def script(base: KnowledgeBase, table: Classes) -> str:
    """The shared data as a script (a page opened from disk cannot fetch JSON)."""
    data = json.dumps(global_data(base, table), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return f"window.KB_SHIP = {data};\n"
