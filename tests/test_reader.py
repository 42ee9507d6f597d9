"""The reader's answers, in a real browser: "Can I ship it?" on every chip page equals the
engine's (and so `kb classify --to CC --on DATE`'s), and the common questions are answered from
the rendered site alone, clicking as a reader would."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from kb import cli
from kb.metrics import format_number
from kb.site import build, render

DESTINATIONS = ["CN", "MO", "US", "DE", "JP", "AE", "SA", "MY", "IN", "RU"]
DATES = ["2021-06-01", "2022-09-15", "2022-12-01", "2023-06-01", "2023-10-25", "2023-12-01",
         "2024-06-01", "2025-02-01", "2025-06-01", "2025-09-01", "2026-02-01", "2026-11-30"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, base) -> Path:
    return build.build_site(base, tmp_path_factory.mktemp("reader") / "site")


def test_can_i_ship_it_equals_the_engine_for_every_chip(site, base, browser):
    # Every chip, 10 destinations, 12 dates: the page's answer (read from its own tables, as
    # the form shows it) has the engine's status and controls.
    page = browser.new_page()
    checked = 0
    for chip in base.chips.values():
        page.goto((site / "chips" / f"{chip.id}.html").as_uri())
        got = page.evaluate("""([dests, dates]) => dests.map(cc => dates.map(day => {
            const a = window.kbShipAnswer(cc, day);
            return [a.status, a.controls.map(c => [c.rule, c.control]), a.jointly];
        }))""", [DESTINATIONS, DATES])
        for cc, row in zip(DESTINATIONS, got, strict=True):
            for day, (status, controls, jointly) in zip(DATES, row, strict=True):
                verdict = base.verdict(chip, on=day, destination=cc)
                want = [[r, c] for r, c in verdict.by] if verdict.value is not False else []
                assert (status, controls, jointly) == (verdict.status, want, verdict.jointly), \
                    (chip.id, cc, day)
                checked += 1
    page.close()
    assert checked == len(base.chips) * 120


def test_kb_classify_gives_the_same_licence_answer(base):
    # The engine's verdict is what `kb classify --to` prints in sum: checked on the command
    # itself for a spread of chips, destinations and dates.
    for chip_id, cc, day in (("nvidia-h20", "CN", "2025-06-01"), ("amd-mi100", "CN", "2024-06-01"),
                             ("nvidia-a800", "MO", "2023-10-25"), ("google-tpu-v3", "CN",
                                                                   "2026-02-01"),
                             ("nvidia-h100-sxm", "AE", "2025-02-01"),
                             ("nvidia-h100-sxm", "DE", "2025-02-01")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["classify", chip_id, "--to", cc, "--on", day, "--json"]) == 0
        licence = json.loads(out.getvalue())["licence"]
        verdict = base.verdict(chip_id, on=day, destination=cc)
        assert (licence["status"], licence["by"], licence["jointly"]) == (
            verdict.status, [list(k) for k in verdict.by], verdict.jointly), (chip_id, cc, day)


def _headline(page) -> str:
    return page.locator(".kb-ship-headline").inner_text()


def test_could_nvidia_sell_the_h20_to_china_in_june_2025_and_why(site, base, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto((site / "chips" / "index.html").as_uri())
    page.get_by_role("link", name=re.compile(r"^NVIDIA HGX H20\b")).first.click()
    # The click commits the navigation; the page may still be arriving.
    page.wait_for_load_state("load")
    page.select_option(".kb-ship select", "CN")
    page.fill(".kb-ship input[type=date]", "2025-06-01")
    page.dispatch_event(".kb-ship input[type=date]", "input")
    answer = page.locator(".kb-ship-answer").inner_text()
    verdict = base.verdict("nvidia-h20", on="2025-06-01", destination="CN")
    assert verdict.value is True
    assert _headline(page).startswith("A US licence is required to ship it to China")
    assert "April 2025 H20 licence requirement" in answer
    assert "memory bandwidth 4,000 GB/s" in answer     # why: the notice's own line
    # The history says the H20 sat below the 2023 lines before the notice, with the numbers.
    history = page.locator("#status-over-time-for-china ~ ul").first.inner_text()
    assert "2025-04-09 to 2025-08-10: licence required" in history
    assert "TPP 2,368 < 2,400" in history and "performance density 2.91" in history
    page.close()


def test_which_chips_did_the_october_2023_rule_newly_catch(site, base, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto((site / "rules" / "index.html").as_uri())
    page.get_by_role("link", name="October 2023 advanced computing rule").first.click()
    page.wait_for_load_state("load")
    text = page.locator("article").inner_text()
    section = text[text.index("Newly controlled"):]
    section = section[:section.index("\n\n", 40)] if "\n\n" in section[40:] else section
    newly = {c.name for c in base.chips.values() if c.name in section}
    rule = base.rules["us-bis-2023-10-advanced-computing"]
    want = set()
    for chip in base.chips.values():
        first = render.first_day(base, rule, chip)
        if chip.released_on is None or first is None or chip.released_on > dt.date(2024, 4, 3):
            continue
        on = max(first, chip.released_on)
        before = base.verdict(chip, on=first - dt.timedelta(days=1))
        now = base.verdict(chip, on=on)
        if now.value is True and before.value is False and any(
                r == rule.id for r, _ in now.by):
            want.add(chip.name)
    assert want and newly >= want
    assert "NVIDIA A800 SXM4 80GB" in want and "NVIDIA H800 SXM5 80GB" in want
    page.close()


def test_what_is_the_h100s_tpp_and_how_was_it_computed(site, base, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((site / "chips" / "index.html").as_uri())
    page.get_by_role("link", name=re.compile(r"^NVIDIA H100 SXM")).first.click()
    page.wait_for_load_state("load")
    text = page.locator("article").inner_text()
    chip = base.chips["nvidia-h100-sxm"]
    tpp = format_number(chip.tpp)
    assert re.search(rf"TPP = max over operand types of dense TOPS × bit length = {tpp} "
                     r"\(set by fp8\)", text), text[:2000]
    assert "1,978.9" in text and "8" in text   # the fp8 row of the throughput table
    page.close()


def test_what_share_does_nvidia_have_according_to_whom(site, base, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto((site / "index.html").as_uri())
    page.get_by_role("link", name="Market share").first.click()
    page.wait_for_load_state("load")
    text = page.locator("article").inner_text()
    from kb import words

    shares = [m for m in base.market_shares.values() if m.subject == "nvidia"]
    assert shares
    for m in shares:
        estimator = base.organizations[m.estimator].name
        assert estimator in text, estimator
        assert words.share_value(m) in text, (m.id, words.share_value(m))
    page.close()


def test_every_chip_page_has_a_complete_china_history(site, base):
    day = render.as_of(base)
    for chip in base.chips.values():
        html = (site / "chips" / f"{chip.id}.html").read_text(encoding="utf-8")
        periods = base.history(chip, "CN", today=day)
        for p in periods:
            end = p.end.isoformat() if p.end else "today"
            assert f"{p.start.isoformat()} to {end}" in html, (chip.id, p.start)
    a800 = (site / "chips" / "nvidia-a800.html").read_text(encoding="utf-8")
    assert "2022-11-01 to 2023-10-22" in a800 and "interconnect 400 GB/s &lt; 600 GB/s" in a800
