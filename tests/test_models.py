"""Record models: every rule the models enforce, tested directly."""

import datetime as dt

import pytest
from pydantic import ValidationError

from kb.models import Chip, CountryGroup, Criterion, MarketShare, Organization, Rule, Source
from kb.models.common import latest_allowed, partial_start

CHIP = {"id": "acme-x1", "name": "Acme X1", "vendor": "acme", "kind": "asic"}


def chip(**extra):
    return Chip.model_validate({**CHIP, **extra})


def errors(exc: pytest.ExceptionInfo) -> list[tuple[tuple, str]]:
    return [(e["loc"], e["type"]) for e in exc.value.errors()]


def test_minimal_hypothetical_chip():
    c = chip()
    assert c.tpp is None and c.performance_density is None and c.citations == []


def test_records_are_immutable():
    c = chip()
    with pytest.raises(ValidationError):
        c.name = "other"


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError) as exc:
        chip(dense_top={"int8": 1})
    assert errors(exc) == [(("dense_top",), "extra_forbidden")]


@pytest.mark.parametrize("field", ["die_area_mm2", "tdp_w", "transistors_billion"])
def test_areas_and_rates_must_be_positive(field):
    with pytest.raises(ValidationError):
        chip(**{field: 0})
    assert getattr(chip(**{field: 1}), field) == 1


def test_dense_tops_must_be_positive_numbers_of_known_operand_types():
    with pytest.raises(ValidationError):
        chip(dense_tops={"int8": 0})
    with pytest.raises(ValidationError):
        chip(dense_tops={"int8": "100"})
    with pytest.raises(ValidationError):
        chip(dense_tops={"int9": 100})


def test_booleans_are_strict():
    with pytest.raises(ValidationError):
        chip(datacenter="yes")
    with pytest.raises(ValidationError):
        chip(datacenter=1)


@pytest.mark.parametrize("value", ["2022-09", "2022-09-20"])
def test_release_dates_day_or_month(value):
    assert chip(released=value).released == value


@pytest.mark.parametrize("value", ["1989-12", "2022-13", "2022-02-30", "Sept 2022", 2022, "2022"])
def test_bad_release_dates(value):
    with pytest.raises(ValidationError):
        chip(released=value)


def test_dates_up_to_one_year_ahead():
    ok = latest_allowed()
    assert chip(released=ok.isoformat()).released == ok.isoformat()
    with pytest.raises(ValidationError):
        chip(released=(ok + dt.timedelta(days=1)).isoformat())


def test_partial_start():
    assert partial_start("2022-09") == dt.date(2022, 9, 1)
    assert partial_start("2022-09-20") == dt.date(2022, 9, 20)
    assert chip(released="2022-09").released_on == dt.date(2022, 9, 1)


def test_stated_tpp_within_one_percent():
    assert chip(dense_tops={"fp8": 1000}, stated_tpp=8079).stated_tpp == 8079
    with pytest.raises(ValidationError) as exc:
        chip(dense_tops={"fp8": 1000}, stated_tpp=8081)
    assert "differs from the TPP computed" in str(exc.value)
    # Without dense figures there is nothing to check against.
    assert chip(stated_tpp=5000).stated_tpp == 5000


def test_ids_are_slugs():
    for bad in ["Acme-X1", "acme_x1", "acme--x1", "-acme", ""]:
        with pytest.raises(ValidationError):
            Chip.model_validate({**CHIP, "id": bad})


def test_country_codes():
    base = {"id": "o", "name": "O", "kind": "company"}
    assert Organization.model_validate({**base, "country": "NO"}).country == "NO"
    for bad in ["no", "XX", "CHN", False]:
        with pytest.raises(ValidationError):
            Organization.model_validate({**base, "country": bad})


def test_source_urls_are_http_only():
    base = {"id": "s", "title": "T", "publisher": "P", "kind": "news"}
    assert Source.model_validate({**base, "url": "https://example.org/a"}).url
    for bad in ["javascript:alert(1)", "ftp://example.org", "https://", "example.org"]:
        with pytest.raises(ValidationError):
            Source.model_validate({**base, "url": bad})


SHARE = {"id": "s", "subject": "a", "estimator": "b", "market": "M", "scope": "gpu",
         "region": "global", "period_start": "2024-01", "period_end": "2024-12",
         "metric": "revenue"}


def test_market_share_values():
    assert MarketShare.model_validate({**SHARE, "value_pct": 92}).value_pct == 92
    rng = MarketShare.model_validate({**SHARE, "value_pct_low": 80, "value_pct_high": 95})
    assert (rng.value_pct_low, rng.value_pct_high) == (80, 95)
    for bad in [{"value_pct": 150}, {"value_pct": -1}, {}, {"value_pct_low": 80},
                {"value_pct_low": 95, "value_pct_high": 80}]:
        with pytest.raises(ValidationError):
            MarketShare.model_validate({**SHARE, **bad})
    with pytest.raises(ValidationError):
        MarketShare.model_validate({**SHARE, "value_pct": 5, "period_end": "2023-12"})
    assert MarketShare.model_validate({**SHARE, "value_pct": 5, "region": "CN"}).region == "CN"


def test_country_group_membership_dates():
    g = CountryGroup.model_validate({
        "id": "g", "name": "G", "authority": "a",
        "members": [{"country": "KH", "from": "2021-12-09", "to": "2026-02-02"},
                    {"country": "CN"}]})
    assert g.has("KH", dt.date(2023, 1, 1))
    assert not g.has("KH", dt.date(2026, 2, 3))
    assert not g.has("KH", dt.date(2021, 12, 8))
    assert g.members_on(dt.date(2020, 1, 1)) == ("CN",)
    with pytest.raises(ValidationError):
        CountryGroup.model_validate({"id": "g", "name": "G", "authority": "a", "members": [
            {"country": "KH", "from": "2021-01-01"}, {"country": "KH", "from": "2022-01-01"}]})
    with pytest.raises(ValidationError):
        CountryGroup.model_validate({"id": "g", "name": "G", "authority": "a", "members": [
            {"country": "KH", "from": "2022-01-01", "to": "2021-01-01"}]})


RULE = {"id": "r", "title": "R", "short_title": "R", "jurisdiction": "US", "authority": "a",
        "instrument": "final-rule", "url": "https://example.org/r", "summary": "S."}


def test_rule_dates_order():
    ok = Rule.model_validate({**RULE, "dates": {"published": "2023-10-25",
                                                "effective": "2023-11-17"}})
    assert ok.start == dt.date(2023, 11, 17)
    with pytest.raises(ValidationError):
        Rule.model_validate({**RULE, "dates": {"published": "2023-10-25",
                                               "effective": "2023-10-01"}})
    # Interim final rules can take effect on public display, before publication.
    shown = Rule.model_validate({**RULE, "dates": {"public_inspection": "2025-01-13",
                                                   "published": "2025-01-15",
                                                   "effective": "2025-01-13"}})
    assert shown.start == dt.date(2025, 1, 13)
    with pytest.raises(ValidationError):
        Rule.model_validate({**RULE, "dates": {"effective": "2023-10-01", "end": "2023-09-01"}})


def test_controls_need_a_criterion_or_items_and_unique_ids():
    control = {"id": "a", "description": "D", "criterion": {"tpp": {"gte": 1}}}
    with pytest.raises(ValidationError):
        Rule.model_validate({**RULE, "dates": {}, "controls": [{"id": "a", "description": "D"}]})
    with pytest.raises(ValidationError):
        Rule.model_validate({**RULE, "dates": {}, "controls": [control, control]})
    with pytest.raises(ValidationError):
        Rule.model_validate({**RULE, "dates": {}, "controls": [
            {**control, "effect": "review-policy"}]})


@pytest.mark.parametrize("bad", [
    {}, {"tpp": {}}, {"tpp": {"gte": "1"}}, {"tpp": 4800}, {"any": []}, {"all": [{}]},
    {"not": {}}, {"datacenter": "yes"}, {"id": {"in": []}}, {"released": {"gte": "2022"}},
    {"watts": {"gte": 1}},
])
def test_bad_criteria(bad):
    with pytest.raises(ValidationError):
        Criterion.model_validate(bad)


def test_criterion_shorthands():
    c = Criterion.model_validate({"vendor": "nvidia", "released": {"gte": "2023-01-01"}})
    assert [k for k, _ in c.parts()] == ["vendor", "released"]


def test_country_table_matches_pycountry():
    import pycountry

    from kb.models import countries

    expected = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    assert countries.table() == expected


# --- strict types, located date problems, URLs (issue 13)

REACH_RULE = {**RULE, "dates": {"published": "2023-01-10"}}


def with_reach(reach):
    return Rule.model_validate({**REACH_RULE, "controls": [
        {"id": "a", "description": "D", "criterion": {"tpp": {"gte": 1}}, "destinations": reach}]})


@pytest.mark.parametrize("value", ["yes", 1, 0, "off", "true", "on", 1.0])
def test_every_boolean_is_strict(value):
    assert with_reach({"worldwide": True}).controls[0].destinations.worldwide is True
    with pytest.raises(ValidationError) as exc:
        with_reach({"worldwide": value})
    assert errors(exc) == [(("controls", 0, "destinations", "worldwide"), "bool_type")]
    with pytest.raises(ValidationError):
        chip(dense_tops_complete=value)
    with pytest.raises(ValidationError):
        Criterion.model_validate({"datacenter": value})


@pytest.mark.parametrize(("value", "kind"), [
    (float("inf"), "finite_number"), (float("-inf"), "finite_number"),
    (float("nan"), "finite_number"), (True, "float_type"), ("100", "float_type"),
    ("nan", "float_type"),
])
def test_every_number_is_finite_and_strict(value, kind):
    from kb.models import Claim

    with pytest.raises(ValidationError) as exc:
        chip(tdp_w=value)
    assert errors(exc) == [(("tdp_w",), kind)]
    with pytest.raises(ValidationError):
        chip(dense_tops={"int8": value})
    with pytest.raises(ValidationError):
        Criterion.model_validate({"tpp": {"gte": value}})
    with pytest.raises(ValidationError):
        MarketShare.model_validate({**SHARE, "value_pct": value})
    claim = {"id": "c", "statement": "S", "claimant": "C", "made": "2024-03", "where": "W",
             "source": "s", "verdict": "unverified", "reasoning": "R",
             "evidence": [{"source": "s", "stance": "supports", "tier": "official", "note": "N"}],
             "last_reviewed": "2024-04-01"}
    assert Claim.model_validate({**claim, "figures": [
        {"value": 100, "unit": "percent", "what": "w"}]}).figures[0].value == 100
    with pytest.raises(ValidationError) as exc:
        Claim.model_validate({**claim, "figures": [{"value": value, "unit": "u", "what": "w"}]})
    assert errors(exc) == [(("figures", 0, "value"), kind)]


def test_disputed_figures_are_numbers_text_or_booleans_never_infinite():
    base = {"field": "tdp_w", "source": "s", "note": "N"}
    for ok in [700, 7.5, "7nm", True]:
        assert chip(disputed=[{**base, "value": ok}]).disputed[0].value == ok
    for bad in [float("inf"), float("nan"), "", "  ", None, [1]]:
        with pytest.raises(ValidationError):
            chip(disputed=[{**base, "value": bad}])


def test_past_dates_end_today_and_scheduled_ones_a_year_ahead():
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    assert chip(last_reviewed=today.isoformat()).last_reviewed == today
    with pytest.raises(ValidationError) as exc:
        chip(last_reviewed=tomorrow.isoformat())
    assert "is in the future" in str(exc.value)
    # A month counts from its first day: this month is not in the future.
    src = {"id": "s", "title": "T", "publisher": "P", "kind": "news", "url": "https://a.org/"}
    assert Source.model_validate({**src, "published": today.strftime("%Y-%m")}).published
    with pytest.raises(ValidationError):
        Source.model_validate({**src, "published": "2099-01"})
    # A rule's effective date may be scheduled, up to a year ahead; its publication may not.
    assert Rule.model_validate({**RULE, "dates": {"published": today.isoformat(),
                                                  "effective": tomorrow.isoformat()}})
    with pytest.raises(ValidationError):
        Rule.model_validate({**RULE, "dates": {"published": tomorrow.isoformat()}})


def located(exc: pytest.ExceptionInfo) -> list[tuple[tuple, str]]:
    return [(e["loc"], e["type"]) for e in exc.value.errors()]


def test_date_problems_are_located_at_their_field_and_all_reported():
    with pytest.raises(ValidationError) as exc:
        Rule.model_validate({**RULE, "dates": {
            "published": "2023-01-10", "effective": "2023-02-01", "compliance": "2023-01-20",
            "comment_deadline": "2023-01-01", "end": "2023-01-15"}})
    assert located(exc) == [(("dates", "compliance"), "date_order"),
                            (("dates", "comment_deadline"), "date_order"),
                            (("dates", "end"), "date_order")]
    with pytest.raises(ValidationError) as exc:
        CountryGroup.model_validate({"id": "g", "name": "G", "authority": "a", "members": [
            {"country": "CN"}, {"country": "KH", "from": "2022-01-01", "to": "2021-01-01"}]})
    assert located(exc) == [(("members", 1, "to"), "date_order")]


def test_effect_before_any_public_act_only_for_licence_letters():
    dates = {"announced": "2025-04-15", "effective": "2025-04-09"}
    letter = Rule.model_validate({**RULE, "instrument": "licence-letter", "dates": dates})
    assert letter.start == dt.date(2025, 4, 9)
    with pytest.raises(ValidationError) as exc:
        Rule.model_validate({**RULE, "dates": dates})
    assert located(exc) == [(("dates", "effective"), "date_order")]
    control = {"id": "a", "description": "D", "criterion": {"tpp": {"gte": 1}}}
    with pytest.raises(ValidationError) as exc:
        Rule.model_validate({**RULE, "dates": {"published": "2023-01-10", "end": "2023-06-30"},
                             "controls": [{**control, "effective": "2022-12-01"},
                                          {**control, "id": "b", "end": "2023-07-31"}]})
    assert located(exc) == [(("controls", 0, "effective"), "date_order"),
                            (("controls", 1, "end"), "date_order")]


@pytest.mark.parametrize("url", [
    "https://example.org/a\nb", "https://example.org/a b", 'https://example.org/"x',
    "https://example.org/'x", "https://example.org/<x>", "https://example.org/\u200bx",
    "https://example.org/\x00", "https://exa\u00a0mple.org/", "javascript:alert(1)",
    "JAVASCRIPT:alert(1)", "https://", "https:example.org", "//example.org/x", "example.org",
    "https://user@/x", "https://example.org:port/", "https://[::1/", "mailto:a@example.org",
    "https://example.org/" + "a" * 2000,
])
def test_urls_that_are_not_urls(url):
    base = {"id": "s", "title": "T", "publisher": "P", "kind": "news"}
    with pytest.raises(ValidationError) as exc:
        Source.model_validate({**base, "url": url})
    assert str(exc.value).count("not a URL") == 1


def test_urls_of_any_script_and_with_ports_are_urls():
    base = {"id": "s", "title": "T", "publisher": "P", "kind": "news"}
    for url in ["https://a5r5br.net/international/تقرير-هواوي", "http://example.org:8080/a?b=c#d",
                "HTTPS://EXAMPLE.ORG/", "https://[2001:db8::1]/x", "https://example.org/a%20b"]:
        assert Source.model_validate({**base, "url": url}).url == url


@pytest.mark.parametrize("test", [
    {"gte": 5000, "lt": 100}, {"gt": 100, "lte": 100}, {"gt": 100, "lt": 100}, {"eq": 5, "gt": 5},
    {"eq": 5, "lte": 4},
])
def test_comparisons_that_match_nothing_are_refused(test):
    with pytest.raises(ValidationError) as exc:
        Criterion.model_validate({"tpp": test})
    assert "the comparison matches nothing" in str(exc.value)
    assert Criterion.model_validate({"tpp": {"gte": 100, "lte": 100}}).tpp.gte == 100
    with pytest.raises(ValidationError):
        Criterion.model_validate({"released": {"gt": "2024-01-01", "lte": "2024-01-01"}})


def test_a_destination_policy_names_where_it_applies():
    control = {"id": "a", "description": "D", "criterion": {"tpp": {"gte": 1}},
               "licence_policy": "presumption-of-denial"}
    ok = {**control, "policy_by_destination": [{"countries": ["CN"], "policy": "case-by-case"}]}
    assert Rule.model_validate({**RULE, "dates": {}, "controls": [ok]})
    with pytest.raises(ValidationError) as exc:
        Rule.model_validate({**RULE, "dates": {}, "controls": [
            {**control, "policy_by_destination": [{"policy": "case-by-case"}]}]})
    assert located(exc) == [(("controls", 0, "policy_by_destination", 0), "value_error")]
