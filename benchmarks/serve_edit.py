"""How long `kb serve` takes to show an edit: save one record, poll its page until it changes.

    python benchmarks/serve_edit.py [--runs N]

Works on a copy of the repository's mkdocs.yml, docs/ and records/ in a temporary folder.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(url: str, text: str, seconds: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        try:
            if text in fetch(url):
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{text!r} did not appear at {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for name in ("mkdocs.yml", "CONTRIBUTING.md"):
            shutil.copy(ROOT / name, project)
        for name in ("docs", "records"):
            shutil.copytree(ROOT / name, project / name)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", str(port),
                                 "--records", str(project / "records")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/chips/nvidia-h20.html"
        record = project / "records" / "chips" / "nvidia-h20.yaml"
        original = record.read_text(encoding="utf-8")
        try:
            wait_for(url, "H20", 120)
            time.sleep(3)  # let the first build's assets settle
            times = []
            for i in range(args.runs):
                marker = f"NVIDIA HGX H20 96GB edit {i}"
                record.write_text(original.replace("name: NVIDIA HGX H20 96GB", f"name: {marker}"),
                                  encoding="utf-8")
                times.append(wait_for(url, marker, 60))
                time.sleep(2)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"save -> page updated: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}); target < 1 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
