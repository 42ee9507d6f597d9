"""The timeline page's data: every chip's China status on every change date, from the engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kb.i18n import N_, _
from kb.knowledge import KnowledgeBase
from kb.site import charts


def china_timeline(base: KnowledgeBase) -> dict[str, Any]:
    """Dates (the engine's change dates), what starts or ends on each, and one row per chip
    with its status on each date as ``base.verdict(chip, on=date, destination="CN").status``."""
    engine = base.engine
    days = base.change_dates()
    starts, ends, early_for = N_("takes effect"), N_("ends"), N_("applies early to named chips")
    by_day = {day: charts.china_statuses(base, day) for day in days}
    events: dict[dt.date, list[tuple[Any, str]]] = {day: [] for day in days}
    for rule, control in engine.chip_controls:
        start, end = engine.spans[(rule.id, control.id)]
        for day, what in ((start, starts), (end + dt.timedelta(days=1) if end else None, ends)):
            if day in events and (rule, what) not in events[day]:
                events[day].append((rule, what))
        for early in control.earlier_for:
            if early.effective in events and (rule, early_for) not in events[early.effective]:
                events[early.effective].append((rule, early_for))
    for day in days:
        # In the same order in every language (by the English words), then said.
        events[day].sort(key=lambda e: (e[0].short_title, e[1]))
        events[day] = [(rule, _(what)) for rule, what in events[day]]
    chips = sorted(base.chips.values(), key=lambda c: (
        charts.short_org(base.organizations[c.vendor]).lower(), c.released or "9999", c.name))
    rows = [{"chip": c, "vendor": charts.short_org(base.organizations[c.vendor]),
             "cells": [by_day[day][c.id] for day in days]} for c in chips]
    rule_charts = []
    for day, lines in charts.rule_days(base):
        shown = [c for c in charts._plotted(base, base.chips.values())
                 if c.released_on is not None and c.released_on <= day]
        rule_charts.append({"day": day, "lines": lines, "chips": sorted(
            shown, key=lambda c: (-float(c.tpp or 0), c.name)), "status": by_day[day]})
    return {"days": days, "events": events, "rows": rows, "charts": rule_charts}
