"""Speed benchmarks on the real records, each figure beside its target and its floor.

    python benchmarks/run.py [--repeat N] [--records PATH]

Prints a table of medians over N runs. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kb  # noqa: E402
from kb import loader  # noqa: E402


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_parse(root: Path) -> None:
    for path in sorted(root.glob("*/*.yaml")):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def classify_all(base: kb.KnowledgeBase) -> int:
    """Every chip's status on every rule-change date (the bulk API)."""
    return sum(len(base.statuses(on=day)) for day in base.change_dates())


def cold_load(records: Path) -> float:
    """Import + load in a fresh interpreter, as a user's first call pays it."""
    code = ("import time; t = time.perf_counter(); import kb; "
            f"kb.load({str(records)!r}); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return float(out.stdout.strip())


def cold_session(records: Path) -> float:
    """``import kb`` + ``kb.session()`` (load, populate the in-memory SQL database), in a fresh
    interpreter."""
    code = ("import time; t = time.perf_counter(); import kb; "
            f"s = kb.session(records={str(records)!r}); s.__enter__(); "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return float(out.stdout.strip())


def site_build(records: Path, out: Path) -> tuple[float, float, int]:
    """Full `kb build` (load, render, exports, mkdocs) against a bare mkdocs build of the same
    staged pages; returns both times and the site's size in bytes."""
    from kb.site import build

    start = time.perf_counter()
    build.build_site(kb.load(records), out / "full")
    full = time.perf_counter() - start
    root = build.project_root(records)
    start = time.perf_counter()
    with build._source_date(kb.load(records)):
        build.mkdocs_build(root, root / "build" / "docs", out / "bare")
    bare = time.perf_counter() - start
    size = sum(p.stat().st_size for p in (out / "full").rglob("*") if p.is_file())
    return full, bare, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--records", type=Path, default=loader.default_root())
    args = parser.parse_args(argv)
    records: Path = args.records

    base = kb.load(records)
    files = len(list(records.glob("*/*.yaml")))
    parse = median_time(lambda: bare_parse(records), args.repeat)
    load = median_time(lambda: kb.load(records), args.repeat)
    cold = statistics.median(cold_load(records) for _ in range(max(1, args.repeat // 2)))
    session = statistics.median(cold_session(records) for _ in range(max(1, args.repeat // 2)))
    dates = base.change_dates()
    timings = []
    for _ in range(args.repeat):
        fresh = kb.load(records)  # a new base, so the criteria are answered afresh
        start = time.perf_counter()
        classify_all(fresh)
        timings.append(time.perf_counter() - start)
    classify = statistics.median(timings)
    determinations = classify_all(base)

    import tempfile

    from kb.site.build import BuildError, project_root

    try:
        project_root(records)
        with tempfile.TemporaryDirectory() as tmp:
            runs = [site_build(records, Path(tmp) / str(i)) for i in range(max(1, args.repeat))]
    except BuildError:  # a records folder with no mkdocs.yml and docs/ beside it: no site
        runs = []

    rows = [
        ("files", f"{files}", "", ""),
        ("bare CSafeLoader parse (floor)", f"{parse * 1000:.1f} ms", "", ""),
        ("kb.load(): validate + cross-check", f"{load * 1000:.1f} ms", "< 500 ms",
         f"{load / parse:.2f}x parse"),
        ("import kb + kb.load(), fresh process", f"{cold * 1000:.1f} ms", "< 500 ms", ""),
        ("import + load + kb.session() populate, fresh process", f"{session * 1000:.1f} ms",
         "< 500 ms", "in-memory SQLite"),
        (f"classify {len(base.chips)} chips x {len(dates)} change dates",
         f"{classify * 1000:.1f} ms", "< 1000 ms", f"{determinations} chip-day statuses"),
    ]
    if runs:
        full = statistics.median(r[0] for r in runs)
        ratio = statistics.median(r[0] / r[1] for r in runs)
        bare = statistics.median(r[1] for r in runs)
        rows += [
            ("kb build: load, render, exports, mkdocs", f"{full:.2f} s", "< 15 s",
             f"{ratio:.2f}x bare mkdocs, median of paired runs (target <= 1.25x)"),
            ("bare mkdocs build of the same pages (floor)", f"{bare:.2f} s", "", ""),
            ("site size", f"{runs[0][2] / 1e6:.1f} MB", "< 30 MB", ""),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>10}  {'target':>9}  note")
    for name, value, target, note in rows:
        print(f"{name:<{width}}  {value:>10}  {target:>9}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
