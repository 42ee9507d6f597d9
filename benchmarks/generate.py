"""Write a synthetic but valid knowledge base of N chips, to measure how the project scales.

    python benchmarks/generate.py 10000 /tmp/kb-10k

The real rules, country groups and their organizations and sources are copied as they are (the
engine's work grows with chips x controls); chips, sources, vendors and market-share estimates are
generated in proportion: one vendor per 20 chips, one source per 2 chips, one estimate per 10 chips.
The output is the same for the same N.
"""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "records"
OPERANDS = ["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4"]


def generate(n_chips: int, out: Path, seed: int = 20261129) -> Path:
    rng = random.Random(seed)
    records = out / "records"
    if records.exists():
        shutil.rmtree(records)
    for kind in ("chips", "organizations", "rules", "country-groups", "market-shares", "sources",
                 "claims"):
        (records / kind).mkdir(parents=True)
    # Real rules and groups, with every organization and source they may cite.
    for kind in ("rules", "country-groups", "organizations", "sources"):
        for path in (REAL / kind).glob("*.yaml"):
            shutil.copy(path, records / kind / path.name)
    # A criterion may name only chips that exist: the real chips the real rules name, with their
    # parents (variant_of), come along, and count among the N.
    rules_text = " ".join(p.read_text(encoding="utf-8") for p in (REAL / "rules").glob("*.yaml"))
    wanted = {p.stem for p in (REAL / "chips").glob("*.yaml")
              if re.search(rf"(?<![a-z0-9-]){re.escape(p.stem)}(?![a-z0-9-])", rules_text)}
    while wanted:
        chip = wanted.pop()
        text = (REAL / "chips" / f"{chip}.yaml").read_text(encoding="utf-8")
        (records / "chips" / f"{chip}.yaml").write_text(text, encoding="utf-8")
        parent = re.search(r"^variant_of: (\S+)$", text, re.M)
        if parent and not (records / "chips" / f"{parent[1]}.yaml").exists():
            wanted.add(parent[1])
    header = "# yaml-language-server: $schema=../../schemas/{}.schema.json\n"
    vendors = [f"synthetic-vendor-{i}" for i in range(max(1, n_chips // 20))]
    for vid in vendors:
        (records / "organizations" / f"{vid}.yaml").write_text(
            header.format("organization")
            + f"id: {vid}\nname: Synthetic vendor {vid[17:]}\nkind: chip-designer\n"
            f"country: {rng.choice(['US', 'CN', 'KR', 'JP', 'NL', 'TW'])}\n"
            "last_reviewed: 2026-11-29\n")
    n_sources = max(1, n_chips // 2)
    for i in range(n_sources):
        (records / "sources" / f"synthetic-source-{i}.yaml").write_text(
            header.format("source")
            + f"id: synthetic-source-{i}\ntitle: Synthetic datasheet {i}\npublisher: Synthetic\n"
            # Published before the review date: a source cannot be reviewed before it exists.
            f"published: 20{rng.randint(18, 25):02d}-{rng.randint(1, 12):02d}\n"
            f"url: https://example.org/datasheets/{i}.pdf\nkind: datasheet\n"
            "last_reviewed: 2026-11-29\n")
    for i in range(max(0, n_chips - len(list((records / "chips").glob("*.yaml"))))):
        tops = rng.choice([50, 150, 300, 600, 1000, 2000, 4000])
        dense = {op: round(tops * rng.uniform(0.2, 1.2) / (2 ** (OPERANDS.index(op) % 3)), 1)
                 for op in rng.sample(OPERANDS, rng.randint(2, 6))}
        dense_text = "\n".join(f"  {op}: {v}" for op, v in sorted(dense.items()))
        area = rng.randint(100, 1700)
        source = f"synthetic-source-{i % n_sources}"
        (records / "chips" / f"synthetic-chip-{i}.yaml").write_text(
            header.format("chip")
            + f"id: synthetic-chip-{i}\nname: Synthetic accelerator {i}\n"
            f"vendor: {vendors[i % len(vendors)]}\nkind: {rng.choice(['gpu', 'asic'])}\n"
            f"released: 20{rng.randint(17, 26):02d}-{rng.randint(1, 12):02d}\n"
            f"datacenter: {rng.choice(['true', 'false'])}\n"
            f"die_area_mm2: {area}\ndense_tops:\n{dense_text}\n"
            f"memory: {{type: HBM3, capacity_gb: {rng.choice([16, 48, 80, 141])}, "
            f"bandwidth_gb_s: {rng.randint(500, 8000)}}}\n"
            f"interconnect_gb_s: {rng.choice([0, 64, 300, 400, 600, 900, 1800])}\n"
            f"tdp_w: {rng.randint(75, 1200)}\n"
            "notes: >-\n  A synthetic record for benchmarks; its figures mean nothing.\n"
            "last_reviewed: 2026-11-29\n"
            f"citations:\n  - source: {source}\n"
            "    fields: [released, datacenter, die_area_mm2, dense_tops, memory, "
            "interconnect_gb_s, tdp_w]\n    tier: official\n")
    for i in range(max(1, n_chips // 10)):
        year = rng.randint(2019, 2026)
        (records / "market-shares" / f"synthetic-share-{i}.yaml").write_text(
            header.format("market-share")
            + f"id: synthetic-share-{i}\nsubject: {vendors[i % len(vendors)]}\n"
            f"estimator: {vendors[(i + 1) % len(vendors)]}\nmarket: Synthetic accelerators\n"
            f"scope: ai-accelerator\nregion: {rng.choice(['global', 'CN'])}\n"
            f"period_start: {year}-01\nperiod_end: {year}-12\n"
            f"metric: {rng.choice(['revenue', 'units'])}\nvalue_pct: {rng.randint(0, 100)}\n"
            "last_reviewed: 2026-11-29\n"
            f"citations:\n  - {{source: synthetic-source-{i % n_sources}, fields: [value_pct], "
            "tier: reported}\n")
    # A project around the records, so the site can be built from them too.
    for name in ("mkdocs.yml", "mkdocs.ja.yml", "CONTRIBUTING.md"):
        shutil.copy(ROOT / name, out / name)
    if (out / "docs").exists():
        shutil.rmtree(out / "docs")
    shutil.copytree(ROOT / "docs", out / "docs")
    return records


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python benchmarks/generate.py N_CHIPS OUT_DIR")
    path = generate(int(sys.argv[1]), Path(sys.argv[2]))
    print(path)
