"""Static SVG charts made at build time (matplotlib, no network), the same bytes every build.

Each chart comes in two sizes: a wide one whose user unit is one CSS pixel in a 688 px content
column (text 12.5 px), and a narrow one for phones (350 units for a 358 px column, text 12 px).
Text is a neutral near-black on a transparent background; the dark theme shows the same file
through ``filter: invert(1) hue-rotate(180deg)`` (kb.css), which turns neutral greys into their
inverse and keeps the hues of the series colours, so one file serves both themes and follows the
theme toggle (a file loaded by ``<img>`` cannot see the page's CSS variables).

Point labels name chips, never record ids; only the few that fit without touching another label,
a marker or the plot's edge are labelled (:func:`place_labels`), and the page links the table
that lists every chip. Every text box of every chart is kept in :class:`Drawn`, so tests check
that none overlaps another.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from kb import i18n
from kb.i18n import N_, _
from kb.knowledge import KnowledgeBase
from kb.models import Chip
from kb.models.common import partial_start

# Text colours: 16.8:1 and 8.6:1 against white; inverted (dark theme) #e0e0e0 and #b2b2b2,
# 13.4:1 and 8.0:1 against Material's slate background.
INK = "#1f1f1f"
MUTED = "#4d4d4d"
GRID = "#c8c8c8"
LIGHT_BG = "#ffffff"
DARK_BG = "#1e2129"  # Material slate: hsl(225deg 15% 14%)

# Sixteen colours, each at least 3:1 against white (and, inverted, against the dark background)
# so that markers stay visible; every series also has its own marker, so no two series look the
# same even where colours come close, and the chart reads in greyscale.
COLORS = ["#1f5fa8", "#c0392b", "#2e7d32", "#7b3fa0", "#b35900", "#6d4c41", "#ad1457",
          "#00796b", "#5d6d00", "#3949ab", "#8e2424", "#00838f", "#6a1b9a", "#4e6b1f",
          "#9c5700", "#455a64"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h", "*", "d", "H", "8", "1"]
OTHER = "#6e6e6e"  # "other vendors": 5.1:1 against white

# China status on a day: colour, marker and legend wording (said with ``_`` where drawn),
# shared by the timeline page.
STATUS_STYLE = {
    "controlled": ("#c0392b", "s", N_("controlled (licence required for China)")),
    "undetermined": ("#b35900", "^", N_("undetermined (a figure decides it)")),
    "not controlled": ("#1f5fa8", "o", N_("not controlled")),
}
OTHER_VENDORS = N_("other vendors")

# The chart text's fonts by language. English keeps matplotlib's sans-serif (DejaVu Sans);
# Japanese draws with DejaVu Sans and falls back to IPAexGothic (matplotlib-fontja's font) for
# the glyphs DejaVu Sans lacks, then to sans-serif, the last resort a browser reading the SVG's
# font-family can use.
FONTS = {"ja": ["DejaVu Sans", "IPAexGothic", "sans-serif"]}


@dataclass(frozen=True)
class Size:
    suffix: str
    width: float
    """Figure width in user units, written as CSS pixels."""
    font: float
    labels: int
    """At most this many point labels."""
    legend_cols: int


WIDE = Size("", 680, 12.5, 14, 3)
NARROW = Size("-narrow", 350, 12, 5, 1)
SIZES = (WIDE, NARROW)

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 in figure pixels, y upwards (matplotlib's display space at 72 dpi)."""


@dataclass
class Drawn:
    """What one chart file holds: every visible text with its box, and the point labels."""

    path: Path
    texts: list[tuple[str, Box]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    size: tuple[float, float] = (0.0, 0.0)


def _japanese_font() -> None:
    """Make matplotlib-fontja's IPAexGothic known to matplotlib, once. Its font file is added
    by path: importing the package would make it every chart's font, English ones included."""
    import importlib.util

    from matplotlib import font_manager

    if any(f.name == "IPAexGothic" for f in font_manager.fontManager.ttflist):
        return
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Japanese charts need the matplotlib-fontja package")
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    for font in sorted(folder.glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = FONTS.get(i18n.language(), "sans-serif")
    if family != "sans-serif":
        _japanese_font()
    plt.rcParams.update({
        "svg.hashsalt": "kb-charts",  # fixed ids: identical files for identical data
        "svg.fonttype": "none",
        "font.family": family,
        "text.color": INK, "axes.labelcolor": INK, "axes.edgecolor": MUTED,
        "xtick.color": MUTED, "ytick.color": MUTED, "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "axes.facecolor": "none", "figure.facecolor": "none", "savefig.transparent": True,
        "figure.dpi": 72, "savefig.dpi": 72,  # one point = one user unit = one CSS pixel
        "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    })
    return plt


def short_org(org: Any) -> str:
    """An organization's name as a legend shows it: the name before any bracket or comma,
    without "Corporation", "Inc." and the like, or a shorter plain alias ("MetaX")."""
    name = re.split(r" \(|, ", org.name)[0]
    while True:
        shorter = re.sub(r" (Corporation|Inc\.|LLC|Co\.|Technologies|Technology|Systems|"
                         r"Platforms)$", "", name)
        if shorter == name:
            break
        name = shorter
    acronym = re.search(r"\(([A-Z]{2,5})\)", org.name)
    if acronym and name != re.split(r" \(|, ", org.name)[0]:
        return acronym.group(1)  # "International Data Corporation (IDC)": IDC
    plain = [a for a in org.aliases if a.isascii() and " " not in a and len(a) < len(name)]
    return min(plain, key=lambda a: (len(a), a)) if plain else name


def chip_label(base: KnowledgeBase, chip: Chip) -> str:
    """A chip's name without a leading vendor word the legend already gives ("H100 SXM5")."""
    org = base.organizations[chip.vendor]
    name = chip.name.split(" (")[0]  # the bracketed rest is on the chip's page
    first = name.split(" ", 1)
    short = short_org(org)
    initials = "".join(w[0] for w in short.split(" ") if w[:1].isupper())
    words = {short.split(" ")[0], *org.aliases, org.name.split(" ")[0], initials}
    if len(first) == 2 and first[0] in words:
        return first[1]
    return name


def _figure(plt, size: Size, height: float):  # type: ignore[no-untyped-def]
    # 72 dpi, as the SVG is written: one pixel measured here is one unit of the file.
    fig = plt.figure(figsize=(size.width / 72, height / 72), dpi=72)
    plt.rcParams["font.size"] = size.font
    return fig


def _axes(fig, size: Size, left: float, top: float, width: float, height: float):  # type: ignore[no-untyped-def]
    """Axes placed in pixels from the figure's top left (fixed margins: no tight layout, which
    draws every figure twice, and the same layout whatever the data)."""
    w, h = fig.get_size_inches() * 72
    ax = fig.add_axes((left / w, 1 - (top + height) / h, width / w, height / h))
    ax.tick_params(labelsize=size.font, length=3)
    ax.xaxis.label.set_fontsize(size.font)
    ax.yaxis.label.set_fontsize(size.font)
    return ax


def _plain(v: float, _pos: Any = None) -> str:
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _log_axis(axis: Any, lim: tuple[float, float], ticks: list[float]) -> None:
    """A log scale with plain-number ticks at the control lines (no minor ticks)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    if axis.axis_name == "x":
        axis.axes.set_xscale("log")
    else:
        axis.axes.set_yscale("log")
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(_plain))
    axis.set_minor_locator(NullLocator())
    if axis.axis_name == "x":
        axis.axes.set_xlim(*lim)
    else:
        axis.axes.set_ylim(*lim)


def _series(base: KnowledgeBase, keys: Iterable[str], most: int
            ) -> dict[str, tuple[str, str, str]]:
    """key -> (legend label, colour, marker) for organizations: the ``most`` with the most
    points get their own colour and marker, sorted by name; the others share "other"."""
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    named = sorted(counts, key=lambda v: (-counts[v], v))
    if len(named) > most:
        named = named[:most - 1]
    # By rank: the vendor with the most points gets the first colour and the plain circle.
    out = {v: (short_org(base.organizations[v]), COLORS[i], MARKERS[i])
           for i, v in enumerate(named)}
    for k in counts:
        out.setdefault(k, (_(OTHER_VENDORS), OTHER, "x"))
    return out


def _legend(fig, ax, size: Size, handles: list[Any], labels: list[str], top: float,  # type: ignore[no-untyped-def]
            cols: int | None = None) -> None:
    """A legend below the plot, in the figure, never over the data."""
    w, h = fig.get_size_inches() * 72
    fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(8 / w, 1 - top / h),
               ncol=cols or size.legend_cols, fontsize=size.font, handletextpad=0.3,
               columnspacing=1.0, borderaxespad=0, borderpad=0, labelspacing=0.35,
               markerscale=1.3)


def _legend_height(size: Size, entries: int, cols: int | None = None) -> float:
    rows = math.ceil(entries / (cols or size.legend_cols))
    return rows * size.font * 1.75 + 8


# ---------------------------------------------------------------------------------------------
# Label placement


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(candidates: list[tuple[str, float, float]], obstacles: list[Box],
                 area: Box, measure: Callable[[str], tuple[float, float]], most: int
                 ) -> list[tuple[str, float, float, float, float, bool]]:
    """Greedy placement: each candidate (text, x, y) in order takes the first position around
    its point whose box touches no obstacle (markers, fixed text) and no label placed before,
    inside ``area``; near positions first, then farther ones joined by a leader line. A
    candidate with no free position goes unlabelled. Returns (text, x, y, dx, dy, leader) with
    the offset of the box's lower-left corner from the point."""
    placed: list[Box] = []
    out = []
    for text, x, y in candidates:
        if len(out) >= most:
            break
        tw, th = measure(text)
        for dist, leader in ((5.0, False), (16.0, True), (30.0, True)):
            spots = [(dist, dist * 0.4), (dist, -th - dist * 0.4), (-tw - dist, dist * 0.4),
                     (-tw - dist, -th - dist * 0.4), (-tw / 2, dist), (-tw / 2, -th - dist)]
            for dx, dy in spots:
                box = (x + dx - 1, y + dy - 1, x + dx + tw + 1, y + dy + th + 1)
                if not (area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1]
                        and box[3] <= area[3]):
                    continue
                if leader and _crosses_line(x, y, box, placed):
                    continue
                if any(overlaps(box, o) for o in obstacles) or any(
                        overlaps(box, p) for p in placed):
                    continue
                placed.append(box)
                out.append((text, x, y, dx, dy, leader))
                break
            else:
                continue
            break
    return out


def _crosses_line(x: float, y: float, box: Box, placed: list[Box]) -> bool:
    """Whether the leader from (x, y) to the box's nearest corner runs through a placed label."""
    cx = box[0] if box[0] > x else box[2]
    cy = box[1] if box[1] > y else box[3]
    for t in (0.25, 0.5, 0.75):
        px, py = x + (cx - x) * t, y + (cy - y) * t
        if any(p[0] <= px <= p[2] and p[1] <= py <= p[3] for p in placed):
            return True
    return False


def _measurer(fig, font: float) -> Callable[[str], tuple[float, float]]:  # type: ignore[no-untyped-def]
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=font)

    def measure(text: str) -> tuple[float, float]:
        w, h, _d = renderer.get_text_width_height_descent(text, prop, ismath=False)
        # Browsers draw with their own sans-serif, usually narrower than DejaVu Sans, which
        # measures here: a little spare width keeps a wider fallback clear too.
        return w * 1.06 + 2, h + 2
    return measure


def _label_points(fig, ax, size: Size, points: list[tuple[str, float, float]],  # type: ignore[no-untyped-def]
                  fixed: list[Box]) -> list[str]:
    """Label the chosen points (in order of priority) where they fit; returns the labels."""
    from matplotlib.transforms import Bbox

    measure = _measurer(fig, size.font - 1)
    xy = [(t, *ax.transData.transform((float(x), float(y)))) for t, x, y in points]
    bbox: Bbox = ax.get_window_extent()
    markers = [(px - 4, py - 4, px + 4, py + 4) for _t, px, py in xy]
    chosen = place_labels(xy, markers + fixed, (bbox.x0, bbox.y0, bbox.x1, bbox.y1), measure,
                          size.labels)
    inverse = ax.transData.inverted()
    for text, x, y, dx, dy, leader in chosen:
        ax.annotate(text, inverse.transform((x, y)), xytext=(dx, dy + 1),
                    textcoords="offset points", fontsize=size.font - 1, color=INK,
                    ha="left", va="bottom", zorder=5,
                    arrowprops={"arrowstyle": "-", "color": MUTED, "lw": 0.7,
                                "shrinkA": 3, "shrinkB": 0} if leader else None)
    return [c[0] for c in chosen]


def text_boxes(fig) -> list[tuple[str, Box]]:  # type: ignore[no-untyped-def]
    """Every visible, non-empty text of the figure with its box as drawn."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    # Tick labels exist for ticks outside the view too; only those matplotlib's axis keeps in
    # view are drawn (no public call gives them).
    ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(tick.label1), id(tick.label2)))
            for tick in axis._update_ticks():
                drawn.update((id(tick.label1), id(tick.label2)))
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in ticks and id(t) not in drawn:
            continue
        # The text's own box: an annotation's extent would include its leader line.
        b = Text.get_window_extent(t, renderer)
        out.append((t.get_text(), (b.x0, b.y0, b.x1, b.y1)))
    return sorted(out, key=lambda tb: (tb[1], tb[0]))


def _texts_in_plot(fig, ax) -> list[Box]:  # type: ignore[no-untyped-def]
    """The boxes of the texts drawn inside the plot, which chip labels must keep clear of.
    Ticks, axis titles and the legend sit outside it (the labels stay inside), so no draw is
    needed to place them: the axes' limits are set, and a text measures where it will be."""
    from matplotlib.text import Annotation, Text

    renderer = fig.canvas.get_renderer()
    out = []
    for t in ax.texts:
        if t.get_visible() and t.get_text().strip():
            if isinstance(t, Annotation):  # placed at its point (a draw would do it)
                t.update_positions(renderer)
            # The text's own box: an annotation's extent would include its leader line.
            b = Text.get_window_extent(t, renderer)
            out.append((b.x0, b.y0, b.x1, b.y1))
    return out


def _save(fig, path: Path, drawn: Drawn) -> Drawn:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    # Measured after saving, which laid the figure out: a draw of its own would double the cost.
    drawn.texts = text_boxes(fig)
    drawn.size = tuple(fig.get_size_inches() * 72)  # type: ignore[assignment]
    svg = buf.getvalue()
    # Points to pixels: at 72 dpi one point is one user unit, which should be one CSS pixel
    # (points would make the chart a third larger than the column it was laid out for).
    svg = re.sub(r'(<svg [^>]*?width=")([\d.]+)pt(" height=")([\d.]+)pt"', r'\1\2px\3\4px"',
                 svg, count=1)
    path.write_text(svg, encoding="utf-8")
    return drawn


def _scatter(ax, xs: list[Any], ys: list[Any], colour: str, marker: str):  # type: ignore[no-untyped-def]
    from matplotlib.markers import MarkerStyle

    filled = MarkerStyle(marker).is_filled()
    return ax.scatter(xs, ys, s=34, color=colour, marker=marker, zorder=3,
                      linewidths=0 if filled else 1.2)


def _plotted(base: KnowledgeBase, chips: Iterable[Chip]) -> list[Chip]:
    return [c for c in sorted(chips, key=lambda c: c.id)
            if c.tpp is not None and c.performance_density is not None]


def label_order(base: KnowledgeBase, chips: list[Chip], key: Callable[[Chip], Any]
                ) -> list[Chip]:
    """Which chips to try labelling first: compliance variants and their parents (the chips the
    rules were written around), then by ``key``. Chips sharing a point share one label."""
    related = {c.variant_of for c in base.chips.values() if c.variant_of}
    return sorted(chips, key=lambda c: (not (c.variant_of or c.id in related), key(c), c.id))


def _grouped(base: KnowledgeBase, chips: list[Chip], x: Callable[[Chip], Any],
             y: Callable[[Chip], Any]) -> list[tuple[str, Any, Any]]:
    seen: dict[tuple[Any, Any], list[Chip]] = {}
    for c in chips:
        seen.setdefault((x(c), y(c)), []).append(c)
    out = []
    for c in chips:
        group = seen[(x(c), y(c))]
        if group[0] is c:
            more = f" (+{len(group) - 1})" if len(group) > 1 else ""
            out.append((chip_label(base, c) + more, x(c), y(c)))
    return out


# ---------------------------------------------------------------------------------------------
# Charts


TPP_TICKS = [1600, 2400, 4800, 10000, 20000, 40000]
TPP_TICKS_NARROW = [1600, 4800, 20000]
DENSITY_TICKS = [1, 1.6, 3.2, 5.92, 10, 20, 40]


def _tpp_density_axes(fig, size: Size, height: float):  # type: ignore[no-untyped-def]
    left = 60 if size is WIDE else 54
    ax = _axes(fig, size, left, 12, size.width - left - 14, height)
    _log_axis(ax.xaxis, (1000, 80000), TPP_TICKS if size is WIDE else TPP_TICKS_NARROW)
    _log_axis(ax.yaxis, (0.6, 40), DENSITY_TICKS)
    ax.set_xlabel(_("TPP (dense TOPS × bit length)"))
    ax.set_ylabel(_("Performance density (TPP / mm²)"))
    return ax


def _draw_2023_regions(ax, lines: list[tuple[str, float]]) -> None:  # type: ignore[no-untyped-def]
    for metric, value in lines:
        draw = ax.axvline if metric == "tpp" else ax.axhline
        draw(value, color=MUTED, ls="--", lw=0.8, zorder=1)


def _label_and_save(fig, ax, size: Size, base: KnowledgeBase,  # type: ignore[no-untyped-def]
                    chips: list[Chip], path: Path) -> Drawn:
    """Name the chips a TPP x density chart has room for (around what is drawn), then save."""
    fixed = _texts_in_plot(fig, ax)
    order = label_order(base, chips, lambda c: -float(c.tpp))  # type: ignore[arg-type]
    drawn = Drawn(path)
    drawn.labels = _label_points(fig, ax, size, _grouped(
        base, order, lambda c: c.tpp, lambda c: c.performance_density), fixed)
    _save(fig, path, drawn)
    _pyplot().close(fig)
    return drawn


def tpp_density(base: KnowledgeBase, path: Path, size: Size = WIDE) -> Drawn:
    """Every chip by TPP and performance density, coloured by vendor, with the control lines."""
    plt = _pyplot()
    chips = _plotted(base, base.chips.values())
    style = _series(base, (c.vendor for c in chips), 10)
    names = sorted({v for v in style.values()}, key=lambda s: (s[0] == _(OTHER_VENDORS), s[0]))
    plot_h = 330 if size is WIDE else 300
    legend_top = 12 + plot_h + 46
    height = legend_top + _legend_height(size, len(names)) + 4
    fig = _figure(plt, size, height)
    ax = _tpp_density_axes(fig, size, plot_h)
    ax.fill_between([4800, 80000], 0.6, 40, color="#c0392b", alpha=0.08, lw=0, zorder=0)
    ax.fill_between([1600, 4800], 5.92, 40, color="#c0392b", alpha=0.08, lw=0, zorder=0)
    ax.fill_between([2400, 4800], 1.6, 5.92, color="#b35900", alpha=0.10, lw=0, zorder=0)
    ax.fill_between([1600, 2400], 3.2, 5.92, color="#b35900", alpha=0.10, lw=0, zorder=0)
    _draw_2023_regions(ax, [("tpp", 1600), ("tpp", 2400), ("tpp", 4800),
                            ("performance_density", 1.6), ("performance_density", 3.2),
                            ("performance_density", 5.92)])
    handles = {}
    for label, colour, marker in names:
        xs = [c.tpp for c in chips if style[c.vendor][0] == label]
        ys = [c.performance_density for c in chips if style[c.vendor][0] == label]
        handles[label] = _scatter(ax, xs, ys, colour, marker)
    from matplotlib.patches import Patch

    regions = [Patch(color="#c0392b", alpha=0.25, lw=0), Patch(color="#b35900", alpha=0.3, lw=0)]
    _legend(fig, ax, size, [*handles.values(), *regions],
            [*handles, _("3A090.a (2023)"), _("3A090.b (2023, data centre)")], legend_top)
    return _label_and_save(fig, ax, size, base, chips, path)


def tpp_release(base: KnowledgeBase, path: Path, size: Size = WIDE) -> Drawn:
    """TPP against release date, coloured by vendor, with the TPP lines and the rule dates."""
    import matplotlib.dates as mdates

    plt = _pyplot()
    chips = [c for c in sorted(base.chips.values(), key=lambda c: c.id)
             if c.tpp is not None and c.released_on is not None]
    style = _series(base, (c.vendor for c in chips), 10)
    names = sorted({v for v in style.values()}, key=lambda s: (s[0] == _(OTHER_VENDORS), s[0]))
    plot_h = 300 if size is WIDE else 280
    legend_top = 12 + plot_h + 46
    height = legend_top + _legend_height(size, len(names)) + 4
    fig = _figure(plt, size, height)
    left = 84 if size is WIDE else 76
    ax = _axes(fig, size, left, 12, size.width - left - 24, plot_h)
    top = max([80000.0, *(float(c.tpp) * 1.4 for c in chips)])  # type: ignore[arg-type]
    ticks = [600, 1600, 4800, 10000, 40000] if size is WIDE else [600, 1600, 4800, 40000]
    _log_axis(ax.yaxis, (300, top), [*ticks, *([100000] if top > 150000 else [])])
    first = min(c.released_on for c in chips) if chips else dt.date(2017, 1, 1)
    last = max(c.released_on for c in chips) if chips else dt.date(2026, 1, 1)
    ax.set_xlim(dt.date(first.year, 1, 1), dt.date(last.year + 1, 1, 1))
    ax.xaxis.set_major_locator(mdates.YearLocator(1 if size is WIDE else 2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    handles = {}
    for label, colour, marker in names:
        pts = [(c.released_on, c.tpp) for c in chips if style[c.vendor][0] == label]
        handles[label] = _scatter(ax, [p[0] for p in pts], [p[1] for p in pts], colour, marker)
    for value in (4800, 1600):
        ax.axhline(value, color=MUTED, ls="--", lw=0.8, zorder=1)
    fixed_text = []
    for day, text in ((dt.date(2022, 10, 7), _("Oct 2022 rule")),
                      (dt.date(2023, 11, 17), _("Oct 2023 rule"))):
        ax.axvline(day, color=MUTED, ls=":", lw=0.9, zorder=1)
        fixed_text.append(ax.annotate(text, (day, 1), xycoords=("data", "axes fraction"),
                                      fontsize=size.font - 1, rotation=90, xytext=(-3, -4),
                                      textcoords="offset points", va="top", ha="right"))
    ax.set_xlabel(_("Release date"))
    ax.set_ylabel("TPP")
    _legend(fig, ax, size, list(handles.values()), list(handles), legend_top)
    fixed = _texts_in_plot(fig, ax)
    order = label_order(base, chips, lambda c: -float(c.tpp))  # type: ignore[arg-type]
    drawn = Drawn(path)
    drawn.labels = _label_points(fig, ax, size, _grouped(
        base, order, lambda c: mdates.date2num(c.released_on), lambda c: c.tpp), fixed)
    _save(fig, path, drawn)
    plt.close(fig)
    return drawn


def share_series(base: KnowledgeBase, subject: str = "nvidia"
                 ) -> dict[tuple[str, str, str, str, str], list[Any]]:
    """A subject's estimates by (region, estimator, market, scope, metric): only estimates
    with the same key are joined by a line (one estimator measuring one market over time)."""
    out: dict[tuple[str, str, str, str, str], list[Any]] = {}
    for m in sorted(base.market_shares.values(), key=lambda m: (m.period_start, m.id)):
        if m.subject == subject:
            out.setdefault((m.region, m.estimator, m.market, m.scope, m.metric), []).append(m)
    return out


def _day(text: str, end: bool = False) -> dt.date:
    """A period's first day, or with ``end`` its last (a month "2024-06" ends on the 30th)."""
    start = partial_start(text)
    if not end or len(text) == 10:
        return start
    if len(text) == 4:
        return dt.date(start.year, 12, 31)
    nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def market_share(base: KnowledgeBase, path: Path, size: Size = WIDE) -> Drawn:
    """NVIDIA's share estimates: a panel for the world and one for China, each estimate a mark
    at the middle of its period with a bar over the period (and over the range, for ranges)."""
    import matplotlib.dates as mdates
    from matplotlib.lines import Line2D

    plt = _pyplot()
    series = share_series(base)
    estimators = sorted({k[1] for k in series},
                        key=lambda e: short_org(base.organizations[e]).lower())
    style = {e: (short_org(base.organizations[e]), COLORS[i % len(COLORS)],
                 MARKERS[i % len(MARKERS)]) for i, e in enumerate(estimators)}
    regions = [("global", _("World")), ("CN", _("China"))]
    wide = size is WIDE
    plot_h = 250 if wide else 200
    cols = size.legend_cols if wide else 2
    panels_h = plot_h if wide else 2 * plot_h + 40
    legend_top = 30 + panels_h + 46
    height = legend_top + _legend_height(size, len(estimators), cols) + 4
    fig = _figure(plt, size, height)
    days = [d for ms in series.values() for m in ms
            for d in (_day(m.period_start), _day(m.period_end, end=True))]
    # Half a year of room before the first tick keeps it off the y axis's "0".
    lo = dt.date(min(days).year - 1, 7, 1) if days else dt.date(2020, 1, 1)
    hi = dt.date(max(days).year + 1, 1, 1) if days else dt.date(2026, 1, 1)
    axes = []
    for i, (region, title) in enumerate(regions):
        if wide:
            pw = (size.width - 54 - 14 - 30) / 2
            ax = _axes(fig, size, 54 + i * (pw + 30), 30, pw, plot_h)
        else:
            ax = _axes(fig, size, 50, 30 + i * (plot_h + 40), size.width - 50 - 14, plot_h)
        ax.set_title(title, fontsize=size.font, loc="left", color=INK, pad=6)
        ax.set_ylim(0, 100)
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(mdates.YearLocator(1 if (hi.year - lo.year) <= 4 else 2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(axis="y", color=GRID, lw=0.6)
        ax.set_axisbelow(True)
        if i == 0 or not wide:
            ax.set_ylabel(_("NVIDIA share (%)"))
        for key, items in series.items():
            if key[0] != region:
                continue
            _label, colour, marker = style[key[1]]
            xs, ys, xerr, yerr = [], [], [[], []], [[], []]
            for m in items:
                start, end = _day(m.period_start), _day(m.period_end, end=True)
                mid = start + (end - start) / 2
                value = m.value_pct if m.value_pct is not None else (
                    (m.value_pct_low + m.value_pct_high) / 2)  # type: ignore[operator]
                xs.append(mid)
                ys.append(value)
                xerr[0].append(mid - start)
                xerr[1].append(end - mid)
                spread = 0.0 if m.value_pct is not None else (
                    (m.value_pct_high - m.value_pct_low) / 2)  # type: ignore[operator]
                yerr[0].append(spread)
                yerr[1].append(spread)
            ax.errorbar(xs, ys, xerr=xerr, yerr=yerr, fmt=marker, color=colour, ms=6,
                        elinewidth=1.1, capsize=0, zorder=3,
                        ls="-" if len(xs) > 1 else "none", lw=1.0)
        if not any(k[0] == region for k in series):
            ax.text(0.5, 0.5, _("no estimates recorded"), ha="center", va="center",
                    transform=ax.transAxes, color=MUTED)
        axes.append(ax)
    handles = [Line2D([], [], color=style[e][1], marker=style[e][2], ls="none", ms=6)
               for e in estimators]
    _legend(fig, axes[0], size, handles, [style[e][0] for e in estimators], legend_top, cols)
    drawn = Drawn(path)
    _save(fig, path, drawn)
    plt.close(fig)
    return drawn


def rule_day(base: KnowledgeBase, path: Path, day: dt.date,
             lines: list[tuple[str, float]], status: dict[str, str],
             size: Size = WIDE) -> Drawn:
    """The chips released by ``day`` by TPP and performance density, each marked with its China
    status that day, with the TPP and density lines of the controls then in force."""
    from matplotlib.lines import Line2D

    plt = _pyplot()
    chips = [c for c in _plotted(base, base.chips.values())
             if c.released_on is not None and c.released_on <= day]
    plot_h = 330 if size is WIDE else 300
    legend_top = 12 + plot_h + 46
    height = legend_top + _legend_height(size, 3, 1 if size is NARROW else 2) + 4
    fig = _figure(plt, size, height)
    ax = _tpp_density_axes(fig, size, plot_h)
    _draw_2023_regions(ax, lines)
    handles = []
    for name, (colour, marker, words) in STATUS_STYLE.items():
        group = [c for c in chips if status[c.id] == name]
        _scatter(ax, [c.tpp for c in group], [c.performance_density for c in group], colour,
                 marker)
        handles.append((Line2D([], [], color=colour, marker=marker, ls="none", ms=6),
                        _("{status} ({count})").format(status=_(words), count=len(group))))
    _legend(fig, ax, size, [h for h, _ in handles], [t for _, t in handles], legend_top,
            1 if size is NARROW else 2)
    return _label_and_save(fig, ax, size, base, chips, path)


# ---------------------------------------------------------------------------------------------


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


def rule_days(base: KnowledgeBase) -> list[tuple[dt.date, list[tuple[str, float]]]]:
    """The change dates on which the TPP and density lines in force change, with those lines:
    one chart each (the other change dates move named chips, not lines)."""
    engine = base.engine
    out: list[tuple[dt.date, list[tuple[str, float]]]] = []
    previous: list[tuple[str, float]] = []
    for day in base.change_dates():
        lines: set[tuple[str, float]] = set()
        for rule, control in engine.chip_controls:
            if engine.in_force(rule, control, day) and control.criterion is not None:
                lines.update(thresholds(control.criterion))
        now = sorted(lines)
        if now and now != previous:
            out.append((day, now))
        previous = now
    return out


def china_statuses(base: KnowledgeBase, day: dt.date) -> dict[str, str]:
    """Every chip's China status on a day, as ``base.verdict(chip, day, "CN").status``; a chip
    no control in force touches is not controlled anywhere, so only the others are asked."""
    overall = base.statuses(on=day)
    return {cid: "not controlled" if overall[cid] == "not controlled"
            else base.verdict(chip, on=day, destination="CN").status
            for cid, chip in base.chips.items()}


def chart_files(name: str) -> list[str]:
    return [f"{name}{s.suffix}.svg" for s in SIZES]


# The width below which the narrow file is shown (a 688 px column shows the wide one at 1:1).
NARROW_BELOW = 720


def picture(page: str, name: str, alt: str) -> Markup:
    """A chart as HTML for a page: the narrow file on phones, the wide one elsewhere."""
    from kb.site.render import href

    wide, narrow = (href(page, f"assets/charts/{f}") for f in chart_files(name))
    return Markup('<picture class="kb-chart"><source media="(max-width: {}px)" srcset="{}">'
                  '<img src="{}" alt="{}"></picture>').format(NARROW_BELOW - 1, narrow, wide,
                                                              alt)


def write_all(base: KnowledgeBase, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for size in SIZES:
        for name, draw in (("tpp-density", tpp_density), ("tpp-release", tpp_release),
                           ("market-share", market_share)):
            out.append(draw(base, folder / f"{name}{size.suffix}.svg", size).path)
        for day, lines in rule_days(base):
            status = china_statuses(base, day)
            out.append(rule_day(base, folder / f"rules-{day.isoformat()}{size.suffix}.svg",
                                day, lines, status, size).path)
    return out
