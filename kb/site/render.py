"""Render the knowledge base into Markdown pages for mkdocs (plain files, no mkdocs hooks).

Every page is a pure function of the KnowledgeBase: same records, same bytes. Pages that list many
records use HTML tables built here, escaped; record text goes through :mod:`kb.site.markup`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kb import bounds, i18n, metrics, translations, words
from kb.bounds import Interval
from kb.i18n import N_, _
from kb.knowledge import KnowledgeBase
from kb.models import Chip, Rule
from kb.models import countries as country_names
from kb.models.common import covered
from kb.models.figures import CONVENTION_LABELS, ByConvention, FigureRange
from kb.site import charts, feeds, finder, markup, shipping, trust
from kb.site.forked import Pending, can_fork
from kb.site.timeline import china_timeline

TEMPLATES = Path(__file__).parent / "templates"

# (field, label said with _() where shown, unit)
FIGURES: list[tuple[str, str, str]] = [
    ("released", N_("Released"), ""),
    ("datacenter", N_("Designed or marketed for data centres"), ""),
    ("foundry", N_("Foundry"), ""),
    ("process", N_("Process"), ""),
    ("die_area_mm2", N_("Die area (processing dies)"), "mm²"),
    ("transistors_billion", N_("Transistors"), "billion"),
    ("memory.type", N_("Memory type"), ""),
    ("memory.capacity_gb", N_("Memory capacity"), "GB"),
    ("memory.bandwidth_gb_s", N_("Memory bandwidth"), "GB/s"),
    ("interconnect_gb_s", N_("Chip-to-chip interconnect (bidirectional)"), "GB/s"),
    ("tdp_w", N_("Power (TDP)"), "W"),
    ("stated_tpp", N_("TPP stated by vendor or regulator"), ""),
]


def as_of(base: KnowledgeBase, today: dt.date | None = None) -> dt.date:
    """The date the site's "today" views use: the last recorded change on or before today.

    Classifications only change on recorded dates, so the answer equals today's while depending
    on the records alone (same records, same pages, whatever day the build runs).
    """
    today = today or dt.date.today()
    days: set[dt.date] = set(base.change_dates())
    for rule in base.rules.values():
        days.update(d for d in rule.dates.model_dump().values() if isinstance(d, dt.date))
    for group in base.country_groups.values():
        for m in group.members:
            days.update(d for d in (m.from_, m.to) if d)
            if m.to:
                days.add(m.to + dt.timedelta(days=1))
    past = [d for d in days if d <= today]
    return max(past) if past else today


def _relative(from_page: str, target: str) -> str:
    # posixpath.relpath, for the shallow docs-relative paths pages use, at a fraction of the cost
    # (it runs for every link on every page).
    src = from_page.split("/")[:-1]
    dst = target.split("/")
    common = 0
    while common < len(src) and common < len(dst) - 1 and src[common] == dst[common]:
        common += 1
    return "/".join([".."] * (len(src) - common) + dst[common:])


def href(from_page: str, to_page: str) -> str:
    """Relative URL between two pages given as docs-relative .md paths (use_directory_urls off)."""
    target = to_page[:-3] + ".html" if to_page.endswith(".md") else to_page
    return _relative(from_page, target)


def rel(from_page: str, to_page: str) -> str:
    """Relative .md path for a Markdown link (mkdocs turns it into a URL and checks it)."""
    return _relative(from_page, to_page)


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Interval):
        return value.shown(unit)
    if isinstance(value, FigureRange):
        low, high = metrics.format_number(value.low), metrics.format_number(value.high)
        return _("{low} to {high} {unit}").format(low=low, high=high, unit=unit).strip()
    if isinstance(value, ByConvention):
        return _("; ").join(
            _("{value} ({convention})").format(
                value=f"{metrics.format_number(v)} {unit}".strip(),
                convention=_(CONVENTION_LABELS[k]))
            for k, v in value.conventions.items())
    text = metrics.format_number(value) if isinstance(value, int | float) else str(value)
    return f"{text} {unit}".strip()


# ---------------------------------------------------------------------------------------------
# Criteria and destinations in words


def _listed(items: Any) -> str:
    """Names one after another, as a list of destinations gives them ("A, B, C")."""
    return _(", ").join(items)


def reach_text(base: KnowledgeBase, reach: Any) -> str:
    if reach is None:
        return _("not stated")
    parts = []
    if reach.worldwide:
        parts.append(_("all destinations"))
    if reach.countries:
        parts.append(_listed(country_names.name(c) for c in reach.countries))
    if reach.groups:
        parts.append(_listed(_group_label(base, g) for g in reach.groups))
    text = _("; ").join(parts)
    excl = [country_names.name(c) for c in reach.except_countries] + [
        _group_label(base, g) for g in reach.except_groups]
    if excl:
        text = _("{destinations}, except {excluded}").format(destinations=text,
                                                             excluded=_listed(excl))
    hq = [country_names.name(c) for c in reach.headquartered_in] + [
        _group_label(base, g) for g in reach.headquartered_in_groups]
    if hq:
        text = _("{destinations}; and buyers headquartered in {places}, wherever they are"
                 ).format(destinations=text, places=_listed(hq))
    return text


def _group_label(base: KnowledgeBase, gid: str) -> str:
    group = base.country_groups.get(gid)
    if group is None:
        return gid
    return _("Country Group {code}").format(code=group.code) if group.code else group.name


# ---------------------------------------------------------------------------------------------
# Page data


@dataclass
class Cited:
    """Sources of one record, numbered in order of first use."""

    sources: list[Any] = field(default_factory=list)
    notes: list[tuple[int, str, str]] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)
    """Source id -> the evidence tier(s) the record gives it."""

    def numbers(self, citations: list[Any], path: str) -> list[int]:
        out = []
        for c in citations:
            if covered(path, [c]):
                ids = [s.id for s in self.sources]
                out.append(ids.index(c.source) + 1)
        return sorted(set(out))


def cited(base: KnowledgeBase, citations: list[Any]) -> Cited:
    result = Cited()
    for c in citations:
        src = base.sources[c.source]
        if src not in result.sources:
            result.sources.append(src)
    for c in citations:
        tiers = result.tiers.get(c.source, "")
        if c.tier not in tiers.split(", "):
            result.tiers[c.source] = ", ".join(t for t in (tiers, c.tier) if t)
    for c in citations:
        if c.note:
            result.notes.append(([s.id for s in result.sources].index(c.source) + 1,
                                 words.fields(c.fields), c.note))
    return result


def figure_value(chip: Chip, path: str) -> Any:
    value: Any = chip
    for part in path.split("."):
        value = getattr(value, part, None) if value is not None else None
    return value


def chip_rows(base: KnowledgeBase, chip: Chip, cites: Cited) -> list[dict[str, Any]]:
    rows = []
    for path, label, unit in FIGURES:
        value = figure_value(chip, path)
        if value is None:
            continue
        if path == "foundry" and value in base.organizations:
            value = base.organizations[value].name
        if path == "released":
            value = i18n.day(value)
        if unit == "billion" and i18n.language() == "ja":
            # Japanese counts in 億 (10⁸), not in billions: 80 billion is 800億.
            value, unit = f"{metrics.format_number(round(value * 10, 6))}億", ""
        rows.append({"label": _(label), "value": fmt(value, unit),
                     "refs": cites.numbers(chip.citations, path)})
    return rows


def china_status(base: KnowledgeBase, chip: Chip, day: dt.date) -> str:
    """The licence answer for China, as `kb classify --to CN` gives it in sum (one of several
    controls catching the chip whichever value its figures allow counts as required).

    The answer is the English words in every language: pages compare it and make CSS classes
    of it; a reader is shown ``_(answer)``."""
    verdict = base.verdict(chip, on=day, destination="CN")
    if verdict.value is True:
        return LICENCE_REQUIRED
    if verdict.value is None:
        return UNDETERMINED
    return NO_LICENCE


LICENCE_REQUIRED = N_("licence required")
UNDETERMINED = N_("undetermined")
NO_LICENCE = N_("no licence required")


# Words for the record fields an undetermined answer turns on, where no one figure decides alone.
_FIELD_WORDS = {
    "dense_tops": N_("the dense TOPS figures"), "die_area_mm2": N_("the die area"),
    "interconnect_gb_s": N_("the interconnect rate"),
    "memory.bandwidth_gb_s": N_("the memory bandwidth"),
    "datacenter": N_("whether it is designed or marketed for data centres"),
}
NEAR_SHARE = 0.10
"""How far below a line (as a share of the line) a chip counts as just below it."""


def _open_words(res: Any) -> str:
    """What would decide an undetermined answer, in words ("caught if the die area is at most
    498.92 mm²"; else the figures it turns on)."""
    conditions = list(dict.fromkeys(d.condition for d in res.deciders if d.condition))
    if conditions:
        return _("caught if {conditions}").format(
            conditions=words.fold(N_("{first} or if {second}"), conditions))
    fields = list(dict.fromkeys(_(_FIELD_WORDS[m]) if m in _FIELD_WORDS else m.replace("_", " ")
                                for m in res.missing))
    if not fields:
        return _("undetermined")
    # Not words.both: the fields a figure is missing from are listed, not conditions joined.
    text = fields[0]
    for name in fields[1:]:
        text = _("{fields} and {field}").format(fields=text, field=name)
    return _("depends on {fields}").format(fields=text)


def _lower_lines(criterion: Any) -> set[tuple[str, float]]:
    """The lower lines (metric, value) a criterion draws on numeric metrics; lines inside a
    ``not`` or another control's criterion are not this control's to reach."""
    out: set[tuple[str, float]] = set()
    for key, value in criterion.parts():
        if key in ("all", "any"):
            for c in value:
                out |= _lower_lines(c)
        elif key in metrics.METRICS and metrics.METRICS[key].type == "number":
            for op, expected in value.items():
                if op in ("gte", "gt"):
                    out.add((key, float(expected)))
    return out


def _below(chip: Chip, metric: str, bound: float) -> dict[str, Any] | None:
    """How far a chip's figure sits below a line, or None where it is not wholly below."""
    span = chip.spans[metric]
    if span.high >= bound:  # also where the figure is unknown (no upper end)
        return None
    m = metrics.METRICS[metric]
    unit = f" {m.unit}" if m.unit else ""
    gap = bound - span.high
    text = _("{metric} {value}, {gap}{unit} below the {line}{unit} line").format(
        metric=_(m.label), value=span.shown(m.unit), gap=metrics.format_number(round(gap, 2)),
        unit=unit, line=metrics.format_number(bound))
    return {"metric": _(m.label), "text": text, "share": gap / bound}


def rule_impact(base: KnowledgeBase, rule: Rule) -> dict[str, Any]:
    """What a rule did, computed from the data: the chips its controls caught while they
    applied, those it newly controlled, and compliance variants released just below its lines.

    A chip counts only if it was released (``released_on`` known and on or before a control's
    last day) while the control applied: the engine's spans, with earlier dates for named
    chips. Chips without a release date are listed apart, since nothing says they existed then.
    """
    engine = base.engine
    pairs = [(rule, c) for c in rule.controls
             if c.criterion is not None and c.effect == "licence-requirement"]
    out: dict[str, Any] = {"controls": [], "jointly": [], "newly": [], "was_undetermined": [],
                           "near": [], "near_undated": [], "vendors": [], "first": None,
                           "last": None, "near_share": NEAR_SHARE, "earlier": []}
    if rule.start is None or not pairs:
        return out
    spans = [engine.spans[(rule.id, c.id)] for _, c in pairs]
    if any(start is None for start, _ in spans):
        return out
    first = min(start for start, _ in spans if start is not None)
    ends = [end for _, end in spans]
    last = None if any(end is None for end in ends) else max(e for e in ends if e is not None)
    out["first"], out["last"] = first, last
    # Controls that bound named chips before the rule's own first day (NVIDIA's A800 and H800
    # from 2023-10-23): the reader needs those days to follow the newly controlled list.
    earlier: dict[dt.date, list[Chip]] = {}
    for chip in base.chips.values():
        day = first_day(base, rule, chip)
        if day is not None and day < first:
            earlier.setdefault(day, []).append(chip)
    out["earlier"] = sorted(earlier.items())

    def in_time(chip: Chip, end: dt.date | None) -> bool:
        return chip.released_on is not None and (end is None or chip.released_on <= end)

    caught_any: set[str] = set()  # by the lines, whatever the release date
    dated: dict[str, Chip] = {}   # caught by a control, released while it applied
    unknown_under: dict[str, list[tuple[Rule, Any]]] = {}
    for pair in pairs:
        control = pair[1]
        _, end = engine.spans[(rule.id, control.id)]
        item: dict[str, Any] = {"control": control, "end": end, "caught": [], "unknown": [],
                                "undated_caught": [], "undated_unknown": [], "later": 0}
        for chip in base.chips.values():
            res = engine.evaluate(rule, control, chip)
            if res.value is False:
                continue
            if res.value is True:
                caught_any.add(chip.id)
            if chip.released_on is None:
                item["undated_caught" if res.value else "undated_unknown"].append(chip)
            elif not in_time(chip, end):
                item["later"] += 1
            elif res.value is True:
                item["caught"].append(chip)
                dated[chip.id] = chip
            else:
                item["unknown"].append((chip, _open_words(res)))
                unknown_under.setdefault(chip.id, []).append(pair)
        out["controls"].append(item)
    # Undetermined under each of several controls, yet caught by one of them whichever value
    # the figures allow (3A090.a above the density line, 3A090.b below it): caught.
    for cid, opens in sorted(unknown_under.items()):
        if cid not in dated and len(opens) > 1 and \
                engine._union(opens, base.chips[cid])[0] is True:
            out["jointly"].append(base.chips[cid])
            dated[cid] = base.chips[cid]
    for cid in sorted(dated):
        chip = dated[cid]
        found = newly_controlled(base, rule, chip)
        if found is not None:
            out["newly" if found else "was_undetermined"].append(chip)
    out["near"], out["near_undated"] = _just_below(base, pairs, first, last, caught_any)
    caught_by_vendor: dict[str, list[str]] = {}
    for cid in sorted(dated):
        caught_by_vendor.setdefault(base.chips[cid].vendor, []).append(cid)
    shares_by_subject: dict[str, list[Any]] = {}
    for m in base.market_shares.values():
        if m.subject in caught_by_vendor:
            shares_by_subject.setdefault(m.subject, []).append(m)
    for vid in sorted(caught_by_vendor):
        shares = sorted(shares_by_subject.get(vid, []), key=lambda m: (m.period_start, m.id))
        out["vendors"].append({"org": base.organizations[vid], "shares": shares,
                               "chips": caught_by_vendor[vid]})
    return out


def first_day(base: KnowledgeBase, rule: Rule, chip: Chip) -> dt.date | None:
    """The first day any of the rule's chip controls applies to the chip (earlier for chips it
    names), or None for a rule without dated chip controls."""
    days = [base.engine.span_for(rule, c, chip)[0] for c in rule.controls
            if c.criterion is not None and c.effect == "licence-requirement"]
    return min((d for d in days if d is not None), default=None)


def newly_controlled(base: KnowledgeBase, rule: Rule, chip: Chip) -> bool | None:
    """Whether the rule newly controlled a chip: controlled under it on its first day for the
    chip (or on the release, if later), and not controlled the day before the rule began for
    it (True), undetermined then (False), or neither (None).

    The day before is the rule's, not the release's: the engine answers by figures, so the day
    before a release the same rule already covers the chip."""
    start = first_day(base, rule, chip)
    if start is None or chip.released_on is None:
        return None
    day = max(start, chip.released_on)
    now = base.verdict(chip, on=day)
    if now.value is not True or not any(rid == rule.id for rid, _ in now.by):
        return None
    before = base.verdict(chip, on=start - dt.timedelta(days=1)).value
    return True if before is False else False if before is None else None


def _just_below(base: KnowledgeBase, pairs: list[tuple[Rule, Any]], first: dt.date,
                last: dt.date | None, caught_any: set[str]
                ) -> tuple[list[dict[str, Any]], list[Chip]]:
    """Chips released while the rule applied that its controls leave out, just below its lines:
    variants of a chip it catches, or any chip within NEAR_SHARE below a line. Once per chip,
    with every line it is just below (the nearest only, for a variant no line is near)."""
    lines = sorted(set().union(*(_lower_lines(c.criterion) for _, c in pairs)))
    near: list[dict[str, Any]] = []
    undated: list[Chip] = []
    for chip in base.chips.values():
        if chip.id in caught_any or any(
                base.engine.evaluate(r, c, chip).value is not False for r, c in pairs):
            continue  # caught or undetermined: not below the lines
        gaps = [g for g in (_below(chip, m, b) for m, b in lines) if g is not None]
        close = [g for g in gaps if g["share"] <= NEAR_SHARE]
        parent = base.chips.get(chip.variant_of or "")
        variant = parent is not None and parent.id in caught_any
        if not close and not (variant and gaps):
            continue
        shown = close or [min(gaps, key=lambda g: g["share"])]
        released = chip.released_on
        if released is None:
            if variant:
                undated.append(chip)
            continue
        if released <= first or (last is not None and released > last):
            continue
        near.append({"chip": chip, "parent": parent if variant else None,
                     "lines": sorted(shown, key=lambda g: g["share"]),
                     "share": min(g["share"] for g in shown)})
    near.sort(key=lambda n: (n["share"], n["chip"].id))
    return near, undated


def share_spread(base: KnowledgeBase, subject: str) -> list[dict[str, Any]]:
    """A subject's estimates grouped by what they measure: region, scope and metric."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for m in base.market_shares.values():
        if m.subject == subject:
            groups.setdefault((m.region, m.scope, m.metric), []).append(m)
    out = []
    for (region, scope, metric), items in sorted(groups.items()):
        values = [v for m in items for v in (m.value_pct, m.value_pct_low, m.value_pct_high)
                  if v is not None]
        out.append({"region": region, "scope": scope, "metric": metric, "count": len(items),
                    "low": min(values), "high": max(values),
                    "estimators": sorted({base.organizations[m.estimator].name for m in items}),
                    "periods": _("{start} to {end}").format(
                        start=i18n.day(min(m.period_start for m in items)),
                        end=i18n.day(max(m.period_end for m in items)))})
    return out


def previous_versions(base: KnowledgeBase, rule: Rule) -> list[dict[str, Any]]:
    """For each control that supersedes another: the old and new criterion in words."""
    names = words.names_from(base)
    out = []
    for control in rule.controls:
        for ref in control.supersedes:
            old = next(c for c in base.rules[ref.rule].controls if c.id == ref.control)
            out.append({"control": control, "old_rule": base.rules[ref.rule], "old": old,
                        "before": words.criterion(old.criterion, names) if old.criterion else "",
                        "after": (words.criterion(control.criterion, names)
                                  if control.criterion else ""),
                        "before_reach": reach_text(base, old.destinations),
                        "after_reach": reach_text(base, control.destinations)})
    return out


# ---------------------------------------------------------------------------------------------
# Rendering


@jinja2.pass_context
def _criterion_words(ctx: Any, criterion: Any) -> str:
    """A criterion as a sentence, naming chips, vendors and rules by their names."""
    base = ctx["base"]
    names = _NAMES.get(id(base))
    if names is None or names[0] is not base:
        names = _NAMES[id(base)] = (base, words.names_from(base))
    return words.criterion(criterion, names[1])


_NAMES: dict[int, tuple[Any, Any]] = {}


@jinja2.pass_context
def _group_words(ctx: Any, gid: str) -> str:
    group = ctx["base"].country_groups.get(gid)
    return words.group(group) if group is not None else gid


def environment(cache: Path | None = None) -> jinja2.Environment:
    """The page templates' environment; ``cache`` keeps compiled templates between builds."""
    bytecode = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        bytecode = jinja2.FileSystemBytecodeCache(str(cache))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        bytecode_cache=bytecode,
        undefined=jinja2.StrictUndefined,
        finalize=markup.finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown output: escaping is done by finalize, see kb.site.markup
        extensions=["jinja2.ext.i18n"],
    )
    # The templates' words through the catalogs (kb.i18n), as trusted text whose placeholders
    # are escaped like any {{ value }} (kb.site.markup.Said).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        markup.gettext, markup.ngettext, newstyle=True)
    # {% trans %} blocks are looked up with their whitespace collapsed, as kb.catalogs extracts
    # them.
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(
        h=markup.html_text, rich=markup.rich, link=markup.link, fmt=fmt,
        criterion=_criterion_words, country=country_names.name,
        pct=lambda v: f"{v:.1%}",
        field=words.field, fields=words.fields, policy=words.policy,
        instrument=words.instrument, kind=words.kind, share=words.share_value,
        group=_group_words, scope=words.scope, metric=words.measure,
        day=i18n.day, said=words.said, why=bounds.why,
    )
    env.globals.update(href=href, rel=rel, Markup=Markup, inf=bounds.INF)
    env.globals["picture"] = charts.picture  # a chart's wide and narrow files
    env.globals["downloads"] = trust.downloads_path  # made once, at the site's root
    return env


TRANSLATED_DOCS = ("ja",)  # docs/<language>/: hand-written pages of another edition
# "Are these numbers right?": the claims checking the numbers a Japanese retelling of the essay
# told its readers (numbers.md.j2).
RETOLD = "ja-retelling-"
RETELLING = "note-kyonoryosan-deepseek-retelling"
ESSAY = "darioamodei-on-deepseek-and-export-controls"


def translated_docs(folder: Path, english: dict[str, bytes]) -> dict[str, bytes]:
    """The hand-written pages of another edition: each English page's twin from ``folder``
    (docs/<language>/), or, where there is none yet, the English page with a note saying so."""
    found: dict[str, bytes] = {}
    for rel, data in english.items():
        if not rel.endswith(".md"):
            continue
        twin = folder / rel
        if twin.is_file():
            found[rel] = twin.read_bytes()
            continue
        text = data.decode("utf-8")
        head = ""
        if text.startswith("---\n") and "\n---\n" in text[4:]:
            end = text.index("\n---\n", 4) + 5
            head, text = text[:end], text[end:]
        note = _("This page has not been translated yet; it is shown in English.")
        found[rel] = f'{head}\n!!! note ""\n    {note}\n\n{text}'.encode()
    return found


def render_pages(base: KnowledgeBase, docs_src: Path, today: dt.date | None = None,
                 cache: Path | None = None, helpers: int = 0) -> dict[str, bytes]:
    """Every file of the site's pages, by relative path: the hand-written docs, then the
    generated pages (charts and downloads are made apart, see :mod:`kb.site.build`).

    With ``helpers``, that many forked processes render shares of the chip pages meanwhile
    (where the platform forks); the pages are the same either way."""
    lang = i18n.language()
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(docs_src):
        rel_folder = Path(folder).relative_to(docs_src)
        # docs/ja/ holds the Japanese edition's hand-written pages, never English ones.
        dirs[:] = sorted(d for d in dirs if d != "generated" and not d.startswith(".")
                         and not (rel_folder == Path(".") and d in TRANSLATED_DOCS))
        for name in names:
            if not name.startswith("."):
                files[(rel_folder / name).as_posix()] = Path(folder, name).read_bytes()
    contributing = docs_src.parent / "CONTRIBUTING.md"
    if contributing.is_file():  # one text for the repository and the site
        files["contributing.md"] = contributing.read_bytes()
    if lang != "en":
        files.update(translated_docs(docs_src / lang, files))
        # The other edition's state, made under this language: its engine's reasons and the
        # records' translated text (kb.translations.edition).
        base = translations.edition(base, lang)
    state = _State(base, environment(cache), as_of(base, today))
    files["assets/messages.js"] = i18n.script_catalog(lang).encode()
    files["assets/ship-data.js"] = shipping.script(base, state.ship_classes).encode()
    pages = state.pages
    page = state.page
    chip_status = state.chip_status
    shares_of = state.shares_of
    chips_of = state.chips_of
    cn_status = state.cn_status
    chips = list(base.chips.values())
    shared = _share_out(state, chips, helpers)
    latest = sorted(base.rules.values(), key=lambda r: (r.start or dt.date.min, r.id),
                    reverse=True)
    page("index.md", "home.md.j2", latest=latest[:8], chip_status=chip_status,
         cn_status=cn_status)
    page("chips/index.md", "chips_index.md.j2", cn_status=cn_status)
    state.chip_pages(chips[:len(chips) - sum(len(part) for part, _f in shared)])
    page("rules/index.md", "rules_index.md.j2",
         rules=sorted(base.rules.values(), key=lambda r: (r.start or dt.date.min, r.id)))
    for rule in base.rules.values():
        page(f"rules/{rule.id}.md", "rule.md.j2", title=rule.short_title, rule=rule,
             search=finder.search_meta("rule"),
             description=trust.rule_description(rule.short_title, rule.dates, rule.summary),
             cites=cited(base, rule.citations),
             impact=rule_impact(base, rule), changes=previous_versions(base, rule),
             reach=lambda r: reach_text(base, r),
             successors=sorted(r.id for r in base.rules.values()
                               if rule.id in r.amends + r.replaces + r.ends))
    vendors = sorted({c.vendor for c in base.chips.values()}
                     | {m.subject for m in base.market_shares.values()})
    page("vendors/index.md", "vendors_index.md.j2", vendors=vendors,
         chip_count={v: len(c) for v, c in chips_of.items()},
         share_count={v: len(shares_of.get(v, [])) for v in vendors})
    for vid in vendors:
        page(f"vendors/{vid}.md", "vendor.md.j2", title=base.organizations[vid].name,
             search=finder.search_meta("vendor", base.organizations[vid].aliases),
             description=trust.vendor_description(
                 base.organizations[vid].name, base.organizations[vid].kind,
                 len(chips_of.get(vid, [])), len(shares_of.get(vid, []))),
             org=base.organizations[vid],
             chips=sorted(chips_of.get(vid, []), key=lambda c: (c.released or "", c.id)),
             shares=shares_of.get(vid, []),
             cn_status=cn_status)
    page("market.md", "market.md.j2",
         shares=sorted(base.market_shares.values(),
                       key=lambda m: (m.region, m.period_start, m.estimator, m.id)),
         spread=share_spread(base, "nvidia"))
    page("downloads.md", "downloads.md.j2")
    page("timeline.md", "timeline.md.j2", **china_timeline(base))
    # A claim whose date could not be found comes last.
    claims = sorted(base.claims.values(), key=lambda c: (c.made is None, c.made or "", c.id))
    page("claims/index.md", "claims_index.md.j2", claims=claims)
    page("numbers.md", "numbers.md.j2",
         claims=[c for c in claims if c.id.startswith(RETOLD)],
         retelling=base.sources.get(RETELLING), essay=base.sources.get(ESSAY))
    for claim in claims:
        page(f"claims/{claim.id}.md", "claim.md.j2", title=claim.statement, claim=claim,
             description=trust.claim_description(claim.statement, claim.claimant,
                                                 claim.made, claim.verdict),
             vendors=vendors)
    glossary = files.get(finder.GLOSSARY)
    pages["assets/records.js"] = finder.records_script(
        base, vendors, glossary.decode("utf-8") if glossary is not None else None)
    for _part, helper in shared:
        part_pages, part_changes = helper.result()
        pages.update(part_pages)
        state.changes.update(part_changes)
    pages[feeds.RULES] = feeds.rules_feed(base, state.site_url, state.day)
    pages[feeds.DETERMINATIONS] = feeds.determinations_feed(
        [c for cid in base.chips for c in state.changes[cid]], state.site_url, state.day)
    files.update((rel, text.encode("utf-8")) for rel, text in sorted(pages.items()))
    return files


class _State:
    """What every page may need, worked out once (quadratic at thousands of chips if each page
    rescanned the records), and the pages rendered so far."""

    def __init__(self, base: KnowledgeBase, env: jinja2.Environment, day: dt.date) -> None:
        self.base, self.env, self.day = base, env, day
        self.pages: dict[str, str] = {}
        self.site_url = trust.edition_url()  # this edition's address (ja/ below the English)
        self.changes: dict[str, list[feeds.Change]] = {}
        """Each chip's China status changes, for the feeds (kb.site.feeds)."""
        self.chip_status = base.statuses(on=day)
        self.variants_of: dict[str, list[str]] = {}
        self.shares_of: dict[str, list[Any]] = {}
        self.claims_on: dict[str, list[str]] = {}
        self.chips_of: dict[str, list[Chip]] = {}
        for c in base.chips.values():
            self.chips_of.setdefault(c.vendor, []).append(c)
            if c.variant_of:
                self.variants_of.setdefault(c.variant_of, []).append(c.id)
        for m in sorted(base.market_shares.values(), key=lambda m: (m.period_start, m.id)):
            self.shares_of.setdefault(m.subject, []).append(m)
        for claim in base.claims.values():
            for cid in claim.related.chips:
                self.claims_on.setdefault(cid, []).append(claim.id)
        # A chip no control in force catches needs no licence anywhere: only the others are
        # looked up one by one (most of the cost of this state at thousands of chips).
        # "Can I ship it?": one country standing for each class of destinations, per day.
        self.ship_classes = shipping.classes(base)
        self.ship_stand_ins = self.ship_classes[2]
        self.ship_reaches = shipping.reach_table(base, self.ship_stand_ins)
        self.prefix_depths = finder.prefix_depths(base)
        self.cn_status = {cid: china_status(base, c, day)
                          if self.chip_status[cid] != "not controlled" else NO_LICENCE
                          for cid, c in base.chips.items()}

    def page(self, path: str, template: str, title: str | None = None,
             search: dict[str, Any] | None = None, description: str | None = None,
             **ctx: Any) -> None:
        # ``description``: the page's meta and og:description; record pages also get their
        # "Cite this record" block (kb.site.trust), None elsewhere.
        cite = trust.citation(path, ctx.get("chip") or ctx.get("rule") or ctx.get("org")
                              or ctx.get("claim"), title or "", self.site_url)
        text = self.env.get_template(template).render(page=path, base=self.base,
                                                      as_of=self.day, cite=cite, **ctx)
        if title is not None:
            # Record names become the HTML <title> too; give mkdocs an escaped one.
            # ``search``: the search index's boost and tags for this page (kb.site.finder).
            meta = "".join(f"{key}: {json.dumps(value, sort_keys=True)}\n"
                           for key, value in (search or {}).items())
            if description is not None:
                meta += f"description: {json.dumps(str(markup.html_text(description)))}\n"
            text = (f"---\ntitle: {json.dumps(str(markup.html_text(title)))}\n{meta}---\n\n"
                    f"{text}")
        self.pages[path] = text

    def chip_pages(self, chips: list[Chip]) -> dict[str, str]:
        base = self.base
        for chip in chips:
            cites = cited(base, chip.citations)
            timeline = []
            for entry in base.timeline(chip):
                dets = [d for d in base.classify(chip, on=entry.date)
                        if d.controlled is not False]
                timeline.append({"entry": entry, "dets": dets})
            changes = feeds.china_changes(
                chip, [(e.date, [f"{base.rules[r].short_title} {c}"
                                 for r, c in e.controlled_by + e.undetermined])
                       for e in (item["entry"] for item in timeline)],
                lambda day, chip=chip: china_status(base, chip, day), self.day)
            self.changes[chip.id] = changes
            self.pages[feeds.chip_feed_path(chip.id)] = feeds.chip_feed(
                chip, changes, self.site_url, self.day)
            ship = json.dumps(shipping.chip_data(base, chip, self.ship_stand_ins,
                                                 self.ship_reaches),
                              sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            self.page(f"chips/{chip.id}.md", "chip.md.j2", title=chip.name, chip=chip,
                      # In a script element: "<" escaped so no text can close it.
                      ship_json=Markup(ship.replace("<", "\\u003c")),
                      search=finder.search_meta("chip", chip.aliases,
                                                self.prefix_depths.get(chip.id, 0)),
                      description=trust.chip_description(
                          chip.name, base.organizations[chip.vendor].name,
                          self.cn_status[chip.id], fmt(chip.spans["tpp"]), self.day),
                      cites=cites, claims=sorted(self.claims_on.get(chip.id, [])),
                      rows=chip_rows(base, chip, cites), timeline=timeline,
                      history=base.history(chip, "CN", today=self.day),
                      terms=bounds.operand_intervals(chip),
                      operand=bounds.setting_operand(chip),
                      bits={op: words.alternatives(map(str, metrics.BIT_LENGTHS.get(op, (b,))))
                            for op, b in metrics.BIT_LENGTH.items()},
                      variants=sorted(self.variants_of.get(chip.id, [])),
                      shares=self.shares_of.get(chip.vendor, []),
                      today=base.classify(chip, on=self.day), cn=self.cn_status[chip.id],
                      verdict=base.verdict(chip, on=self.day, destination="CN"))
        return self.pages


# Below this many chips a helper costs more (fork, pickled pages) than it saves.
MIN_CHIPS_TO_SHARE = 400


def render_helpers(chips: int, helpers: int) -> int:
    """How many of ``helpers`` forked processes are worth starting on ``chips`` chip pages."""
    return helpers if helpers > 0 and chips >= MIN_CHIPS_TO_SHARE and can_fork() else 0


def _share_out(state: _State, chips: list[Chip], helpers: int
               ) -> list[tuple[list[Chip], Pending[tuple[dict[str, str],
                                                         dict[str, list[feeds.Change]]]]]]:
    """Start ``helpers`` forked processes on the last shares of ``chips``; returns each share
    with its helper (none where forking is unavailable or not worth it)."""
    helpers = render_helpers(len(chips), helpers)
    if not helpers:
        return []
    # This process also renders every other page: it takes a smaller share of the chips.
    size = int(len(chips) / (helpers + 2 / 3))
    shares = [chips[len(chips) - size * (i + 1):len(chips) - size * i] for i in range(helpers)]
    # A forked helper inherits the state (the whole base) instead of receiving it pickled.
    return [(share, Pending(_render_share, state, share)) for share in shares]


def _render_share(state: _State, chips: list[Chip]
                  ) -> tuple[dict[str, str], dict[str, list[feeds.Change]]]:
    state.pages, state.changes = {}, {}
    return state.chip_pages(chips), state.changes
