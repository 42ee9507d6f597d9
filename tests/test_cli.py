"""The `kb` command: exit codes, output, and no traceback on any input."""

import json
import subprocess
import sys

import pytest

from kb import cli


def run(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "kb", *args], capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def test_validate_repo_prints_counts():
    code, out, err = run("validate")
    assert code == 0, err
    assert out.startswith("ok: ")
    assert "chips" in out and "rules" in out and "market-shares" in out


def test_validate_fixture_tree(records_dir, capsys):
    assert cli.main(["validate", str(records_dir)]) == 0
    out = capsys.readouterr().out
    assert out == ("ok: 2 sources, 3 organizations, 1 country-groups, 2 chips, 1 rules, "
                   "1 market-shares, 1 claims\n")


def test_validate_invalid_tree_exit_1_no_traceback(write_record, records_dir):
    write_record("chips", "acme-x1", "id: acme-x1\nname: X\nvendor: acme\nkind: gpu\nbad: 1\n")
    code, out, err = run("validate", str(records_dir))
    assert code == 1
    assert "Traceback" not in out + err
    assert "chips/acme-x1.yaml:5:1: [unknown-field] bad: unknown field 'bad'" in err


def test_validate_github_annotations(write_record, records_dir, capsys):
    write_record("chips", "acme-x1", "id: acme-x1\nname: X\nvendor: acme\nkind: gpu\nbad: 1\n")
    assert cli.main(["validate", "--format", "github", str(records_dir)]) == 1
    out = capsys.readouterr().out
    assert "::error file=" in out and "acme-x1.yaml,line=5,col=1::[unknown-field]" in out


@pytest.mark.parametrize("args", [[], ["nope"], ["validate", "/no/such/dir"],
                                  ["classify"], ["classify", "nvidia-h20", "--on", "June"],
                                  ["classify", "nvidia-h20", "--to", "ZZ"],
                                  ["classify", "no-such-chip"], ["whatif", "{tpp: {gte: }"],
                                  ["whatif", "{tpx: {gte: 1}}"], ["build", "--jobs", "0"],
                                  ["build", "--jobs", "two"]])
def test_usage_errors_exit_2(args):
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err


def test_classify_text_reasons_and_licence():
    code, out, _ = run("classify", "nvidia-a800", "--on", "2023-06-01")
    assert code == 0
    assert "not controlled" in out and "interconnect 400 GB/s < 600 GB/s" in out
    code, out, _ = run("classify", "nvidia-a800", "--on", "2024-06-01", "--to", "cn")
    assert code == 0
    assert "3A090.a    controlled" in out and "TPP 4,992 ≥ 4,800" in out
    assert "licence to CN: licence required under us-bis-2024-04-corrections 3A090.a" in out


def test_classify_json():
    code, out, _ = run("classify", "nvidia-h20", "--on", "2025-06-01", "--to", "CN", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["chip"] == "nvidia-h20" and data["tpp"] == 2368
    keys = {(d["rule_id"], d["control_id"]) for d in data["determinations"] if d["controlled"]}
    assert keys == {("us-2025-04-nvidia-h20-licence-requirement", "H20 notice")}
    assert data["requirements"][0]["policy"] == "not-stated"


def test_timeline_and_whatif():
    code, out, _ = run("timeline", "nvidia-a800", "--until", "2026-12-01")
    assert code == 0
    # Every period from the release, kept-out ones too, with the numbers.
    assert "2022-11-01 to 2023-10-22: not controlled" in out
    assert "what kept it out: interconnect 400 GB/s < 600 GB/s" in out
    assert "2023-10-23 to 2023-11-16: controlled, under 3A090.a of the October 2023" in out
    code, out, _ = run("timeline", "nvidia-h20", "--to", "CN", "--until", "2026-12-01")
    assert code == 0 and "2025-08-11 to today: licence required" in out
    assert "review policy: licences granted with conditions" in out
    code, out, _ = run("timeline", "nvidia-h20", "--to", "CN", "--json")
    periods = json.loads(out)
    assert periods[0]["status"] == "not controlled" and periods[-1]["end"] is None
    code, out, _ = run("whatif", '{"tpp": {"gte": 1000}}', "--on", "2024-06-01")
    assert code == 0 and "nvidia-h20" in out and "newly caught" in out
    code, out, _ = run("whatif", "{tpp: {gte: 1000}}", "--json")
    assert code == 0 and "nvidia-h100-sxm" in json.loads(out)["caught"]


def test_help_exits_0():
    code, out, _ = run("--help")
    assert code == 0 and "validate" in out and "classify" in out


def test_stale_review_is_a_warning_not_an_error(write_record, records_dir, capsys):
    write_record("organizations", "old-org",
                 "id: old-org\nname: Old\nkind: company\nlast_reviewed: 2024-01-02\n")
    assert cli.main(["validate", str(records_dir)]) == 0
    captured = capsys.readouterr()
    assert ("organizations/old-org.yaml:4:1: [warning stale-review] last_reviewed: last reviewed "
            "2024-01-02, over a year ago") in captured.err
    assert "0 error(s), 1 warning(s)" in captured.err
    assert captured.out.startswith("ok: ")


def test_whatif_explains_a_bad_criterion_like_validate():
    code, _, err = run("whatif", '{tpx: {gte: 1}, tpp: {gte: "1,000"}}')
    assert code == 2
    assert "criterion:1:2: [unknown-field] tpx: unknown field 'tpx'; did you mean 'tpp'?" in err
    assert "[wrong-type] tpp.gte: expected a number; found '1,000'; write 1000" in err


def test_whatif_names_vendors_kinds_and_chips_no_record_has(capsys):
    assert cli.main(["whatif", "{vendor: {in: [nvidea]}, kind: GPU, id: nvidia-h21}"]) == 2
    err = capsys.readouterr().err
    assert "vendor.in.0: no organization 'nvidea' in records/organizations/; did you mean " \
        "'nvidia'?" in err
    assert "kind.eq: unexpected value 'GPU'" in err and "did you mean 'gpu'?" in err
    assert "id.eq: no chip 'nvidia-h21' in records/chips/; did you mean 'nvidia-h20'?" in err
