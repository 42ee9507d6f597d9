"""Static SVG charts made at build time (matplotlib, no network), the same bytes every build.

Text is kept as SVG text in a mid grey on a transparent background, so the charts read in the
light and the dark theme; each chart sits in a <figure> with alternative text and its data table.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from kb.knowledge import KnowledgeBase
from kb.models.common import partial_start

INK = "#808080"
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
          "#17becf", "#bcbd22", "#7f7f7f"]


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "svg.hashsalt": "kb-charts",  # fixed ids: identical files for identical data
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.size": 9,
        "text.color": INK, "axes.labelcolor": INK, "axes.edgecolor": INK,
        "xtick.color": INK, "ytick.color": INK,
        "axes.facecolor": "none", "figure.facecolor": "none", "savefig.transparent": True,
    })
    return plt


def _save(fig, path: Path) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    # Fixed margins, not bbox_inches="tight", which draws every figure twice.
    fig.subplots_adjust(left=0.1, right=0.98, top=0.97, bottom=0.12)
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    path.write_text(buf.getvalue(), encoding="utf-8")


def _log_axes(ax, xlim, ylim, xticks, yticks) -> None:  # type: ignore[no-untyped-def]
    """Log scales with plain-number ticks at the control lines (no minor ticks to draw)."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    plain = FuncFormatter(lambda v, _pos: f"{v:,.2f}".rstrip("0").rstrip("."))
    if xticks is not None:
        ax.set_xscale("log")
        ax.set_xlim(*xlim)
        ax.set_xticks(xticks)
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yscale("log")
    ax.set_ylim(*ylim)
    ax.set_yticks(yticks)
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_locator(NullLocator())


# Beyond these, a chart is a blot: per-chip labels overlap, and colours repeat in the legend.
MAX_LABELS = 80
OTHER = "#b0b0b0"


def _by_vendor(base: KnowledgeBase, points: list[tuple[str, Any, Any]]
               ) -> list[tuple[str, str, list[Any], list[Any]]]:
    """(legend label, colour, xs, ys) per vendor for (vendor, x, y) points: the vendors with
    the most points get a colour each, the rest share one grey "other vendors" series. One
    series per vendor keeps a chart of thousands of chips to a few dozen drawn objects."""
    counts: dict[str, int] = {}
    for vendor, _x, _y in points:
        counts[vendor] = counts.get(vendor, 0) + 1
    if len(counts) <= len(COLORS):
        named = sorted(counts)
    else:
        named = sorted(sorted(counts, key=lambda v: (-counts[v], v))[:len(COLORS) - 1])
    colour = {v: COLORS[i] for i, v in enumerate(named)}
    series: dict[str, tuple[str, str, list[Any], list[Any]]] = {}
    for vendor, x, y in points:
        key = vendor if vendor in colour else ""
        if key not in series:
            label = base.organizations[vendor].name if key else "other vendors"
            series[key] = (label, colour.get(vendor, OTHER), [], [])
        series[key][2].append(x)
        series[key][3].append(y)
    return [series[k] for k in [*named, ""] if k in series]


def tpp_density(base: KnowledgeBase, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    # 2023 control regions (3A090.a and .b), as drawn in TPP x density space.
    ax.fill_between([4800, 60000], 0.1, 100, color="#d62728", alpha=0.10, lw=0)
    ax.fill_between([1600, 4800], 5.92, 100, color="#d62728", alpha=0.10, lw=0,
                    label="3A090.a (2023)")
    ax.fill_between([2400, 4800], 1.6, 5.92, color="#ff7f0e", alpha=0.12, lw=0)
    ax.fill_between([1600, 4800], 3.2, 5.92, color="#ff7f0e", alpha=0.12, lw=0,
                    label="3A090.b (2023, data centre)")
    ax.axvline(4800, color=INK, ls="--", lw=0.8, label="TPP 4,800 (2022 and 2023)")
    chips = [c for c in base.chips.values()
             if c.tpp is not None and c.performance_density is not None]
    for label, colour, xs, ys in _by_vendor(
            base, [(c.vendor, c.tpp, c.performance_density) for c in chips]):
        ax.scatter(xs, ys, s=22, color=colour, label=label, zorder=3)
    points: dict[tuple[float, float], list[str]] = {}
    for chip in chips:
        points.setdefault((chip.tpp, chip.performance_density), []).append(chip.id)
    if len(points) <= MAX_LABELS:
        for (x, y), ids in sorted(points.items()):
            # Chips that share both figures (same die, same throughput) share one label.
            ax.annotate(" / ".join(sorted(ids)), (x, y), fontsize=6, xytext=(3, 2),
                        textcoords="offset points")
    _log_axes(ax, (1000, 80000), (1, 40), [1600, 2400, 4800, 10000, 20000, 40000],
              [1, 1.6, 3.2, 5.92, 10, 20, 40])
    ax.set_xlabel("TPP (dense TOPS × bit length)")
    ax.set_ylabel("Performance density (TPP / mm²)")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    _save(fig, path)
    plt.close(fig)


def tpp_release(base: KnowledgeBase, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    chips = [c for c in sorted(base.chips.values(), key=lambda c: c.id)
             if c.tpp is not None and c.released_on is not None]
    for label, colour, xs, ys in _by_vendor(
            base, [(c.vendor, c.released_on, c.tpp) for c in chips]):
        ax.scatter(xs, ys, s=22, color=colour, label=label, zorder=3)
    for value, text in ((4800, "TPP 4,800"), (1600, "TPP 1,600")):
        ax.axhline(value, color=INK, ls="--", lw=0.8)
        ax.annotate(text, (dt.date(2017, 1, 1), value), fontsize=7, xytext=(0, 3),
                    textcoords="offset points")
    for day, text in ((dt.date(2022, 10, 7), "Oct 2022 rule"),
                      (dt.date(2023, 11, 17), "Oct 2023 rule")):
        ax.axvline(day, color=INK, ls=":", lw=0.8)
        ax.annotate(text, (day, 40000), fontsize=7, rotation=90, xytext=(2, 0),
                    textcoords="offset points", va="top")
    _log_axes(ax, None, (500, 80000), None, [600, 1600, 4800, 10000, 20000, 40000])
    ax.set_xlabel("Release date")
    ax.set_ylabel("TPP")
    ax.legend(fontsize=7, frameon=False, loc="lower right", ncol=2)
    _save(fig, path)
    plt.close(fig)


def market_share(base: KnowledgeBase, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    estimators = sorted({m.estimator for m in base.market_shares.values()
                         if m.subject == "nvidia"})
    markers = {"global": "o", "CN": "s"}
    for i, est in enumerate(estimators):
        for region in ("global", "CN"):
            points = sorted(
                (partial_start(m.period_start), m.value_pct if m.value_pct is not None
                 else (m.value_pct_low + m.value_pct_high) / 2)  # type: ignore[operator]
                for m in base.market_shares.values()
                if m.subject == "nvidia" and m.estimator == est
                and m.region == region
            )
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            name = base.organizations[est].name
            ax.plot(xs, ys, marker=markers[region], ms=5, lw=0.8, color=COLORS[i % len(COLORS)],
                    ls="-" if region == "global" else "--",
                    label=f"{name} ({'global' if region == 'global' else 'China'})")
    if not ax.lines:
        ax.text(0.5, 0.5, "no NVIDIA estimates recorded", ha="center", transform=ax.transAxes)
    else:
        ax.legend(fontsize=6.5, frameon=False, loc="lower left", ncol=2)
    ax.set_ylim(0, 100)
    ax.set_ylabel("NVIDIA share (%)")
    ax.set_xlabel("Period start")
    _save(fig, path)
    plt.close(fig)


def write_all(base: KnowledgeBase, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, draw in (("tpp-density.svg", tpp_density), ("tpp-release.svg", tpp_release),
                       ("market-share.svg", market_share)):
        draw(base, folder / name)
        out.append(folder / name)
    return out
