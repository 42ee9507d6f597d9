"""The benchmark script runs at a small size (one repetition); its timings are read by people,
never asserted."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_script_prints_every_stage_and_the_growth(tmp_path):
    raw = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "benchmarks/run.py", "--chips", "20", "40",
                           "--repeat", "1", "--json", str(raw)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    cut = next(i for i, x in enumerate(lines) if x.startswith("growth from 20 to 40"))
    lines, growth = lines[:cut], lines[cut:]
    assert lines[0] == "## 20 chips"
    assert lines[1].split()[:4] == ["measure", "median", "peak", "RSS"]
    for start in ("bare CSafeLoader parse (floor)", "kb.load(): validate + cross-check",
                  "classify ", "session populate", "import sqlmodel alone",
                  "cold kb.session()", "kb build --lang en:", "kb build --jobs 1:",
                  "kb build, charts and downloads made anew",
                  "kb build, English and Japanese editions", "bare mkdocs build"):
        assert sum(line.startswith(start) for line in lines) == 2, start
    assert [g.split()[0] for g in growth[2:]] == [
        "sql-import", "parse", "load", "classify", "populate", "session", "site", "site-1",
        "site-cold", "site-editions", "mkdocs", "site"]
    results = json.loads(raw.read_text())
    assert [r["chips"] for r in results] == [20, 40]
    for r in results:
        for stage in ("parse", "load", "classify", "populate", "session", "site", "site-1",
                      "site-cold", "site-editions", "mkdocs"):
            assert r["stages"][stage]["seconds"] > 0
            assert r["stages"][stage]["peak_mb"] > 10
        assert r["site_bytes"] > 1_000_000
