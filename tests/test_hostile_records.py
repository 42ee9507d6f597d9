"""Broken records built from the real ones, each refused with exactly its messages.

The single-file cases live in tests/fixtures/bad/ (tests/test_bad_records.py). These need more
than one file (reference cycles) or the real records' own references (organizations, chips,
controls of other rules), so each starts from a copy of records/ and edits real files.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import kb
from kb import cli, crosscheck, metrics
from kb.errors import RecordsInvalid

REAL = Path(__file__).resolve().parent.parent / "records"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (found exactly once) with ``new`` in records/<kind>/<rid>.yaml; with
    ``copy_of``, first create the file from that real record."""

    kind: str
    rid: str
    old: str
    new: str
    copy_of: str | None = None


@dataclass(frozen=True)
class Expect:
    """One reported line: the file, the line holding ``line_has`` (the first one at or after the
    line holding ``after``, when given), the column where ``col_at`` starts on it, and the rest."""

    kind: str
    rid: str
    line_has: str
    col_at: str
    rest: str
    after: str | None = None


def _apply(root: Path, edits: tuple[Edit, ...]) -> None:
    for e in edits:
        path = root / e.kind / f"{e.rid}.yaml"
        if e.copy_of:
            path.write_text((root / e.kind / f"{e.copy_of}.yaml").read_text(encoding="utf-8"),
                            encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        assert text.count(e.old) == 1, f"{e.rid}: {e.old!r} is not in the file exactly once"
        path.write_text(text.replace(e.old, e.new), encoding="utf-8")


def _line(root: Path, x: Expect) -> str:
    lines = (root / x.kind / f"{x.rid}.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if x.after in line) if x.after else 0
    number = next(i for i in range(start, len(lines)) if x.line_has in lines[i])
    col = lines[number].index(x.col_at) + 1
    return f"{x.kind}/{x.rid}.yaml:{number + 1}:{col}: {x.rest}"


CYCLE_NOTE = "a chip's chain of parents must end at a chip that is not a variant"
LINEAGE_NOTE = "a rule amends, replaces or ends only rules that came before it"
SUPERSEDES_NOTE = "a control supersedes only controls that started before it"
R22, R23, R24 = ("us-bis-2022-10-advanced-computing", "us-bis-2023-10-advanced-computing",
                 "us-bis-2024-04-corrections")
MACAU, DIFFUSION, RESCISSION = ("us-bis-2023-01-macau", "us-bis-2025-01-ai-diffusion",
                                "us-bis-2025-05-diffusion-rescission")
H20_RULE = "us-2025-04-nvidia-h20-licence-requirement"
SHARE_RULE = "us-2025-08-h20-mi308-revenue-share"

CASES: dict[str, tuple[tuple[Edit, ...], tuple[Expect, ...]]] = {
    "variant-of-two-chip-cycle": (
        (Edit("chips", "nvidia-h100-sxm", "kind: gpu\n", "kind: gpu\nvariant_of: nvidia-h20\n"),),
        (Expect("chips", "nvidia-h100-sxm", "variant_of: nvidia-h20", "variant_of",
                "[reference-cycle] variant_of: variant_of forms a cycle: nvidia-h100-sxm -> "
                f"nvidia-h20 -> nvidia-h100-sxm; {CYCLE_NOTE}"),
         Expect("chips", "nvidia-h20", "variant_of: nvidia-h100-sxm", "variant_of",
                "[reference-cycle] variant_of: variant_of forms a cycle: nvidia-h20 -> "
                f"nvidia-h100-sxm -> nvidia-h20; {CYCLE_NOTE}")),
    ),
    "variant-of-three-chip-cycle": (
        (Edit("chips", "intel-gaudi3", "kind: asic\n",
              "kind: asic\nvariant_of: intel-gaudi3-hl388\n"),
         Edit("chips", "intel-gaudi3-hl388", "variant_of: intel-gaudi3\n",
              "variant_of: intel-gaudi3-hl328\n")),
        (Expect("chips", "intel-gaudi3", "variant_of:", "variant_of",
                "[reference-cycle] variant_of: variant_of forms a cycle: intel-gaudi3 -> "
                f"intel-gaudi3-hl388 -> intel-gaudi3-hl328 -> intel-gaudi3; {CYCLE_NOTE}"),
         Expect("chips", "intel-gaudi3-hl388", "variant_of:", "variant_of",
                "[reference-cycle] variant_of: variant_of forms a cycle: intel-gaudi3-hl388 -> "
                f"intel-gaudi3-hl328 -> intel-gaudi3 -> intel-gaudi3-hl388; {CYCLE_NOTE}"),
         Expect("chips", "intel-gaudi3-hl328", "variant_of:", "variant_of",
                "[reference-cycle] variant_of: variant_of forms a cycle: intel-gaudi3-hl328 -> "
                f"intel-gaudi3 -> intel-gaudi3-hl388 -> intel-gaudi3-hl328; {CYCLE_NOTE}")),
    ),
    # The case: without the check, no 3A090.a is in force on 2024-06-01.
    "supersedes-two-rule-cycle": (
        (Edit("rules", R22, "  - id: 3A090.a\n",
              f"  - id: 3A090.a\n    supersedes:\n      - {{rule: {R23}, control: 3A090.a}}\n"),),
        (Expect("rules", R22, f"{{rule: {R23}", "{",
                "[reference-cycle] controls[0].supersedes[0]: supersedes forms a cycle: "
                f"{R22} 3A090.a -> {R23} 3A090.a -> {R22} 3A090.a; {SUPERSEDES_NOTE}"),
         Expect("rules", R23, f"{{rule: {R22}", "{",
                "[reference-cycle] controls[0].supersedes[0]: supersedes forms a cycle: "
                f"{R23} 3A090.a -> {R22} 3A090.a -> {R23} 3A090.a; {SUPERSEDES_NOTE}")),
    ),
    "amends-two-rule-cycle": (
        (Edit("rules", R22, "summary: >-\n", f"amends: [{MACAU}]\nsummary: >-\n"),),
        (Expect("rules", R22, "amends:", MACAU,
                f"[reference-cycle] amends[0]: amends forms a cycle: {R22} -> {MACAU} -> {R22}; "
                f"{LINEAGE_NOTE}"),
         Expect("rules", MACAU, "amends:", R22,
                f"[reference-cycle] amends[0]: amends forms a cycle: {MACAU} -> {R22} -> {MACAU}; "
                f"{LINEAGE_NOTE}")),
    ),
    "amends-and-replaces-three-rule-cycle": (
        (Edit("rules", R22, "summary: >-\n", f"replaces: [{R24}]\nsummary: >-\n"),),
        (Expect("rules", R22, "replaces:", R24,
                f"[reference-cycle] replaces[0]: replaces and amends form a cycle: {R22} -> {R24} "
                f"-> {R23} -> {R22}; {LINEAGE_NOTE}"),
         Expect("rules", R24, "amends:", R23,
                f"[reference-cycle] amends[0]: amends and replaces form a cycle: {R24} -> {R23} "
                f"-> {R22} -> {R24}; {LINEAGE_NOTE}"),
         Expect("rules", R23, "amends:", R22,
                f"[reference-cycle] amends[0]: amends and replaces form a cycle: {R23} -> {R22} "
                f"-> {R24} -> {R23}; {LINEAGE_NOTE}")),
    ),
    "ends-two-rule-cycle": (
        (Edit("rules", DIFFUSION, "amends: [", f"ends: [{RESCISSION}]\namends: ["),),
        (Expect("rules", DIFFUSION, "ends:", RESCISSION,
                f"[reference-cycle] ends[0]: ends forms a cycle: {DIFFUSION} -> {RESCISSION} -> "
                f"{DIFFUSION}; {LINEAGE_NOTE}"),
         Expect("rules", RESCISSION, "ends:", DIFFUSION,
                f"[reference-cycle] ends[0]: ends forms a cycle: {RESCISSION} -> {DIFFUSION} -> "
                f"{RESCISSION}; {LINEAGE_NOTE}")),
    ),
    "amends-a-later-rule": (
        (Edit("rules", MACAU, f"amends: [{R22}]", f"amends: [{R23}]"),),
        (Expect("rules", MACAU, "amends:", R23,
                f"[date-order] amends[0]: '{R23}' was made public on 2023-10-17, after this rule "
                "(2023-01-17): a rule can only amend rules that came before it"),),
    ),
    "supersedes-a-later-control": (
        (Edit("rules", MACAU, "  - id: 3A090.a\n",
              f"  - id: 3A090.a\n    supersedes:\n      - {{rule: {R24}, control: 3A090.b}}\n"),),
        (Expect("rules", MACAU, f"{{rule: {R24}", "{",
                f"[date-order] controls[0].supersedes[0]: '{R24} 3A090.b' starts 2024-04-04, not "
                "before this control (2023-01-17): a superseded control ends the day before its "
                "successor starts, so it would never be in force"),),
    ),
    "policy-of-a-review-policy": (
        (Edit("rules", SHARE_RULE,
              "{rule: us-2025-04-amd-mi308-licence-requirement, control: MI308 notice}",
              "{rule: us-bis-2026-01-license-review-policy, control: 742.6(b)(10) H200 class}"),),
        (Expect("rules", SHARE_RULE, "{rule: us-bis-2026-01-license-review-policy", "{",
                "[invalid-reference] controls[0].policy_of[1]: "
                "'us-bis-2026-01-license-review-policy 742.6(b)(10) H200 class' is a review-policy "
                "control; policy_of names the "
                "licence-requirement controls whose licences this control's policy reviews"),),
    ),
    # Effect before any public act, with no published date to compare with.
    "effective-before-announced": (
        (Edit("rules", "us-bis-2024-12-fdpr-hbm",
              "  announced: 2024-12-02\n  published: 2024-12-05\n  effective: 2024-12-02\n",
              "  announced: 2024-12-02\n  effective: 2024-11-01\n"),),
        (Expect("rules", "us-bis-2024-12-fdpr-hbm", "  effective: 2024-11-01", "effective",
                "[date-order] dates.effective: effective 2024-11-01 is before announced "
                "2024-12-02: a rule takes effect on or after its first public act; give "
                "public_inspection or announced if it took effect on display (only a licence "
                "letter binds its addressee before any public act)"),),
    ),
    "criterion-vendor-misspelt": (
        (Edit("rules", H20_RULE, "      vendor: nvidia\n", "      vendor: nvidea\n"),),
        (Expect("rules", H20_RULE, "vendor: nvidea", "vendor",
                "[unknown-reference] controls[0].criterion.vendor: no organization 'nvidea' in "
                "records/organizations/; did you mean 'nvidia'?"),),
    ),
    "criterion-kind-capitalised": (
        (Edit("rules", H20_RULE, "      vendor: nvidia\n",
              "      vendor: nvidia\n      kind: GPU\n"),),
        (Expect("rules", H20_RULE, "kind: GPU", "kind",
                "[invalid-choice] controls[0].criterion.kind: unexpected value 'GPU'; expected "
                "'gpu', 'asic', 'cpu' or 'fpga'; did you mean 'gpu'?"),),
    ),
    "criterion-chip-misspelt": (
        (Edit("rules", SHARE_RULE, "[nvidia-h20, amd-mi308x]", "[nvidia-h20, amd-mi308]"),),
        (Expect("rules", SHARE_RULE, "id: {in: [nvidia-h20, amd-mi308]}", "amd-mi308",
                "[unknown-reference] controls[0].criterion.id.in[1]: no chip 'amd-mi308' in "
                "records/chips/; did you mean 'amd-mi308x'?"),),
    ),
    "citation-field-misspelt": (
        (Edit("chips", "nvidia-h100-sxm",
              "[dense_tops.fp64, dense_tops.fp32, memory.type,",
              "[dense_tops.fp64, dense_tops.fp32, memory.tpye,"),),
        (Expect("chips", "nvidia-h100-sxm", "memory.tpye", "memory.tpye",
                "[unknown-field] citations[1].fields[2]: no field 'tpye' in 'memory'; did you "
                "mean 'type'?"),),
    ),
    "disputed-text-field-given-a-number": (
        (Edit("chips", "amd-mi250x", "    value: 7nm\n", "    value: 7\n"),),
        (Expect("chips", "amd-mi250x", "    value: 7", "value",
                "[wrong-type] disputed[2].value: 'process' holds text; found the number 7; "
                "quote it"),),
    ),
    "source-url-with-a-quote": (
        (Edit("sources", "acme-new-source",
              "url: https://9to5google.com/2021/05/18/google-unveils-4th-generation-tensor-"
              "processing-unit/\n", "url: 'https://9to5google.com/\"onclick=\"alert(1)'\n",
              copy_of="9to5google-tpu-v4-unveiled"),
         Edit("sources", "acme-new-source", "id: 9to5google-tpu-v4-unveiled",
              "id: acme-new-source")),
        (Expect("sources", "acme-new-source", "url: ", "url",
                "[invalid-value] url: not a URL: 'https://9to5google.com/\"onclick=\"alert(1)' "
                "holds the character '\"'; percent-encode it as %22"),),
    ),
}


@pytest.fixture
def real_records(tmp_path: Path) -> Path:
    target = tmp_path / "records"
    shutil.copytree(REAL, target)
    return target


def _validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    status = cli.main(["validate", str(root)])
    out, err = capsys.readouterr()
    # Paths are shown as the user would type them (relative or not): keep what follows records/.
    lines = [line.split("records/", 1)[1] for line in err.splitlines()
             if ": [" in line and ": [warning " not in line]
    return status, lines, out + err


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_real_records_are_refused_with_exactly_their_messages(case, real_records, capsys):
    edits, expects = CASES[case]
    _apply(real_records, edits)
    status, reported, output = _validate(real_records, capsys)
    assert status == 1
    assert "Traceback" not in output and "internal error" not in output
    assert sorted(reported) == sorted(_line(real_records, x) for x in expects)


def test_problems_of_several_cases_come_in_one_run(real_records, capsys):
    names = ["variant-of-two-chip-cycle", "supersedes-two-rule-cycle", "criterion-vendor-misspelt",
             "citation-field-misspelt"]
    for name in names:
        _apply(real_records, CASES[name][0])
    status, reported, output = _validate(real_records, capsys)
    expected = [_line(real_records, x) for name in names for x in CASES[name][1]]
    assert status == 1
    assert sorted(reported) == sorted(expected)
    assert re.search(rf"\b{len(expected)} error\(s\), \d+ warning\(s\)", output)


def test_the_real_records_stay_valid(real_records, capsys):
    status, reported, _ = _validate(real_records, capsys)
    assert (status, reported) == (0, [])


def test_a_cycle_stops_the_load_before_any_export(real_records):
    # A variant_of cycle used to reach the SQLite export and fail there with a foreign-key dump.
    _apply(real_records, CASES["variant-of-two-chip-cycle"][0])
    with pytest.raises(RecordsInvalid) as exc:
        kb.load(real_records)
    assert {p.code for p in exc.value.problems if p.severity == "error"} == {"reference-cycle"}


def test_a_licence_letter_may_take_effect_before_it_is_announced(real_records, capsys):
    # The real H20 letter: in force on 2025-04-09, disclosed on 2025-04-15. The same dates on a
    # final rule are refused.
    _apply(real_records, (Edit("rules", H20_RULE, "instrument: licence-letter",
                               "instrument: final-rule"),))
    status, reported, _ = _validate(real_records, capsys)
    assert status == 1
    mine = [line for line in reported if line.startswith(f"rules/{H20_RULE}.yaml:")]
    assert mine == [_line(real_records, Expect(
        "rules", H20_RULE, "  effective: 2025-04-09", "effective",
        "[date-order] dates.effective: effective 2025-04-09 is before announced 2025-04-15: a "
        "rule takes effect on or after its first public act; give public_inspection or announced "
        "if it took effect on display (only a licence letter binds its addressee before any "
        "public act)"))]


def test_every_text_metric_has_its_values_checked():
    text = {name for name, m in metrics.METRICS.items() if m.type == "text"}
    assert text == set(crosscheck.TEXT_VALUES)


def test_cycles_finds_every_member_and_nothing_else():
    def edge(label: str) -> tuple[str, tuple[str]]:
        return (label, (label,))

    graph = {
        "a": [("b", edge("ab"))],
        "b": [("c", edge("bc")), ("x", edge("bx"))],
        "c": [("a", edge("ca")), ("b", edge("cb"))],
        "x": [("y", edge("xy"))],  # a tail out of the cycle
        "y": [("y", edge("yy"))],  # a self-reference: the caller's to word
        "z": [("outside", edge("zo"))],  # a reference outside the graph
    }
    found = crosscheck.cycles(graph)
    assert set(found) == {"a", "b", "c"}
    assert found["a"] == crosscheck.Cycle(["a", "b", "c", "a"], edge("ab"), ["ab", "bc", "ca"], 3)
    # The shortest way round from b is b -> c -> b, not through a.
    assert found["b"] == crosscheck.Cycle(["b", "c", "b"], edge("bc"), ["bc", "cb"], 2)
    assert found["c"].spell() == "c -> b -> c"


def test_a_long_cycle_is_named_with_its_middle_left_out():
    graph = {i: [((i + 1) % 20, ("amends", (i,)))] for i in range(20)}
    found = crosscheck.cycles(graph)
    assert found[3].spell() == ("3 -> 4 -> 5 -> 6 -> 7 -> 8 -> 9 -> 10 -> 11 -> 12 -> 13 -> 14 -> "
                                "... -> 3 (20 references)")
    assert found[3].first == ("amends", (3,))


def test_cycle_detection_stays_linear_on_a_huge_cycle():
    # 50,000 nodes in one cycle: a search per node would take hours; one walk per node through
    # a root is linear, and each message names only the first steps.
    n = 50_000
    graph = {i: [((i + 1) % n, ("next", (i,)))] for i in range(n)}
    found = crosscheck.cycles(graph)
    assert len(found) == n
    assert found[0].nodes[:3] == [0, 1, 2] and found[0].nodes[-1] == 0
    assert found[0].length == n and found[0].first == ("next", (0,))
    assert found[n - 1].spell().startswith(f"{n - 1} -> 0 -> 1 -> ")


def test_unknown_values_of_a_criterion_typed_outside_the_records(base):
    criterion = kb.models.Criterion.model_validate({
        "vendor": "nvidea",
        "any": [{"kind": "GPU"}, {"id": {"in": ["nvidia-h20", "nvidia-h2o"]}}]})
    records = {"organizations": base.organizations, "chips": base.chips}
    # Groups come before metrics, as Criterion.parts() orders them.
    assert list(crosscheck.unknown_values(criterion, records)) == [
        (("any", 0, "kind", "eq"), "invalid-choice",
         "unexpected value 'GPU'; expected 'gpu', 'asic', 'cpu' or 'fpga'; did you mean 'gpu'?"),
        (("any", 1, "id", "in", 1), "unknown-reference",
         "no chip 'nvidia-h2o' in records/chips/; did you mean 'nvidia-h20'?"),
        (("vendor", "eq"), "unknown-reference",
         "no organization 'nvidea' in records/organizations/; did you mean 'nvidia'?"),
    ]
