"""Contributor tools: templates, editor schemas, the change preview, and the repository files."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from kb import cli, schema, yamlsafe

ROOT = Path(__file__).resolve().parent.parent


def test_new_chip_then_filled_validates_and_second_run_refuses(records_dir, capsys):
    assert cli.main(["new", "chip", "acme-x9", "--records", str(records_dir)]) == 0
    out = capsys.readouterr().out
    path = records_dir / "chips" / "acme-x9.yaml"
    assert f"created {path}" in out and "kb validate" in out
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schemas/chip.schema.json\n")
    # Unfilled, the template says exactly what to fill.
    assert cli.main(["validate", str(records_dir)]) == 1
    err = capsys.readouterr().err
    assert "acme-x9.yaml:6:1: [wrong-size] name: must not be empty" in err
    assert "acme-x9.yaml:7:1: [invalid-id] vendor: must not be empty" in err
    # Filled (as a contributor would), it validates.
    filled = (text.replace('name: ""', "name: Acme X9").replace('vendor: ""', "vendor: acme")
              .replace("# released: 2022-09", "released: 2025-03")
              .replace("# dense_tops:", "dense_tops:").replace("#   fp8: 1978.9", "  fp8: 500")
              .replace("citations: []", "citations:")
              .replace("#  - source: vendor-datasheet", "  - source: acme-datasheet")
              .replace("#    fields: [released, dense_tops, memory, interconnect_gb_s]",
                       "    fields: [released, dense_tops]")
              .replace("#    tier: official", "    tier: official"))
    path.write_text(filled)
    assert cli.main(["validate", str(records_dir)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    # A second `kb new` refuses and changes nothing.
    assert cli.main(["new", "chip", "acme-x9", "--records", str(records_dir)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == filled


@pytest.mark.parametrize("kind", ["organization", "rule", "country-group", "market-share",
                                  "source", "claim"])
def test_every_kind_has_a_template_that_reports_what_to_fill(kind, records_dir, capsys):
    assert cli.main(["new", kind, f"new-{kind}", "--records", str(records_dir)]) == 0
    capsys.readouterr()
    assert cli.main(["validate", str(records_dir)]) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ": [" in ln]
    assert lines and all(f"new-{kind}.yaml:" in ln for ln in lines)
    assert all(code in ("[wrong-size]", "[invalid-id]", "[invalid-value]")
               for code in (ln.split(" ")[1] for ln in lines))


def test_new_from_an_existing_chip(records_dir, capsys):
    assert cli.main(["new", "chip", "acme-x1-pro", "--from", "acme-x1",
                     "--records", str(records_dir)]) == 0
    text = (records_dir / "chips" / "acme-x1-pro.yaml").read_text()
    assert "id: acme-x1-pro" in text and "Started from acme-x1" in text
    assert "dense_tops: {int8: 700, bf16: 350}" in text


@pytest.mark.parametrize("args", [["new", "widget", "x"], ["new", "chip", "Bad_Id"],
                                  ["new", "rule", "r", "--from", "acme-x1"],
                                  ["new", "chip", "c", "--from", "no-such-chip"]])
def test_new_usage_errors(args, records_dir, capsys):
    before = sorted(p.name for p in records_dir.rglob("*"))
    assert cli.main([*args, "--records", str(records_dir)]) == 2
    assert sorted(p.name for p in records_dir.rglob("*")) == before


def test_committed_schemas_match_the_models():
    for folder, name in schema.FILE_NAMES.items():
        committed = (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
        assert committed == schema.render(folder), f"run `kb schema schemas` ({name})"


def test_every_record_validates_against_its_schema():
    for folder, name in schema.FILE_NAMES.items():
        validator = jsonschema.Draft202012Validator(
            json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text()))
        for path in sorted((ROOT / "records" / folder).glob("*.yaml")):
            data = yamlsafe.parse_bytes(path.read_bytes()).data
            errors = [e.message for e in validator.iter_errors(data)]
            assert errors == [], path


def test_schema_rejects_what_the_loader_rejects():
    validator = jsonschema.Draft202012Validator(
        json.loads((ROOT / "schemas" / "chip.schema.json").read_text()))
    base = {"id": "a", "name": "A", "vendor": "v", "kind": "gpu"}
    assert validator.is_valid(base)
    assert not validator.is_valid({**base, "dense_top": {}})
    assert not validator.is_valid({**base, "dense_tops": {"fp9": 1}})
    assert not validator.is_valid({**base, "released": "March 2024"})
    assert not validator.is_valid({**base, "kind": "GPU"})


def test_editor_mapping_covers_every_kind():
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    assert settings["yaml.schemas"] == {
        f"schemas/{name}.schema.json": f"records/{folder}/*.yaml"
        for folder, name in schema.FILE_NAMES.items()}


def test_every_record_names_its_schema():
    for folder in schema.FILE_NAMES:
        for path in (ROOT / "records" / folder).glob("*.yaml"):
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            assert first == schema.editor_header(folder), path


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "PATH": "/usr/bin:/bin",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def test_diff_lists_a_new_chips_determinations(records_dir, tmp_path):
    repo = records_dir.parent
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    (records_dir / "chips" / "acme-x5.yaml").write_text(
        "id: acme-x5\nname: Acme X5\nvendor: acme\nkind: asic\ndense_tops: {int8: 800}\n"
        "citations:\n  - {source: acme-datasheet, fields: [dense_tops], tier: official}\n")
    chip = records_dir / "chips" / "acme-x1.yaml"
    chip.write_text(chip.read_text().replace("{int8: 700, bf16: 350}", "{int8: 500, bf16: 250}"))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "add a chip, lower another")
    proc = subprocess.run([sys.executable, "-m", "kb", "diff", "HEAD~1", "--records",
                           str(records_dir)], capture_output=True, text=True, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "### Added\n\n- `chips/acme-x5`" in out
    assert "- `chips/acme-x1`: `dense_tops.bf16`, `dense_tops.int8`" in out
    assert "| `acme-x5` | `test-rule` | T.a | — | controlled |" in out
    assert "| `acme-x1` | `test-rule` | T.a | controlled | not controlled |" in out
    assert "`acme-x1`\n  - before: controlled from 2023-02-01" in out
    # Nothing changed since HEAD: still exit 0.
    same = subprocess.run([sys.executable, "-m", "kb", "diff", "HEAD", "--records",
                           str(records_dir)], capture_output=True, text=True, cwd=repo)
    assert same.returncode == 0 and "No record changed." in same.stdout


def test_repository_files_for_contributors():
    forms = (".github/ISSUE_TEMPLATE/data-correction.yml", ".github/ISSUE_TEMPLATE/new-rule.yml",
             ".github/workflows/ci.yml", ".pre-commit-config.yaml")
    for path in ("CONTRIBUTING.md", ".github/PULL_REQUEST_TEMPLATE.md", *forms):
        assert (ROOT / path).is_file(), path
    for path in forms:
        parsed = yamlsafe.parse_bytes((ROOT / path).read_bytes())
        assert parsed.issues == [] and isinstance(parsed.data, dict), path
    workflow = (ROOT / ".github/workflows/ci.yml").read_text()
    for step in ("kb validate --format github", "pytest", "kb build", "kb diff"):
        assert step in workflow
    assert "kb validate" in (ROOT / ".pre-commit-config.yaml").read_text()
