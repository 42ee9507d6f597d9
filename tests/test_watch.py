"""`kb watch`: the comparison with the records, the rendering, the request and the offline failure.

No network here: the comparison runs on tests/fixtures/federal-register/bis-documents.json,
response-shaped data of real documents (see that folder's README.md: it is not a recorded API
response).
"""

import datetime as dt
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kb import cli, watch

FIXTURE = Path(__file__).parent / "fixtures" / "federal-register" / "bis-documents.json"
CITED = {"2026-00789", "2024-28267", "2024-28270", "2025-19001"}
LACKING = ["2023-02130", "2024-13148", "2024-25411"]  # oldest first


def pages() -> dict[int, list[dict]]:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))["results_by_part"]
    return {int(part): results for part, results in raw.items()}


def test_fixture_cites_what_the_records_cite(base):
    # The "recorded" half of the fixture is taken from the rule records: keep it so.
    rules = {r.document_number: r for r in base.rules.values() if r.document_number}
    for results in pages().values():
        for item in results:
            number = item["document_number"]
            if number in CITED:
                rule = rules[number]
                assert item["publication_date"] == rule.dates.published.isoformat()
                assert item["title"] == " ".join(rule.title.split())
                if item["html_url"]:
                    assert item["html_url"] == rule.url
            else:
                assert number in LACKING and number not in rules


def test_missing_lists_only_uncited_documents_once(base):
    docs = watch.documents(pages())
    assert [d.number for d in docs].count("2024-13148") == 1  # returned for 744 and 774
    lacking = watch.missing(docs, watch.recorded(base))
    assert [d.number for d in lacking] == LACKING
    by_number = {d.number: d for d in lacking}
    assert by_number["2024-13148"].parts == (734, 740, 744, 746, 774)
    assert by_number["2024-25411"].title == "Additions and Revisions of Entities to the Entity List"


def test_comparison_by_url_as_well_as_by_number():
    doc = watch.Document(number="2026-00789", title="t", date="2026-01-15",
                         url="https://www.federalregister.gov/documents/2026/01/15/2026-00789/"
                             "revision-to-license-review-policy-for-advanced-computing-commodities")
    by_url = watch.Recorded(numbers=frozenset(), urls=frozenset(
        {"federalregister.gov/documents/2026/01/15/2026-00789/"
         "revision-to-license-review-policy-for-advanced-computing-commodities"}))
    assert watch.missing([doc], by_url) == []
    assert watch.missing([doc], watch.Recorded(frozenset(), frozenset())) == [doc]


def test_recorded_reads_rules_and_sources(base):
    known = watch.recorded(base)
    assert CITED <= known.numbers
    assert any(u.startswith("federalregister.gov/documents/") for u in known.urls)
    assert watch.newest_published(base) == max(
        r.dates.published for r in base.rules.values() if r.dates.published)


def test_markdown_and_json(base):
    docs = watch.documents(pages())
    since = dt.date(2023, 1, 1)
    text = watch.markdown(docs, since)
    assert "(since 2023-01-01)" in text
    assert ("- **Revision to License Review Policy for Advanced Computing Commodities** "
            "(2026-01-15), FR Doc. [2026-00789](https://www.federalregister.gov/documents/2026/"
            "01/15/2026-00789/revision-to-license-review-policy-for-advanced-computing-"
            "commodities), 15 CFR parts 742") in text
    # Parentheses in a title are escaped; no URL was seen for 2024-13148, so none is made up.
    assert ("**Implementation of Additional Sanctions Against Russia and Belarus Under the Export "
            "Administration Regulations \\(EAR\\) and Refinements to Existing Controls** "
            "(2024-06-18), FR Doc. 2024-13148, 15 CFR parts 734, 740, 744, 746, 774") in text
    assert "None:" in watch.markdown([], since)
    data = json.loads(watch.as_json(watch.missing(docs, watch.recorded(base)), since))
    assert data["since"] == "2023-01-01" and data["parts"] == [734, 740, 742, 744, 772, 774]
    assert [d["document_number"] for d in data["missing"]] == LACKING
    assert data["missing"][0] == {"document_number": "2023-02130",
                                  "title": "Additions to the Entity List",
                                  "publication_date": "2023-02-01", "url": None,
                                  "cfr_parts": [744], "type": ""}


def test_hostile_api_text_is_escaped():
    doc = watch.Document(
        number="2099-0000<script>", title="<img src=x onerror=alert(1)> [x](javascript:alert(1))"
        " \x1b]0;owned\x07\x1b[2J\u202eevil\nnext", date="<b>", url="javascript:alert(1)",
        parts=(744,))
    text = watch.markdown([doc], dt.date(2026, 1, 1))
    for bad in ("<img", "<script", "<b>", "](javascript", "javascript:alert(1))", "\x1b", "\x07",
                "\u202e"):
        assert bad not in text, bad
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
    assert "\\u001b" in text and "\\u202e" in text
    assert text.count("\n- ") == 1  # the title's line break does not start a list item
    out = watch.as_json([doc], dt.date(2026, 1, 1))
    assert "\x1b" not in out and "\u202e" not in out
    assert json.loads(out)["missing"][0]["url"] is None  # not a federalregister.gov link


def test_request_url_carries_the_documented_parameters():
    url = watch.request_url(744, dt.date(2026, 1, 15))
    base, _, query = url.partition("?")
    assert base == "https://www.federalregister.gov/api/v1/documents.json"
    params = urllib.parse.parse_qs(query)
    assert params["conditions[agencies][]"] == ["industry-and-security-bureau"]
    assert params["conditions[cfr][title]"] == ["15"]
    assert params["conditions[cfr][part]"] == ["744"]
    assert params["conditions[publication_date][gte]"] == ["2026-01-15"]
    assert params["per_page"] == ["100"]
    assert params["fields[]"] == ["document_number", "title", "publication_date", "html_url",
                                  "type", "cfr_references"]


class _Answer(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_fetch_queries_each_part_and_follows_next_page_url():
    asked = []
    nxt = watch.API + "?page=2&conditions%5Bcfr%5D%5Bpart%5D=744"

    def opener(request, timeout):
        asked.append(request.full_url)
        assert timeout == watch.TIMEOUT_S
        if request.full_url == nxt:
            return _Answer(json.dumps({"results": [{"document_number": "2023-02130"}]}).encode())
        page = {"results": [], "next_page_url": nxt if "part%5D=744&" in request.full_url
                else "https://evil.example/?x"}  # a foreign next page is not followed
        return _Answer(json.dumps(page).encode())

    found = watch.fetch(dt.date(2023, 1, 1), opener)
    assert list(found) == list(watch.PARTS)
    assert found[744] == [{"document_number": "2023-02130"}]
    assert len(asked) == len(watch.PARTS) + 1 and nxt in asked
    assert not any("evil" in u for u in asked)


def test_offline_gives_one_plain_line(monkeypatch, capsys):
    def offline(*_args, **_kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert cli.main(["watch", "--since", "2026-01-15"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("kb watch: cannot reach the Federal Register API "
                   "(https://www.federalregister.gov/api/v1/documents.json): [Errno -3] "
                   "Temporary failure in name resolution; it needs the network\n")
    assert "Traceback" not in err


def test_http_error_gives_one_plain_line(monkeypatch, capsys):
    def refused(request, **_kwargs):
        raise urllib.error.HTTPError(request.full_url, 503, "Service Unavailable", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", refused)
    assert cli.main(["watch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kb watch: cannot reach the Federal Register API (") and \
        "HTTP 503 Service Unavailable; it needs the network" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("since", ["June", "2026-02-30", "20260115"])
def test_bad_since_is_a_usage_error(since, capsys):
    assert cli.main(["watch", "--since", since]) == 2
    assert capsys.readouterr().err.startswith("kb watch: --since: ")


def test_watch_lists_what_the_api_gives(monkeypatch, capsys):
    def answer(request, **_kwargs):
        part = int(urllib.parse.parse_qs(request.full_url.partition("?")[2])
                   ["conditions[cfr][part]"][0])
        return _Answer(json.dumps({"results": pages().get(part, [])}).encode())

    monkeypatch.setattr(urllib.request, "urlopen", answer)
    assert cli.main(["watch", "--since", "2023-01-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["document_number"] for d in data["missing"]] == LACKING
