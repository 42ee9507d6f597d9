"""Charts and downloads kept from the last build while nothing they are made from has changed.

Drawing the charts and writing the downloads costs a build more CPU than rendering every page,
and on an unchanged project it makes the same bytes again. After a build has put them into the
staging folder (``build/docs``), ``build/cache/assets.json`` records a digest of everything they
are made from (every file in the records folder, every file of the installed ``kb`` package,
the versions of Python, SQLite and the libraries that draw and write them) and the size and
modification time of every file it left there. The next build reuses them only when both still
match; anything else (a changed record, another kb, a file touched by hand, a build stopped
half way) makes them afresh. The key is removed before the staged copies change, so a stopped
build can never leave a key beside files it does not describe.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sqlite3
import sys
from pathlib import Path

import kb

KEY_FILE = Path("build") / "cache" / "assets.json"
"""The English edition's key; each other edition has its own (:func:`key_file`), so that a build
of one edition leaves another's charts reusable."""


def key_file(lang: str = "en") -> Path:
    """The key of an edition's charts and downloads, relative to the project."""
    return KEY_FILE if lang == "en" else KEY_FILE.with_name(f"assets-{lang}.json")
PACKAGE = Path(kb.__file__).parent
FORMAT = 1
# What draws the charts and writes the downloads, besides kb itself.
LIBRARIES = ("matplotlib", "numpy", "SQLAlchemy", "sqlmodel", "pydantic", "pydantic-core",
             "PyYAML", "MarkupSafe")


def inputs_digest(records: Path, package: Path = PACKAGE) -> str:
    """A digest of everything the charts and downloads are made from (see the module's text)."""
    digest = hashlib.sha256(f"kb-assets {FORMAT}\n".encode())
    for label, folder in (("records", records), ("kb", package)):
        for path in _files(folder):
            rel = path.relative_to(folder).as_posix()
            digest.update(f"{label}/{rel}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    versions = [sys.version, sqlite3.sqlite_version]
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    found = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(Path(here, n) for n in sorted(names) if not n.endswith((".pyc", ".pyo")))
    return found


def _listing(staging: Path, folders: tuple[Path, ...]) -> dict[str, list[int]]:
    """Each file under ``folders`` of ``staging``: its size and modification time (ns)."""
    listing: dict[str, list[int]] = {}
    for sub in folders:
        for path in _files(staging / sub):
            if path.is_symlink() or not path.is_file():
                listing[path.relative_to(staging).as_posix()] = [-1, -1]  # never matches
                continue
            st = path.stat()
            listing[path.relative_to(staging).as_posix()] = [st.st_size, st.st_mtime_ns]
    return listing


def reusable(root: Path, staging: Path, digest: str, folders: tuple[Path, ...],
             lang: str = "en") -> bool:
    """Whether ``staging`` still holds the charts and downloads made from ``digest``'s inputs,
    unchanged since the build that made them."""
    try:
        kept = json.loads((root / key_file(lang)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(kept, dict) and kept.get("format") == FORMAT
            and kept.get("inputs") == digest and bool(kept.get("files"))
            and kept.get("files") == _listing(staging, folders))


def cache_folder(root: Path) -> Path | None:
    """``build/cache`` of the project at ``root``, or None where it or ``build`` is a symbolic
    link: what kb keeps between builds is never written through one."""
    if any((root / part).is_symlink() for part in (KEY_FILE.parents[1], KEY_FILE.parent)):
        return None
    return root / KEY_FILE.parent


def forget(root: Path, lang: str = "en") -> None:
    """Drop the key: the staged charts and downloads are about to change."""
    (root / key_file(lang)).unlink(missing_ok=True)


def remember(root: Path, staging: Path, digest: str, folders: tuple[Path, ...],
             lang: str = "en") -> None:
    """Record that ``staging`` now holds the charts and downloads made from ``digest``'s inputs."""
    key = root / key_file(lang)
    if cache_folder(root) is None:
        return  # never written through a link: the next build makes them afresh
    key.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"format": FORMAT, "inputs": digest,
                       "files": _listing(staging, folders)}, sort_keys=True)
    partial = key.with_name(key.name + ".partial")
    partial.unlink(missing_ok=True)  # a link left there is removed as a link
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(partial, key)
