"""Atom feeds of changes: new rules, chips' China status changes, and each chip's own changes.

Feed readers are how the people endoflife.date's users asked for change notifications follow a
static site (anchors.md, issues #48, #2368). The feeds are written with feedgen and dated from
the records alone: an entry's date is the day of the change it reports (a rule's first public
act; the day a chip's China answer changes), a feed's the newest entry's, so the same records
give the same bytes. Ids are UUIDs made from what an entry reports, not from the site's address,
so they stay the same when the site moves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from feedgen.feed import FeedGenerator
from markupsafe import escape

from kb import i18n
from kb.i18n import _
from kb.knowledge import KnowledgeBase
from kb.models import Chip, Rule
from kb.site import trust

RULES = "feeds/rules.xml"
DETERMINATIONS = "feeds/determinations.xml"
ATOM_TYPE = "application/atom+xml"


def chip_feed_path(chip_id: str) -> str:
    return f"feeds/chips/{chip_id}.xml"


@dataclass(frozen=True)
class Change:
    """A day on which a chip's answer for exports to China changes."""

    chip_id: str
    chip_name: str
    day: dt.date
    before: str
    after: str
    """The answers before and from that day (kb.site.render.china_status: said with _())."""
    controls: tuple[str, ...]
    """The controls in force that catch the chip (or may) from that day, named for a reader."""


def china_changes(chip: Chip, entries: Iterable[tuple[dt.date, list[str]]],
                  status_on: Callable[[dt.date], str], until: dt.date) -> list[Change]:
    """The days up to ``until`` on which ``status_on`` (the chip's China answer) changes, among
    the chip's timeline days (``entries``: each day with the controls catching it then).

    Before its first timeline day no recorded chip control catches a chip, so no licence is
    needed: a first entry that still needs none is no change."""
    from kb.site.render import NO_LICENCE

    out: list[Change] = []
    before = NO_LICENCE
    for day, controls in entries:
        if day > until:
            break
        after = status_on(day)
        if after != before:
            out.append(Change(chip.id, chip.name, day, before, after, tuple(controls)))
            before = after
    return out


def _uuid(key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ai-chip-export-controls-kb:{key}").urn


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _feed(key: str, title: str, subtitle: str, base_url: str, path: str, page: str,
          updated: dt.date) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(_uuid(f"feed:{key}"))
    fg.title(title)
    fg.subtitle(subtitle)
    fg.author({"name": trust.SITE_NAME})
    fg.link(href=base_url + path, rel="self", type=ATOM_TYPE)
    fg.link(href=base_url + trust.page_url(page), rel="alternate", type="text/html")
    fg.language(i18n.language())
    fg.rights(_("Data CC BY 4.0"))
    # Without these feedgen writes today's date and its own version into every feed.
    fg.updated(_moment(updated))
    fg.generator(trust.SITE_NAME)
    return fg


def _bytes(fg: FeedGenerator) -> str:
    return fg.atom_str(pretty=True, encoding="UTF-8").decode("utf-8")


def rule_date(rule: Rule) -> dt.date | None:
    """When a rule became known: its first public act, else its first day in force."""
    act = rule.dates.first_public() or rule.dates.first_day()
    return act[1] if act else rule.last_reviewed


def rules_feed(base: KnowledgeBase, base_url: str, fallback: dt.date) -> str:
    """Every rule record, newest first by its first public date."""
    dated = sorted(((rule_date(r) or fallback, r) for r in base.rules.values()),
                   key=lambda item: (item[0], item[1].id), reverse=True)
    newest = dated[0][0] if dated else fallback
    fg = _feed("rules", _("{site}: rules").format(site=trust.SITE_NAME),
               _("Every export-control rule in the records, newest first by its first public act"),
               base_url, RULES, "rules/index.md", newest)
    for day, rule in dated:
        fe = fg.add_entry(order="append")
        fe.id(_uuid(f"rule:{rule.id}"))
        fe.title(_("{title} ({day})").format(title=rule.short_title, day=i18n.day(day)))
        fe.link(href=base_url + trust.page_url(f"rules/{rule.id}.md"), rel="alternate",
                type="text/html")
        fe.published(_moment(day))
        fe.updated(_moment(day))
        fe.summary(trust.plain(rule.summary) or rule.title)
    return _bytes(fg)


def _change_line(change: Change) -> str:
    return _("{chip}: {before} \u2192 {after} for exports to China").format(
        chip=change.chip_name, before=_(change.before), after=_(change.after))


def determinations_feed(changes: Iterable[Change], base_url: str, fallback: dt.date) -> str:
    """One entry per day on which some chip's China answer changes, newest first, listing the
    chips that change that day."""
    by_day: dict[dt.date, list[Change]] = {}
    for change in changes:
        by_day.setdefault(change.day, []).append(change)
    days = sorted(by_day, reverse=True)
    fg = _feed("determinations", _("{site}: China status changes").format(site=trust.SITE_NAME),
               _("Each day on which a recorded chip's licence answer for exports to China changes"),
               base_url, DETERMINATIONS, "chips/index.md", days[0] if days else fallback)
    for day in days:
        items = sorted(by_day[day], key=lambda c: c.chip_id)
        fe = fg.add_entry(order="append")
        fe.id(_uuid(f"determinations:{day.isoformat()}"))
        fe.title(_("{day}: {count} chip(s) change their China status").format(
            day=i18n.day(day), count=len(items)))
        fe.link(href=base_url + trust.page_url("chips/index.md"), rel="alternate",
                type="text/html")
        fe.updated(_moment(day))
        fe.summary(_("; ").join(_change_line(c) for c in items))
        # Names are record text: escaped here, and feedgen escapes the HTML once more as XML.
        rows = "".join(
            "<li>" + _("{chip}: {before} \u2192 {after}").format(
                chip=f'<a href="{escape(base_url + trust.page_url(f"chips/{c.chip_id}.md"))}">'
                     f"{escape(c.chip_name)}</a>",
                before=escape(_(c.before)), after=escape(_(c.after))) + "</li>"
            for c in items)
        fe.content(f"<ul>{rows}</ul>", type="html")
    return _bytes(fg)


def chip_feed(chip: Chip, changes: list[Change], base_url: str, fallback: dt.date) -> str:
    """One chip's China status changes, newest first."""
    newest = max((c.day for c in changes), default=chip.last_reviewed or fallback)
    fg = _feed(f"chip:{chip.id}", _("{chip}: China status changes").format(chip=chip.name),
               _("Days on which the licence answer for exporting the {chip} to China changes"
                 ).format(chip=chip.name),
               base_url, chip_feed_path(chip.id), f"chips/{chip.id}.md", newest)
    page = base_url + trust.page_url(f"chips/{chip.id}.md")
    for change in sorted(changes, key=lambda c: c.day, reverse=True):
        fe = fg.add_entry(order="append")
        fe.id(_uuid(f"chip:{chip.id}:{change.day.isoformat()}"))
        fe.title(_("From {day}: {after} for exports to China").format(
            day=i18n.day(change.day), after=_(change.after)))
        fe.link(href=page, rel="alternate", type="text/html")
        fe.updated(_moment(change.day))
        if change.controls:
            fe.summary(_("{change}. Controls in force that catch it or may: {controls}.").format(
                change=_change_line(change), controls=_(", ").join(change.controls)))
        else:
            fe.summary(_("{change}.").format(change=_change_line(change)))
    return _bytes(fg)
