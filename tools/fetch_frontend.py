"""Fetch the site's front-end libraries from the npm registry, pinned, into docs/assets/vendor/.

Each entry of ``PACKAGES`` names an npm package with the version to use, the sha256 of that
version's tarball, and the files to keep from it (paths inside the tarball's ``package/`` folder)
with each file's sha256. The files land unmodified in ``docs/assets/vendor/<name>-<version>/``
under their base names (a library only the tests use, such as axe-core, in
``tests/vendor/<name>-<version>/``), and are committed: the site is built and viewed with no
network, and ``tests/test_tables.py`` checks the committed files against the hashes here.

To add a library: put an entry with empty hashes, run ``python tools/fetch_frontend.py --pin``
once to print the hashes of what the registry serves, check them against the registry's
own ``integrity`` field (``npm view NAME@VERSION dist``), paste them in, and run the script again
without ``--pin``. A tarball or file whose hash differs from the pin is refused, nothing written.

Usage: python tools/fetch_frontend.py [--check] [--pin]
  (no option)  download what is missing or differs, verify, write
  --check      verify the committed files only, no network; exit 1 on any difference
  --pin        download and print each tarball's and file's sha256, write nothing
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "docs" / "assets" / "vendor"
# Libraries only the tests use (axe-core) stay out of the site: tests/vendor/<name>-<version>/.
TEST_VENDOR = ROOT / "tests" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    version: str
    tarball_sha256: str
    files: dict[str, str]
    """Path inside the tarball's package/ folder -> sha256 of the file kept."""
    under: Path = VENDOR
    """The vendor folder it goes in: VENDOR for the site, TEST_VENDOR for the tests only."""


PACKAGES: dict[str, Package] = {
    # The accessibility checker tests/test_a11y.py injects into the built pages; MPL-2.0. Used
    # by the tests only, never served with the site.
    "axe-core": Package(
        version="4.14.1",
        tarball_sha256="e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745",
        files={
            "axe.min.js": "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
            "LICENSE": "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e",
            "LICENSE-3RD-PARTY.txt":
                "4f8563870d0fca38bbc3e00b6f670cb7fa9f380ba9f26a7f7d1184a6b18b1653",
        },
        under=TEST_VENDOR,
    ),
    # Sorts existing HTML tables in place (rows moved, not rebuilt), so the table stays plain
    # HTML without JavaScript; MIT. Filters and URL state are ours (docs/assets/kb-tables.js).
    "tablesort": Package(
        version="5.7.1",
        tarball_sha256="6d6b645f34dab5d383dfbe084b299aac2b9b633bee789a1eb66b502ed06068d3",
        files={
            "dist/tablesort.min.js":
                "ee99f17ebc985170899a004e9f6bf09e7f60eb4b459b6bfe6683cf0140352c63",
            "LICENCE": "6ba5a8c71b9ab70f3f6247d8ec968b4a1e3767a52ff1dea41ff4bf6bcf02a9a8",
        },
    ),
}


def folder(name: str, package: Package) -> Path:
    """Where a package's kept files live: one folder per name and version."""
    return package.under / f"{name.replace('/', '-').lstrip('@')}-{package.version}"


def tarball_url(name: str, version: str) -> str:
    # The registry's layout: /<name>/-/<base name>-<version>.tgz, scoped names included.
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(name: str, package: Package) -> bytes:
    with urllib.request.urlopen(tarball_url(name, package.version), timeout=60) as response:
        return bytes(response.read())


def extract(tarball: bytes, wanted: list[str]) -> dict[str, bytes]:
    """The wanted files from an npm tarball, by path inside its top folder (read, never
    extracted to disk, so no member path can write outside the vendor folder)."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member in tar.getmembers():
            inner = member.name.split("/", 1)[-1]
            if inner in wanted and member.isfile():
                handle = tar.extractfile(member)
                if handle is not None:
                    out[inner] = handle.read()
    missing = sorted(set(wanted) - set(out))
    if missing:
        raise SystemExit(f"fetch_frontend: the tarball lacks {', '.join(missing)}")
    return out


def check() -> list[str]:
    """Every difference between the committed vendor folders and the pins, in words."""
    problems: list[str] = []
    expected_folders = {folder(n, p) for n, p in PACKAGES.items()}
    for vendor in sorted({VENDOR} | {p.under for p in PACKAGES.values()}):
        if vendor.is_dir():
            problems += [f"{d.name}: not pinned in tools/fetch_frontend.py"
                         for d in sorted(vendor.iterdir()) if d not in expected_folders]
    for name, package in PACKAGES.items():
        target = folder(name, package)
        kept = {Path(p).name: digest for p, digest in package.files.items()}
        present = {f.name for f in target.iterdir()} if target.is_dir() else set()
        problems += [f"{target.name}/{extra}: not a pinned file"
                     for extra in sorted(present - set(kept))]
        for base, digest in sorted(kept.items()):
            path = target / base
            if not path.is_file():
                problems.append(f"{target.name}/{base}: missing")
            elif sha256(path.read_bytes()) != digest:
                problems.append(f"{target.name}/{base}: sha256 differs from the pin")
    return problems


def fetch(pin: bool = False) -> None:
    for name, package in PACKAGES.items():
        tarball = download(name, package)
        files = extract(tarball, list(package.files))
        if pin:
            print(f"{name} {package.version}: tarball_sha256={sha256(tarball)}")
            for path, data in files.items():
                print(f"  {path}: {sha256(data)}")
            continue
        if sha256(tarball) != package.tarball_sha256:
            raise SystemExit(f"fetch_frontend: {name} {package.version}: tarball sha256 "
                             f"{sha256(tarball)} is not the pinned {package.tarball_sha256}")
        for path, data in files.items():
            if sha256(data) != package.files[path]:
                raise SystemExit(f"fetch_frontend: {name} {package.version}: {path} differs "
                                 "from its pin")
        target = folder(name, package)
        target.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            (target / Path(path).name).write_bytes(data)
        print(f"fetch_frontend: {target.relative_to(ROOT)}: {len(files)} files")


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = check()
        for line in problems:
            print(f"fetch_frontend: {line}", file=sys.stderr)
        return 1 if problems else 0
    fetch(pin="--pin" in argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
