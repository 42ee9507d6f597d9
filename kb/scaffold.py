"""`kb new`: commented templates for every record kind, written where the record belongs."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path

from kb.errors import KBError, cannot_write
from kb.models.common import SLUG_PATTERN
from kb.schema import editor_header

KIND_FOLDERS = {
    "chip": "chips",
    "organization": "organizations",
    "rule": "rules",
    "country-group": "country-groups",
    "market-share": "market-shares",
    "source": "sources",
    "claim": "claims",
}

TEMPLATES = {
    "chips": """\
# New chip. Fill in what a source states and delete the lines you cannot source.
# Every figure needs a citation below; dense figures only (halve "with sparsity" numbers and say so).
# TPP and performance density are computed from dense_tops and die_area_mm2: never type them.
id: {id}
name: ""                        # full product name, e.g. "NVIDIA H100 SXM5 80GB"
vendor: ""                      # organization id, a file in records/organizations/
kind: gpu                       # gpu | asic | cpu | fpga
# family: Hopper
# released: 2022-09             # YYYY-MM-DD, or YYYY-MM when the day is unknown
# datacenter: true              # designed or marketed for data centres (a rule criterion)
# foundry: tsmc                 # organization id
# process: TSMC 4N
# die_area_mm2: 814             # sum over the logic dies, in mm²; or {{low: 600, high: 700}}
# logic_dies: 1                 # number of logic dies (1: monolithic); bounds an unknown area
# transistors_billion: 80
# dense_tops:                   # dense peak tera-operations/s per operand type
#   fp8: 1978.9                 # fp64 fp32 tf32 bf16 fp16 fp8 fp6 fp4 int8 int4
#   bf16: 989.4                 # sources disagree? a range: {{low: 900, high: 989.4}},
#                               # citing dense_tops.bf16.low and dense_tops.bf16.high
# stated_tpp: 15832             # only a TPP the vendor or a regulator states
# memory: {{type: HBM3, capacity_gb: 80, bandwidth_gb_s: 3350}}
# interconnect_gb_s: 900        # aggregate bidirectional chip-to-chip rate, GB/s
# tdp_w: 700
# variant_of: nvidia-h100-sxm   # the parent of a compliance or market variant
# notes: >-
#   How the figures were read, what is disputed, what is unknown.
last_reviewed: {today}         # the day you checked the figures against the sources
citations: []
#  - source: vendor-datasheet   # a file in records/sources/
#    fields: [released, dense_tops, memory, interconnect_gb_s]
#    tier: official             # official | reported | estimated
#    note: "sparse figures halved"
""",
    "organizations": """\
# New organization: a chip designer, foundry, government or analyst that records refer to.
id: {id}
name: ""
kind: chip-designer             # chip-designer | foundry | government | analyst | company | other
# country: US                   # ISO 3166-1 alpha-2 code of the headquarters
# url: https://www.example.com
last_reviewed: {today}
""",
    "sources": """\
# New source: a document a reader can open. Never invent a URL, title or date.
id: {id}
title: ""
publisher: ""
# published: 2023-10            # YYYY-MM-DD or YYYY-MM
url: ""                         # http(s) address of the document
kind: datasheet                 # regulation | datasheet | filing | analysis | news | official-statement | reference
# notes: >-
#   Where in the document the figures are.
last_reviewed: {today}
""",
    "market-shares": """\
# New market-share estimate: who estimated whose share of which market, and how.
id: {id}
subject: ""                     # organization id whose share is estimated
estimator: ""                   # organization id that made the estimate
market: ""                      # the market as the estimator defines it
scope: ai-accelerator           # gpu | ai-accelerator | ai-chip | other
region: global                  # global, or an ISO code such as CN
period_start: ""                # YYYY-MM or YYYY-MM-DD
period_end: ""
metric: revenue                 # revenue | units | shipments | unstated
value_pct: 0                    # percent, 0-100 (write 92, not 0.92); or value_pct_low/high
qualifier: about                # about | at-least | at-most | exact
# quote: "the exact wording of the claim"
# published: 2024-01
last_reviewed: {today}
citations: []
#  - {{source: analyst-report, fields: [value_pct], tier: reported}}
""",
    "country-groups": """\
# New country group with dated membership (empty from: not recorded; empty to: still a member).
id: {id}
name: ""
# code: "D:5"
authority: ""                   # organization id, e.g. us-bis
members: []
#  - {{country: CN}}
#  - {{country: KH, from: 2021-12-09, to: 2026-02-02, source: fr-notice}}
last_reviewed: {today}
citations: []
""",
    "claims": """\
# New claim: a public statement, the evidence for and against it, and a verdict.
id: {id}
statement: ""                   # the claim, quoted or closely paraphrased
claimant: ""                    # who made it
# organization: nvidia          # the claimant's organization id, if recorded
made: ""                        # YYYY-MM or YYYY-MM-DD
where: ""                       # the report, interview, filing or post
source: ""                      # source id where the claim itself can be read
# figures:
#   - {{value: 90, unit: percent, what: "NVIDIA's share of AI accelerators"}}
verdict: unverified             # supported | disputed | misleading | unverified
reasoning: ""
evidence: []
#  - {{source: analyst-report, stance: supports, tier: reported, note: "what it says"}}
# related: {{chips: [], rules: [], market_shares: [], organizations: []}}
last_reviewed: {today}
""",
    "rules": """\
# New rule: a legal instrument, letter, licensing decision or announcement, with its controls.
id: {id}
title: ""                       # the official title
short_title: ""                 # how people refer to it
jurisdiction: US                # ISO code, or EU
authority: ""                   # organization id, e.g. us-bis
instrument: final-rule          # interim-final-rule | final-rule | correction | rescission | regulation | law
                                # | licence-letter | licensing-decision | announcement | guidance | administrative-action
# citation: 88 FR 73458
# document_number: 2023-23055
url: ""                         # the official text
dates: {{}}                       # e.g. {{announced: 2023-10-17, published: 2023-10-25, effective: 2023-11-17}}
summary: ""
# status_note: where the official status is unusual, say so plainly
controls: []
#  - id: 3A090.a
#    paragraph: "15 CFR 774 Supp. 1, ECCN 3A090.a"
#    description: what the paragraph catches, in plain words
#    criterion: {{any: [{{tpp: {{gte: 4800}}}}, {{tpp: {{gte: 1600}}, performance_density: {{gte: 5.92}}}}]}}
#    destinations: {{groups: [us-ear-d1, us-ear-d4, us-ear-d5], except_groups: [us-ear-a5, us-ear-a6]}}
#    licence_policy: presumption-of-denial
last_reviewed: {today}
citations: []
""",
}


class ScaffoldError(KBError):
    """The record cannot be created (bad id, existing file, unknown kind)."""


def new_record(records: Path, kind: str, rid: str, from_id: str | None = None) -> Path:
    """Write a commented template for a new record; never overwrite anything."""
    if kind not in KIND_FOLDERS:
        raise ScaffoldError(f"unknown kind '{kind}'; choose one of {', '.join(KIND_FOLDERS)}")
    if not _is_slug(rid):
        raise ScaffoldError(f"'{rid}' is not a valid id: use lowercase letters, digits and single "
                            "hyphens, e.g. 'acme-x1'")
    if not records.is_dir():
        raise ScaffoldError(f"no records folder at {records}")
    folder = KIND_FOLDERS[kind]
    path = records / folder / f"{rid}.yaml"
    if path.exists():
        raise ScaffoldError(f"{path} already exists; edit it instead")
    clash = [p for p in records.glob(f"*/{rid}.yaml") if p.parent.name == folder]
    if clash:
        raise ScaffoldError(f"{clash[0]} already exists")
    if from_id is not None:
        if kind != "chip":
            raise ScaffoldError("--from works for chips only")
        source = _existing(records / folder, from_id, kind)
        body = _from_chip(source.read_text(encoding="utf-8"), rid, from_id)
    else:
        body = TEMPLATES[folder].format(id=rid, today=dt.date.today().isoformat())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite
            f.write(f"{editor_header(folder)}\n{body}")
    except FileExistsError as exc:
        if path.exists() or path.is_symlink():  # created between the check above and now
            raise ScaffoldError(f"{path} already exists; edit it instead") from None
        raise cannot_write(path, exc) from None
    except OSError as exc:
        # Not ScaffoldError: the command was right, the folder is not writable (exit 1, not 2).
        raise cannot_write(path, exc) from None
    return path


def _is_slug(value: str) -> bool:
    # fullmatch: with re.match the pattern's "$" also matches before a trailing newline.
    return re.fullmatch(SLUG_PATTERN, value) is not None and len(value) <= 100


def _existing(folder: Path, rid: str, kind: str) -> Path:
    """The file of record ``rid`` in ``folder``, and nowhere else.

    ``--from`` takes an id, never a path: "../rules/x" or "/etc/x" would copy any YAML the
    user can read into a new record. A symlink inside the folder that leads out of it is refused
    for the same reason.
    """
    known = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
    # For a path such as "../chips/acme-x1.yaml" the id the user meant is its last part.
    wanted = rid.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".yaml")
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    if not _is_slug(rid):
        raise ScaffoldError(f"--from takes the id of a {kind} in {folder}, not a path: "
                            f"'{rid}' is not an id{hint}")
    source = folder / f"{rid}.yaml"
    if not source.is_file():
        raise ScaffoldError(f"no {kind} '{rid}' to start from ({source} not found){hint}")
    if not source.resolve().is_relative_to(folder.resolve()):
        raise ScaffoldError(f"{source} leads outside {folder}; start from a {kind} whose file "
                            "is in that folder")
    return source


def _from_chip(text: str, rid: str, from_id: str) -> str:
    lines = [ln for ln in text.splitlines() if not ln.startswith("# yaml-language-server:")]
    out = [f"# Started from {from_id}: every figure and citation below is the parent's. Check each",
           "# against a source for this chip; change or delete what differs."]
    for line in lines:
        if line.startswith("id:"):
            out.append(f"id: {rid}")
        elif line.startswith("name:"):
            out.append('name: ""                        # full product name')
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def next_steps(path: Path, kind: str) -> str:
    return "\n".join([
        f"created {path}",
        "next:",
        f"  1. fill in {path.name}: every figure with a citation naming its source",
        "  2. add any new source to records/sources/ (kb new source ID)",
        "  3. kb validate                # every problem, with file:line:col",
        *(["  4. kb classify " + path.stem + "    # what the rules say about it, and why"]
          if kind == "chip" else []),
    ])
