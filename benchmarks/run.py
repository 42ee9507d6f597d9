"""Speed and memory of every stage, each beside its floor and its target, in one run.

    python benchmarks/run.py                       # the repository's records
    python benchmarks/run.py --records PATH        # any records folder
    python benchmarks/run.py --chips 1000 10000    # synthetic knowledge bases (generate.py)

Every measurement runs in a fresh interpreter (`--stage NAME`), so each stage's peak memory is
its own process's peak resident set, and cold starts are cold. Times are medians of `--repeat`
runs; the site (`kb build`, and `kb build --jobs 1`) and its floor, a bare mkdocs build of the
same staged pages, are timed in rounds, and each ratio is the median over the rounds. With
several sizes, a last table gives each stage's growth from the smallest to the largest.
Timings are read by people, never asserted in tests.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROCESS_START = time.perf_counter()  # the site stages are timed from here, imports included
ROOT = Path(__file__).resolve().parent.parent
STAGES = ("sql-import", "parse", "load", "classify", "populate", "session", "site", "site-1",
          "site-cold", "site-editions", "mkdocs")
# The English edition alone (--lang en), each against a bare mkdocs build of the same pages.
SITE_STAGES = ("site", "site-1", "site-cold")
# Every edition (English and Japanese), against the English edition alone.
EDITIONS_STAGE = "site-editions"


# ---------------------------------------------------------------------------------------------
# Stages: each runs in its own interpreter and prints {"seconds": ..., "peak_mb": ...}.


def _peak_mb() -> float:
    """This process's peak resident set, or its largest helper's (the session's worker, the
    build's assets process), in MB."""
    # VmHWM belongs to this process's own memory map; ru_maxrss would also count the parent's
    # size at fork time, which Linux carries across exec.
    own = 0.0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return max(own, children)


def _files(records: Path) -> list[Path]:
    return sorted(records.glob("*/*.yaml"))


def _stage(name: str, records: Path) -> float:
    """Run one stage; returns the seconds it took (what it times is said beside each)."""
    started = time.perf_counter()
    if name == "sql-import":  # floor of a cold session: importing the SQL stack alone
        import sqlmodel  # noqa: F401

        return time.perf_counter() - started
    if name == "session":  # cold: import kb, load (worker), populate in-memory SQLite
        import kb

        with kb.session(records=records):
            return time.perf_counter() - started
    if name == "parse":  # floor of the load: the bare C YAML parse of the same files
        import yaml

        paths = _files(records)
        started = time.perf_counter()
        for path in paths:
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        return time.perf_counter() - started

    import kb

    if name == "load":  # validate + cross-check, imports excluded
        from kb import loader

        loader.default_root()  # imports the models outside the timed part
        started = time.perf_counter()
        kb.load(records)
        return time.perf_counter() - started
    base = kb.load(records)
    if name == "classify":  # every chip on every rule-change date, as a fresh base first does
        # it; the median of five fresh loads (milliseconds at 1,000 chips: one is mostly noise)
        times = []
        for _ in range(5):
            del base
            gc.collect()  # one base in memory at a time: the peak stays the load's
            base = kb.load(records)
            started = time.perf_counter()
            sum(len(base.statuses(on=day)) for day in base.change_dates())
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    if name == "populate":  # the session's database work, from a loaded base
        from kb import db

        engine = db.make_engine()
        started = time.perf_counter()
        db.populate(engine, base)
        took = time.perf_counter() - started
        engine.dispose()
        return took
    raise SystemExit(f"unknown stage {name!r}")


def _site_stage(name: str, records: Path, out: Path) -> float:
    """The site and its floor, each as its command runs it, from interpreter start."""
    if name in (*SITE_STAGES, EDITIONS_STAGE):  # `kb build`: load, render, charts, exports, mkdocs
        from kb.cli import main
        from kb.site.assetcache import KEY_FILE

        if name == "site-cold":  # nothing kept from the last build: charts, downloads made anew
            (records.resolve().parent / KEY_FILE).unlink(missing_ok=True)

        jobs = ["--jobs", "1"] if name == "site-1" else []  # site-1: mkdocs' pages in one process
        # site-editions: English and Japanese; the others the English edition alone.
        lang = [] if name == EDITIONS_STAGE else ["--lang", "en"]
        if main(["build", "--records", str(records), "--out", str(out), *jobs, *lang]) != 0:
            raise SystemExit("kb build failed")
    else:  # `mkdocs build` alone on the pages `kb build` staged (same config, same date)
        from mkdocs.__main__ import cli

        root = records.parent
        os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
        cli(["build", "--strict", "--quiet", "-f", str(root / "mkdocs.yml"), "-d", str(out)],
            standalone_mode=False)
    return time.perf_counter() - PROCESS_START


def run_stage(name: str, records: Path, out: Path | None = None,
              env: dict[str, str] | None = None) -> dict[str, float]:
    args = [sys.executable, str(Path(__file__).resolve()), "--stage", name,
            "--records", str(records)]
    if out is not None:
        args += ["--out", str(out)]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{proc.stderr}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------------
# One size: every stage, repeated.


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(records: Path, repeat: int, site_repeat: int, progress: Callable[[str], None]
            ) -> dict[str, Any]:
    import kb

    base = kb.load(records)
    result: dict[str, Any] = {
        "records": str(records), "files": len(_files(records)), "chips": len(base.chips),
        "change_dates": len(base.change_dates()), "stages": {},
    }
    for name in ("sql-import", "parse", "load", "classify", "populate", "session"):
        progress(f"{name} x{repeat}")
        runs = [run_stage(name, records) for _ in range(repeat)]
        result["stages"][name] = _summary(runs)
    try:
        from kb.site.build import project_root

        project_root(records)
    except kb.KBError:  # no mkdocs.yml and docs/ beside these records: no site to build
        return result
    from kb.site.build import _source_date

    with _source_date(base):  # what `kb build` gives mkdocs; the bare build gets the same
        same_date = {"SOURCE_DATE_EPOCH": os.environ["SOURCE_DATE_EPOCH"]}
    builds = (*SITE_STAGES, EDITIONS_STAGE, "mkdocs")
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in builds}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(site_repeat):
            progress(f"kb build (English; every edition), kb build --jobs 1, bare mkdocs: "
                     f"round {i + 1} of {site_repeat}")
            for name in builds:
                out = Path(tmp) / name
                runs[name].append(run_stage(name, records, out,
                                            same_date if name == "mkdocs" else None))
                result.setdefault("site_bytes", _size(out))
                shutil.rmtree(out)
    for name in builds:
        result["stages"][name] = _summary(runs[name])
    for name in SITE_STAGES:  # each against the bare build of the same round
        result[f"{name}_ratio"] = statistics.median(
            s["seconds"] / b["seconds"] for s, b in zip(runs[name], runs["mkdocs"], strict=True))
    result[f"{EDITIONS_STAGE}_ratio"] = statistics.median(
        s["seconds"] / b["seconds"]
        for s, b in zip(runs[EDITIONS_STAGE], runs["site"], strict=True))
    return result


def _summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {"seconds": statistics.median(r["seconds"] for r in runs),
            "min": min(r["seconds"] for r in runs), "runs": len(runs),
            "peak_mb": max(r["peak_mb"] for r in runs)}


# ---------------------------------------------------------------------------------------------
# Tables.


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def table(result: dict[str, Any]) -> list[str]:
    s = result["stages"]
    chips = result["chips"]
    rows: list[tuple[str, str, str, str, str]] = []

    def row(name: str, stage: str, target: str = "", note: str = "") -> None:
        if stage in s:
            rows.append((name, _time(s[stage]["seconds"]), f"{s[stage]['peak_mb']:.0f} MB",
                         target, note))

    parse = s["parse"]["seconds"]
    row("bare CSafeLoader parse (floor)", "parse", "", f"{result['files']} files")
    row("kb.load(): validate + cross-check", "load", "<= 1.5x parse",
        f"{s['load']['seconds'] / parse:.2f}x parse")
    row(f"classify {chips} chips x {result['change_dates']} change dates", "classify", "< 1 s",
        "peak includes the load")
    row("session populate (in-memory SQLite)", "populate", "", "peak includes the load")
    row("import sqlmodel alone (floor of a cold session)", "sql-import")
    row("cold kb.session(): import, load, populate", "session", "< 0.5 s (real records)",
        f"{s['session']['seconds'] - s['sql-import']['seconds']:+.3f} s over the floor")
    if "site" in s:
        row("kb build --lang en: load, render, charts, exports, mkdocs", "site",
            "<= 1.15x bare",
            f"{result['site_ratio']:.2f}x bare mkdocs (median of rounds); "
            f"site {result['site_bytes'] / 1e6:.1f} MB")
        row("kb build --jobs 1: mkdocs' pages in one process", "site-1", "",
            f"{result['site-1_ratio']:.2f}x bare mkdocs")
        row("kb build, charts and downloads made anew", "site-cold", "",
            f"{result['site-cold_ratio']:.2f}x bare mkdocs")
        row("kb build, English and Japanese editions", EDITIONS_STAGE,
            "<= 2.2x English alone",
            f"{result[f'{EDITIONS_STAGE}_ratio']:.2f}x kb build --lang en (median of rounds)")
        row("bare mkdocs build of the English pages (floor)", "mkdocs")
    head = ("measure", "median", "peak RSS", "target", "note")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    fmt = f"{{:<{widths[0]}}}  {{:>{widths[1]}}}  {{:>{widths[2]}}}  {{:<{widths[3]}}}  {{}}"
    return [fmt.format(*head).rstrip()] + [fmt.format(*r).rstrip() for r in rows]


def growth_table(small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    factor = large["chips"] / small["chips"]
    lines = [f"growth from {small['chips']} to {large['chips']} chips ({factor:.0f}x the records; "
             f"target: each stage <= {factor + 1:.0f}x)",
             f"{'stage':<12}  {'time':>7}  {'peak RSS':>8}"]
    for name in STAGES:
        if name in small["stages"] and name in large["stages"]:
            a, b = small["stages"][name], large["stages"][name]
            lines.append(f"{name:<12}  {b['seconds'] / a['seconds']:>6.1f}x  "
                         f"{b['peak_mb'] / a['peak_mb']:>7.1f}x")
    if "site_bytes" in small and "site_bytes" in large:
        lines.append(f"{'site size':<12}  {large['site_bytes'] / small['site_bytes']:>6.1f}x")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, help="a records folder (default: the repository's)")
    parser.add_argument("--chips", type=int, nargs="+", metavar="N",
                        help="measure synthetic knowledge bases of N chips instead")
    parser.add_argument("--repeat", type=int, default=7, help="runs per stage (default 7)")
    parser.add_argument("--site-repeat", type=int,
                        help="rounds of the site builds (default: --repeat)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:
        sys.path.insert(0, str(ROOT))
        if args.stage in (*SITE_STAGES, EDITIONS_STAGE, "mkdocs"):
            seconds = _site_stage(args.stage, args.records, args.out)
        else:
            seconds = _stage(args.stage, args.records)
        print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb()}))
        return 0

    sys.path.insert(0, str(ROOT))
    from kb import loader

    # An installed package has its bytecode compiled; make sure this checkout's is too, even
    # where PYTHONDONTWRITEBYTECODE is set, or every cold start would compile the sources.
    compileall.compile_dir(str(ROOT / "kb"), quiet=1)

    def progress(text: str) -> None:
        print(f"  ... {text}", file=sys.stderr, flush=True)

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.chips:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from generate import generate

            targets = []
            for n in args.chips:
                progress(f"generating {n} chips")
                generate(n, Path(tmp) / f"kb-{n}")
                targets.append(Path(tmp) / f"kb-{n}" / "records")
        else:
            targets = [args.records or loader.default_root()]
        for records in targets:
            progress(f"measuring {records}")
            results.append(measure(records, args.repeat, args.site_repeat or args.repeat,
                                   progress))
    for i, result in enumerate(results):
        if i:
            print()
        if len(results) > 1:
            print(f"## {result['chips']} chips")
        print("\n".join(table(result)))
    if len(results) > 1:
        print()
        print("\n".join(growth_table(results[0], results[-1])))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
