"""Translations of record text: stamps of the English they follow, and what kb validate says of
a translation with no English, with no stamp, or made from English that has since changed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml

import kb
from kb import cli
from kb.translations import LANGUAGES, stamp, text, translated


def _append(path: Path, block: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + block, encoding="utf-8")


def _english(path: Path, field: str) -> str:
    value = yaml.safe_load(path.read_text(encoding="utf-8"))[field]
    assert isinstance(value, str)
    return value


@pytest.fixture
def rule_file(records_dir: Path) -> Path:
    return records_dir / "rules" / "test-rule.yaml"


def test_the_stamp_is_eight_hex_digits_of_the_sha256_of_the_nfc_text():
    assert stamp("abc") == "ba7816bf"  # SHA-256("abc") begins ba7816bf
    decomposed = unicodedata.normalize("NFD", "Café")
    assert decomposed != "Café" and stamp(decomposed) == stamp("Café")
    assert stamp("abc ") != stamp("abc")


def test_an_up_to_date_translation_is_valid_and_read(rule_file, records_dir, capsys):
    summary = _english(rule_file, "summary")
    _append(rule_file, f'translations:\n  ja:\n    summary:\n      text: "要約"\n'
                       f'      of: "{stamp(summary)}"\n')
    assert cli.main(["validate", str(records_dir)]) == 0
    assert "translation" not in capsys.readouterr().err
    rule = kb.load(records_dir).rules["test-rule"]
    assert text(rule, "summary", "ja") == ("要約", True)
    assert text(rule, "title", "ja") == (rule.title, False)  # no translation: the English
    assert list(translated(rule, "ja")) == ["summary"]


def test_a_stale_translation_is_a_warning_with_both_stamps_and_the_english_is_read(
        rule_file, records_dir, capsys):
    summary = _english(rule_file, "summary")
    _append(rule_file, 'translations:\n  ja:\n    summary:\n      text: "古い要約"\n'
                       '      of: "0badf00d"\n')
    assert cli.main(["validate", str(records_dir)]) == 0
    err = capsys.readouterr().err
    line = rule_file.read_text(encoding="utf-8").splitlines().index('      of: "0badf00d"') + 1
    assert (f"rules/test-rule.yaml:{line}:7: [warning translation-stale] "
            f"translations.ja.summary.of: the English summary has changed since the Japanese "
            f"was made (stamp 0badf00d, English now {stamp(summary)}): bring the Japanese up "
            f'to date, then write  of: "{stamp(summary)}"') in err
    assert "0 error(s), 1 warning(s)" in err
    rule = kb.load(records_dir).rules["test-rule"]
    assert text(rule, "summary", "ja") == (rule.summary, False)


def test_an_unstamped_translation_says_which_stamp_to_write(rule_file, records_dir, capsys):
    title = _english(rule_file, "title")
    _append(rule_file, 'translations:\n  ja:\n    title:\n      text: "題名"\n')
    assert cli.main(["validate", str(records_dir)]) == 0
    err = capsys.readouterr().err
    assert "[warning translation-unstamped] translations.ja.title.of: the Japanese title has " \
           f'no stamp: once it is checked against the English, add  of: "{stamp(title)}"' in err
    rule = kb.load(records_dir).rules["test-rule"]
    assert text(rule, "title", "ja") == (rule.title, False)


def test_a_translation_of_an_empty_english_field_is_an_error(rule_file, records_dir, capsys):
    assert "status_note" not in yaml.safe_load(rule_file.read_text(encoding="utf-8"))
    _append(rule_file, 'translations:\n  ja:\n    status_note:\n      text: "注記"\n')
    assert cli.main(["validate", str(records_dir)]) == 1
    err = capsys.readouterr().err
    assert ("[translation-without-english] translations.ja.status_note: a Japanese "
            "status_note but no English one: write the English status_note first; a "
            "translation follows it") in err


def test_only_text_fields_and_known_languages_can_be_translated(rule_file, records_dir,
                                                                capsys):
    _append(rule_file, 'translations:\n  ja:\n    url:\n      text: "https://example.jp/"\n'
                       '  fr:\n    title:\n      text: "Titre"\n')
    assert cli.main(["validate", str(records_dir)]) == 1
    err = capsys.readouterr().err
    assert "translations.ja.url" in err and "translations.fr" in err


def test_a_bad_stamp_is_refused(rule_file, records_dir, capsys):
    _append(rule_file, 'translations:\n  ja:\n    title:\n      text: "題名"\n'
                       '      of: "XYZ"\n')
    assert cli.main(["validate", str(records_dir)]) == 1
    assert "translations.ja.title.of" in capsys.readouterr().err


def test_claims_carry_translations_too(records_dir, capsys):
    claim_file = records_dir / "claims" / "test-claim.yaml"
    statement = _english(claim_file, "statement")
    _append(claim_file, f'translations:\n  ja:\n    statement:\n      text: "主張"\n'
                        f'      of: "{stamp(statement)}"\n')
    assert cli.main(["validate", str(records_dir)]) == 0
    claim = kb.load(records_dir).claims["test-claim"]
    assert text(claim, "statement", "ja") == ("主張", True)


def test_every_translation_in_the_repository_is_current(base):
    # The repository's own translations follow their English: none stale, none unstamped.
    for kind in ("rules", "claims"):
        for rid, record in getattr(base, kind).items():
            for language in LANGUAGES:
                for field, item in translated(record, language).items():
                    assert item.of == stamp(getattr(record, field)), (kind, rid, field)


def test_every_rule_has_its_title_short_title_and_summary_in_japanese(base):
    missing = [(rid, field) for rid, rule in base.rules.items()
               for field in ("title", "short_title", "summary", "status_note")
               if getattr(rule, field) is not None and not text(rule, field, "ja")[1]]
    assert missing == []


def test_a_translation_may_name_the_source_that_writes_it_so(rule_file, records_dir, capsys):
    short = _english(rule_file, "short_title")
    _append(rule_file, f'translations:\n  ja:\n    short_title:\n      text: "略称"\n'
                       f'      of: "{stamp(short)}"\n      source: no-such-source\n')
    assert cli.main(["validate", str(records_dir)]) == 1
    assert ("translations.ja.short_title.source: no source 'no-such-source' in "
            "records/sources/") in capsys.readouterr().err
