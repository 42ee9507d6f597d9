"""Source reliability: the default from a source's kind, the warning for a figure that rests
only on weak sources, and the mark in words beside each citation on the pages."""

from pathlib import Path

import pytest

import kb
from kb import cli
from kb.models.source import DEFAULT_RELIABILITY, Source
from kb.site import render

ROOT = Path(__file__).resolve().parent.parent

WEAK_SOURCE = """\
id: spec-db-x2
title: Acme X2 specs
publisher: Some GPU spec database
url: https://example.org/specs/x2
kind: reference
reliability: weak
"""

CHIP = """\
id: acme-x2
name: Acme X2
vendor: acme
kind: asic
datacenter: true
die_area_mm2: 600
dense_tops: {int8: 800}
citations:
  - source: acme-datasheet
    fields: [datacenter, dense_tops]
    tier: official
  - source: spec-db-x2
    fields: [die_area_mm2, dense_tops]
    tier: reported
"""


def _source(kind: str, **extra: str) -> Source:
    return Source.model_validate({"id": "s", "title": "T", "publisher": "P", "kind": kind,
                                  "url": "https://example.org/", **extra})


@pytest.mark.parametrize(("kind", "expected"), [
    ("regulation", "official"), ("filing", "official"), ("datasheet", "official"),
    ("official-statement", "official"), ("news", "reputable"), ("analysis", "reputable"),
    ("reference", "reputable"),
])
def test_reliability_defaults_from_kind(kind, expected):
    assert _source(kind).reliability is None
    assert _source(kind).reliability_mark == expected


def test_every_kind_has_a_default():
    kinds = Source.model_fields["kind"].annotation.__args__
    assert set(kinds) == set(DEFAULT_RELIABILITY)


def test_explicit_reliability_wins_and_bad_values_are_refused():
    assert _source("datasheet", reliability="weak").reliability_label == "weak source"
    with pytest.raises(ValueError, match="reliability"):
        _source("news", reliability="dubious")


def test_figure_with_only_a_weak_source_is_a_warning_with_its_line(write_record, records_dir,
                                                                    capsys):
    write_record("sources", "spec-db-x2", WEAK_SOURCE)
    write_record("chips", "acme-x2", CHIP)
    assert cli.main(["validate", str(records_dir)]) == 0
    err = capsys.readouterr().err
    assert ("chips/acme-x2.yaml:6:1: [warning weak-sources-only] die_area_mm2: 'die_area_mm2' "
            "rests only on weak sources: spec-db-x2; cite a reputable one") in err
    # dense_tops also cites the datasheet: a weak source beside an official one is fine.
    assert "'dense_tops" not in err
    assert "0 error(s), 1 warning(s)" in err


def test_no_warning_once_the_source_is_not_weak(write_record, records_dir, capsys):
    write_record("sources", "spec-db-x2", WEAK_SOURCE.replace("reliability: weak\n", ""))
    write_record("chips", "acme-x2", CHIP)
    assert cli.main(["validate", str(records_dir)]) == 0
    assert "weak-sources-only" not in capsys.readouterr().err


def test_mark_in_words_beside_each_citation(write_record, records_dir):
    write_record("sources", "spec-db-x2", WEAK_SOURCE)
    write_record("chips", "acme-x2", CHIP)
    pages = render.render_pages(kb.load(records_dir), ROOT / "docs")
    chip = pages["chips/acme-x2.md"].decode()
    sources = chip[chip.index("## Sources"):]
    assert "(datasheet; official; official)" in sources
    assert "(reference; reported; weak source)" in sources
    claim = pages["claims/test-claim.md"].decode()
    assert "Acme X1 datasheet</a> (official)" in claim
    rule = pages["rules/test-rule.md"].decode()
    assert "; official)" in rule[rule.index("## Sources"):]


def test_repository_weak_warnings_name_only_weak_sources(base):
    weak = [p for p in base.warnings if p.code == "weak-sources-only"]
    assert weak and all(p.severity == "warning" for p in weak)
    for p in weak:
        ids = p.message.split(": ", 1)[1].split("; ")[0].split(", ")
        assert all(base.sources[s].reliability_mark == "weak" for s in ids), p.format()
