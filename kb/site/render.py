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

from kb import bounds, metrics
from kb.bounds import Interval
from kb.knowledge import KnowledgeBase
from kb.models import Chip, Rule
from kb.models import countries as country_names
from kb.models.common import covered
from kb.models.figures import CONVENTION_LABELS, ByConvention, FigureRange
from kb.site import markup
from kb.site.forked import Pending, can_fork

TEMPLATES = Path(__file__).parent / "templates"

FIGURES: list[tuple[str, str, str]] = [
    ("released", "Released", ""),
    ("datacenter", "Designed or marketed for data centres", ""),
    ("foundry", "Foundry", ""),
    ("process", "Process", ""),
    ("die_area_mm2", "Die area (processing dies)", "mm²"),
    ("transistors_billion", "Transistors", "billion"),
    ("memory.type", "Memory type", ""),
    ("memory.capacity_gb", "Memory capacity", "GB"),
    ("memory.bandwidth_gb_s", "Memory bandwidth", "GB/s"),
    ("interconnect_gb_s", "Chip-to-chip interconnect (bidirectional)", "GB/s"),
    ("tdp_w", "Power (TDP)", "W"),
    ("stated_tpp", "TPP stated by vendor or regulator", ""),
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
        return "yes" if value else "no"
    if isinstance(value, Interval):
        return value.shown(unit)
    if isinstance(value, FigureRange):
        low, high = metrics.format_number(value.low), metrics.format_number(value.high)
        return f"{low} to {high} {unit}".strip()
    if isinstance(value, ByConvention):
        return "; ".join(f"{metrics.format_number(v)} {unit}".strip()
                         + f" ({CONVENTION_LABELS[k]})" for k, v in value.conventions.items())
    text = metrics.format_number(value) if isinstance(value, int | float) else str(value)
    return f"{text} {unit}".strip()


# ---------------------------------------------------------------------------------------------
# Criteria and destinations in words


def criterion_text(criterion: Any) -> str:
    """A criterion in plain words, e.g. "TPP ≥ 4,800, or (TPP ≥ 1,600 and ...)"."""
    ops = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "in": "in"}
    parts: list[str] = []
    for key, value in criterion.parts():
        if key in ("all", "any"):
            joiner = " and " if key == "all" else ", or "
            inner = [criterion_text(c) for c in value]
            text = joiner.join(f"({t})" if (" and " in t or ", or " in t) else t for t in inner)
            parts.append(text)
        elif key == "not_":
            if value.control is not None and len(value.parts()) == 1:
                parts.append(f"not specified by {_control_name(value.control)}")
            else:
                parts.append(f"not ({criterion_text(value)})")
        elif key == "control":
            parts.append(f"specified by {_control_name(value)}")
        else:
            metric = metrics.METRICS[key]
            if metric.type == "bool":
                parts.append(metric.label if value else f"not {metric.label}")
                continue
            for op, expected in value.items():
                shown = (", ".join(map(str, expected)) if isinstance(expected, list)
                         else fmt(expected))
                unit = f" {metric.unit}" if metric.unit else ""
                parts.append(f"{metric.label} {ops[op]} {shown}{unit}")
    return " and ".join(parts)


def _control_name(ref: Any) -> str:
    return ref.control if ref.rule is None else f"{ref.control} of {ref.rule}"


def thresholds(criterion: Any) -> list[tuple[str, float]]:
    """The lower bounds (metric, value) a criterion draws on TPP and performance density."""
    out: list[tuple[str, float]] = []
    for key, value in criterion.parts():
        if key in ("all", "any"):
            for c in value:
                out.extend(thresholds(c))
        elif key in ("tpp", "performance_density") and value.gte is not None:
            out.append((key, value.gte))
    return sorted(set(out))


def reach_text(base: KnowledgeBase, reach: Any) -> str:
    if reach is None:
        return "not stated"
    parts = []
    if reach.worldwide:
        parts.append("all destinations")
    if reach.countries:
        parts.append(", ".join(country_names.name(c) for c in reach.countries))
    if reach.groups:
        parts.append(", ".join(_group_label(base, g) for g in reach.groups))
    text = "; ".join(parts)
    excl = [country_names.name(c) for c in reach.except_countries] + [
        _group_label(base, g) for g in reach.except_groups]
    if excl:
        text += f", except {', '.join(excl)}"
    hq = [country_names.name(c) for c in reach.headquartered_in] + [
        _group_label(base, g) for g in reach.headquartered_in_groups]
    if hq:
        text += f"; and buyers headquartered in {', '.join(hq)}, wherever they are"
    return text


def _group_label(base: KnowledgeBase, gid: str) -> str:
    group = base.country_groups.get(gid)
    if group is None:
        return gid
    return f"Country Group {group.code}" if group.code else group.name


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
                                 ", ".join(c.fields), c.note))
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
        rows.append({"label": label, "value": fmt(value, unit),
                     "refs": cites.numbers(chip.citations, path)})
    return rows


def china_status(base: KnowledgeBase, chip: Chip, day: dt.date) -> str:
    """The licence answer for China, as `kb classify --to CN` gives it in sum (one of several
    controls catching the chip whichever value its figures allow counts as required)."""
    verdict = base.verdict(chip, on=day, destination="CN")
    if verdict.value is True:
        return "licence required"
    if verdict.value is None:
        return "undetermined"
    return NO_LICENCE


NO_LICENCE = "no licence required"


def rule_impact(base: KnowledgeBase, rule: Rule) -> dict[str, Any]:
    """What a rule did, computed from the data."""
    start = rule.start
    engine = base.engine
    chip_controls = [c for c in rule.controls
                     if c.criterion is not None and c.effect == "licence-requirement"]
    out: dict[str, Any] = {"controls": [], "newly": [], "near": [], "vendors": []}
    if start is None or not chip_controls:
        return out
    before = start - dt.timedelta(days=1)
    amended_ids = set(rule.amends) | set(rule.replaces)
    caught_all: set[str] = set()
    for control in chip_controls:
        caught, unknown = [], []
        for chip in base.chips.values():
            res = engine.evaluate(rule, control, chip)
            if res.value is True:
                caught.append(chip)
            elif res.value is None:
                unknown.append((chip, ", ".join(res.missing)))
        caught_all.update(c.id for c in caught)
        out["controls"].append({"control": control, "caught": caught, "unknown": unknown})
    for cid in sorted(caught_all):
        chip = base.chips[cid]
        earlier = [d for d in base.classify(chip, on=before)
                   if d.controlled and (not amended_ids or d.rule_id in amended_ids)]
        if not earlier and (chip.released_on is None or chip.released_on <= start):
            out["newly"].append(chip)
    for control in chip_controls:
        for metric, bound in thresholds(control.criterion):
            for chip in base.chips.values():
                value = metrics.METRICS[metric].get(chip)
                released = chip.released_on
                if (value is not None and 0.8 * bound <= value < bound and released
                        and released > start and chip.id not in caught_all):
                    out["near"].append({"chip": chip, "metric": metrics.METRICS[metric].label,
                                        "value": value, "bound": bound,
                                        "margin": (bound - value) / bound,
                                        "control": control.id})
    out["near"].sort(key=lambda n: (n["margin"], n["chip"].id))
    caught_by_vendor: dict[str, list[str]] = {}
    for cid in caught_all:
        caught_by_vendor.setdefault(base.chips[cid].vendor, []).append(cid)
    shares_by_subject: dict[str, list[Any]] = {}
    for m in base.market_shares.values():
        if m.subject in caught_by_vendor:
            shares_by_subject.setdefault(m.subject, []).append(m)
    for vid in sorted(caught_by_vendor):
        shares = sorted(shares_by_subject.get(vid, []), key=lambda m: (m.period_start, m.id))
        out["vendors"].append({"org": base.organizations[vid], "shares": shares,
                               "chips": sorted(caught_by_vendor[vid])})
    return out


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
                    "periods": f"{min(m.period_start for m in items)} to "
                               f"{max(m.period_end for m in items)}"})
    return out


def previous_versions(base: KnowledgeBase, rule: Rule) -> list[dict[str, Any]]:
    """For each control that supersedes another: the old and new criterion in words."""
    out = []
    for control in rule.controls:
        for ref in control.supersedes:
            old = next(c for c in base.rules[ref.rule].controls if c.id == ref.control)
            out.append({"control": control, "old_rule": base.rules[ref.rule], "old": old,
                        "before": criterion_text(old.criterion) if old.criterion else "",
                        "after": criterion_text(control.criterion) if control.criterion else "",
                        "before_reach": reach_text(base, old.destinations),
                        "after_reach": reach_text(base, control.destinations)})
    return out


# ---------------------------------------------------------------------------------------------
# Rendering


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
    )
    env.filters.update(
        h=markup.html_text, rich=markup.rich, link=markup.link, fmt=fmt,
        criterion=criterion_text, country=country_names.name,
        pct=lambda v: f"{v:.1%}",
    )
    env.globals.update(href=href, rel=rel, Markup=Markup, inf=bounds.INF)
    return env


def render_pages(base: KnowledgeBase, docs_src: Path, today: dt.date | None = None,
                 cache: Path | None = None, helpers: int = 0) -> dict[str, bytes]:
    """Every file of the site's pages, by relative path: the hand-written docs, then the
    generated pages (charts and downloads are made apart, see :mod:`kb.site.build`).

    With ``helpers``, that many forked processes render shares of the chip pages meanwhile
    (where the platform forks); the pages are the same either way."""
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(docs_src):
        dirs[:] = sorted(d for d in dirs if d != "generated" and not d.startswith("."))
        rel_folder = Path(folder).relative_to(docs_src)
        for name in names:
            if not name.startswith("."):
                files[(rel_folder / name).as_posix()] = Path(folder, name).read_bytes()
    contributing = docs_src.parent / "CONTRIBUTING.md"
    if contributing.is_file():  # one text for the repository and the site
        files["contributing.md"] = contributing.read_bytes()
    state = _State(base, environment(cache), as_of(base, today))
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
             org=base.organizations[vid],
             chips=sorted(chips_of.get(vid, []), key=lambda c: (c.released or "", c.id)),
             shares=shares_of.get(vid, []),
             chip_status=chip_status)
    page("market.md", "market.md.j2",
         shares=sorted(base.market_shares.values(),
                       key=lambda m: (m.region, m.period_start, m.estimator, m.id)),
         spread=share_spread(base, "nvidia"))
    page("downloads.md", "downloads.md.j2")
    claims = sorted(base.claims.values(), key=lambda c: (c.made, c.id))
    page("claims/index.md", "claims_index.md.j2", claims=claims)
    for claim in claims:
        page(f"claims/{claim.id}.md", "claim.md.j2", title=claim.statement, claim=claim,
             vendors=vendors)
    records_index = [
        {"title": c.name, "id": c.id, "kind": "chip", "url": href("index.md", f"chips/{c.id}.md")}
        for c in base.chips.values()
    ] + [
        {"title": r.short_title, "id": r.id, "kind": "rule",
         "url": href("index.md", f"rules/{r.id}.md")} for r in base.rules.values()
    ] + [
        {"title": base.organizations[v].name, "id": v, "kind": "vendor",
         "url": href("index.md", f"vendors/{v}.md")} for v in vendors
    ] + [
        {"title": c.statement, "id": c.id, "kind": "claim",
         "url": href("index.md", f"claims/{c.id}.md")} for c in base.claims.values()
    ]
    pages["assets/records.js"] = (
        "window.KB_RECORDS = " + json.dumps(records_index, ensure_ascii=True, sort_keys=True,
                                            separators=(",", ":")) + ";\n")
    for _part, helper in shared:
        pages.update(helper.result())
    files.update((rel, text.encode("utf-8")) for rel, text in sorted(pages.items()))
    return files


class _State:
    """What every page may need, worked out once (quadratic at thousands of chips if each page
    rescanned the records), and the pages rendered so far."""

    def __init__(self, base: KnowledgeBase, env: jinja2.Environment, day: dt.date) -> None:
        self.base, self.env, self.day = base, env, day
        self.pages: dict[str, str] = {}
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
        self.cn_status = {cid: china_status(base, c, day)
                          if self.chip_status[cid] != "not controlled" else NO_LICENCE
                          for cid, c in base.chips.items()}

    def page(self, path: str, template: str, title: str | None = None, **ctx: Any) -> None:
        text = self.env.get_template(template).render(page=path, base=self.base,
                                                      as_of=self.day, **ctx)
        if title is not None:
            # Record names become the HTML <title> too; give mkdocs an escaped one.
            text = f"---\ntitle: {json.dumps(str(markup.html_text(title)))}\n---\n\n{text}"
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
            self.page(f"chips/{chip.id}.md", "chip.md.j2", title=chip.name, chip=chip,
                      cites=cites, claims=sorted(self.claims_on.get(chip.id, [])),
                      rows=chip_rows(base, chip, cites), timeline=timeline,
                      terms=bounds.operand_intervals(chip),
                      operand=bounds.setting_operand(chip),
                      bits={op: " or ".join(map(str, metrics.BIT_LENGTHS.get(op, (b,))))
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
               ) -> list[tuple[list[Chip], Pending[dict[str, str]]]]:
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


def _render_share(state: _State, chips: list[Chip]) -> dict[str, str]:
    state.pages = {}
    return state.chip_pages(chips)
