"""Charts: same records, same bytes; chips and organizations by name; no two texts overlapping;
text contrast of 4.5:1 or more in both themes; and the timeline page equal to the engine."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import kb
from kb.site import charts, render
from kb.site.timeline import china_timeline


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def dark_theme(hex_colour: str) -> str:
    """What kb.css's ``invert(1) hue-rotate(180deg)`` makes of a colour (Filter Effects spec
    matrices), rounded to 8 bits as a browser draws it."""
    import math

    r, g, b = (1 - int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    cos, sin = math.cos(math.pi), math.sin(math.pi)
    m = [[0.213 + cos * 0.787 - sin * 0.213, 0.715 - cos * 0.715 - sin * 0.715,
          0.072 - cos * 0.072 + sin * 0.928],
         [0.213 - cos * 0.213 + sin * 0.143, 0.715 + cos * 0.285 + sin * 0.140,
          0.072 - cos * 0.072 - sin * 0.283],
         [0.213 - cos * 0.213 - sin * 0.787, 0.715 - cos * 0.715 + sin * 0.715,
          0.072 + cos * 0.928 + sin * 0.072]]
    out = [min(1.0, max(0.0, row[0] * r + row[1] * g + row[2] * b)) for row in m]
    return "#" + "".join(f"{round(c * 255):02x}" for c in out)


@pytest.fixture(scope="module")
def drawn(base, tmp_path_factory) -> dict[str, charts.Drawn]:
    folder = tmp_path_factory.mktemp("charts")
    out = {}
    for size in charts.SIZES:
        for name, draw in (("tpp-density", charts.tpp_density),
                           ("tpp-release", charts.tpp_release),
                           ("market-share", charts.market_share)):
            out[name + size.suffix] = draw(base, folder / f"{name}{size.suffix}.svg", size)
        for day, lines in charts.rule_days(base):
            name = f"rules-{day.isoformat()}{size.suffix}"
            out[name] = charts.rule_day(base, folder / f"{name}.svg", day, lines,
                                        charts.china_statuses(base, day), size)
    return out


def _texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_same_records_same_bytes(base, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    names = [p.name for p in charts.write_all(base, first)]
    charts.write_all(kb.load(), second)
    assert len(names) == len(set(names)) >= 10
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_every_chart_has_both_sizes_for_the_templates(base, tmp_path):
    written = {p.name for p in charts.write_all(base, tmp_path)}
    for name in ("tpp-density", "tpp-release", "market-share"):
        assert set(charts.chart_files(name)) <= written
    assert {f"rules-{d.isoformat()}.svg" for d, _ in charts.rule_days(base)} <= written


def test_labels_are_names_not_ids(base, drawn):
    ids = set(base.chips) | set(base.organizations)
    names = {charts.chip_label(base, c) for c in base.chips.values()}
    orgs = {charts.short_org(o) for o in base.organizations.values()}
    for name, d in drawn.items():
        texts = _texts(d.path.read_text())
        assert texts, name
        assert not ids & {t.strip() for t in texts}, name
        assert not any(i in t for t in texts for i in ids if "-" in i), name
        for label in d.labels:
            assert re.sub(r" \(\+\d+\)$", "", label) in names, (name, label)
            assert label in texts, (name, label)
        if "density" in name or "release" in name:
            assert d.labels, name  # some chips are named on every scatter
            assert orgs & set(texts), name  # the legend names vendors


def test_chip_names_and_vendors_read_as_people_know_them(base):
    assert charts.short_org(base.organizations["nvidia"]) == "NVIDIA"
    assert charts.short_org(base.organizations["idc"]) == "IDC"
    assert charts.short_org(base.organizations["huawei"]) == "Huawei"
    assert charts.chip_label(base, base.chips["nvidia-h100-sxm"]).startswith("H100")
    assert charts.chip_label(base, base.chips["amd-mi300x"]) == "Instinct MI300X"


def test_no_two_texts_overlap_and_all_fit(drawn):
    for name, d in drawn.items():
        width, height = d.size
        assert len(d.texts) > 10, name
        for i, (text, box) in enumerate(d.texts):
            assert -0.5 <= box[0] and box[2] <= width + 0.5, (name, text, box)
            assert -0.5 <= box[1] and box[3] <= height + 0.5, (name, text, box)
            for other, obox in d.texts[i + 1:]:
                assert not charts.overlaps(box, obox), (name, text, other)


def test_text_is_large_enough_where_it_is_shown(drawn):
    # The wide file is shown at 1:1 in the 688 px desktop column, the narrow one at 1:1 in
    # a 358 px phone column (390 px screen): user units are CSS pixels there.
    for name, d in drawn.items():
        svg = d.path.read_text()
        width = float(re.search(r'<svg [^>]*width="([\d.]+)px"', svg).group(1))  # type: ignore[union-attr]
        shown = min(1.0, (358 if name.endswith("-narrow") else 688) / width)
        sizes = [float(s) for s in re.findall(r"font(?:-size)?:[^;\"]*?([\d.]+)px", svg)]
        assert sizes, name
        least = 11 if name.endswith("-narrow") else 11.5
        assert min(sizes) * shown >= least, (name, min(sizes) * shown)


def test_text_contrast_in_light_and_dark_theme(drawn):
    css = (Path(__file__).parent.parent / "docs" / "assets" / "kb.css").read_text()
    assert 'img[src*="assets/charts/"] { filter: invert(1) hue-rotate(180deg); }' in css
    for name, d in drawn.items():
        svg = d.path.read_text()
        fills = set()
        for attrs in re.findall(r"<text([^>]*)>", svg):
            found = re.search(r"fill: (#[0-9a-f]{6})", attrs)
            assert found, (name, attrs)  # every text says its colour
            fills.add(found.group(1))
        assert fills, name
        for fill in fills:
            assert contrast(fill, charts.LIGHT_BG) >= 4.5, (name, fill)
            assert contrast(dark_theme(fill), charts.DARK_BG) >= 4.5, (name, fill)


def test_dark_theme_model_is_the_filter():
    # Greys invert exactly; a hue comes back near itself (the point of the hue rotation).
    assert dark_theme("#1f1f1f") == "#e0e0e0"
    assert dark_theme("#ffffff") == "#000000"
    red = dark_theme("#c0392b")
    assert int(red[1:3], 16) > int(red[3:5], 16) and int(red[1:3], 16) > int(red[5:7], 16)


def test_market_lines_join_only_one_market(base):
    for (region, estimator, market, scope, metric), items in charts.share_series(base).items():
        for m in items:
            assert (m.region, m.estimator, m.market, m.scope, m.metric) == (
                region, estimator, market, scope, metric)


def test_estimators_have_a_colour_and_a_marker_each(base):
    estimators = sorted({k[1] for k in charts.share_series(base)})
    assert len(estimators) <= len(charts.COLORS) == len(set(charts.COLORS))
    assert len(set(charts.MARKERS)) == len(charts.MARKERS) == len(charts.COLORS)
    for colour in charts.COLORS:
        assert contrast(colour, charts.LIGHT_BG) >= 3, colour
        assert contrast(dark_theme(colour), charts.DARK_BG) >= 3, colour


def test_labels_never_overlap_in_the_placer():
    boxes = charts.place_labels([("same", 50, 50)] * 20, [], (0, 0, 200, 200),
                                lambda t: (30, 10), 20)
    placed = [(x + dx, y + dy, x + dx + 30, y + dy + 10) for _t, x, y, dx, dy, _l in boxes]
    assert 1 < len(placed) < 20  # some fit, not all
    for i, a in enumerate(placed):
        assert all(not charts.overlaps(a, b) for b in placed[i + 1:])


def _cells(page: str) -> dict[str, list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        chip = re.search(r'href="chips/([^"]+)\.html"', row).group(1)  # type: ignore[union-attr]
        out[chip] = [html.unescape(c).split(" ", 1)[1]
                     for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
    return out


def test_timeline_page_equals_the_engine(base):
    page = render.environment().get_template("timeline.md.j2").render(
        page="timeline.md", base=base, as_of=render.as_of(base), **china_timeline(base))
    days = base.change_dates()
    heads = re.findall(r'<time datetime="([\d-]+)">', page)
    assert heads == [d.isoformat() for d in days]
    cells = _cells(page)
    assert set(cells) == set(base.chips)
    for cid, chip in base.chips.items():
        assert cells[cid] == [base.verdict(chip, on=d, destination="CN").status for d in days], cid
    seen = {s for row in cells.values() for s in row}
    assert seen == {"controlled", "not controlled", "undetermined"}
    for c in china_timeline(base)["charts"]:
        assert f"rules-{c['day'].isoformat()}.svg" in page
