"""The benchmark script runs (one repetition); its timings are read by people, not asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_script_prints_its_table():
    proc = subprocess.run([sys.executable, "benchmarks/run.py", "--repeat", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["measure", "median", "target"]
    assert any(line.startswith("kb.load(): validate + cross-check") for line in lines)
    assert any(line.startswith("classify ") for line in lines)
