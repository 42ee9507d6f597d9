"""Which project a command acts on: the one the user stands in.

A project is a folder holding ``records/`` and ``mkdocs.yml``, found by walking up from the
current folder, as git and mkdocs find theirs. Acting on the checkout the package happens to be
installed from instead would make a second clone's ``kb new`` write into the first clone, and a
pre-commit hook validate the wrong tree.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KBError

RECORDS = "records"
CONFIG = "mkdocs.yml"


class NoProject(KBError):
    """A command that writes was run outside any project."""


@dataclass(frozen=True)
class Records:
    """A records folder and where it came from."""

    path: Path
    # True when no project was found and the records are those shipped with the package.
    packaged: bool = False


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current folder) that holds
    ``records/`` and ``mkdocs.yml``; None outside any project."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / RECORDS).is_dir() and (folder / CONFIG).is_file():
            return folder
    return None


def packaged_records() -> Path:
    """The records that came with the installed package: ``kb/records`` in a wheel; the source
    checkout's ``records/`` in an editable install."""
    here = Path(__file__).resolve().parent
    shipped = here / RECORDS
    if shipped.is_dir():
        return shipped
    return here.parent / RECORDS


def records(explicit: Path | str | None = None, *, writes: bool = False) -> Records:
    """The records folder a command uses: ``explicit`` if given, else the project's.

    Outside any project, a command that only reads falls back to the packaged records; one that
    ``writes`` (into the records or beside them) refuses, so nothing lands in the installed
    package's folder.
    """
    if explicit is not None:
        path = Path(explicit)
        if writes and inside_package(path):
            raise NoProject(f"{path} are the records shipped inside the installed package; "
                            "work in a checkout of the knowledge base instead")
        return Records(path)
    root = find_root()
    if root is not None:
        return Records(root / RECORDS)
    if writes:
        raise NoProject(f"no project here: neither {Path.cwd()} nor a folder above it holds "
                        f"{RECORDS}/ and {CONFIG}; run this inside a checkout of the knowledge "
                        "base, or give --records PATH")
    return Records(packaged_records(), packaged=True)


def say_packaged(found: Records, command: str) -> None:
    """Tell the user, on stderr, that the records are the packaged ones (not a project's)."""
    if found.packaged:
        print(f"kb {command}: no project here (no {RECORDS}/ and {CONFIG} in {Path.cwd()} or "
              f"above); reading the records shipped with kb at {found.path}", file=sys.stderr)


def root_of(records_folder: Path) -> Path | None:
    """The project that holds ``records_folder`` (its parent, when that has ``mkdocs.yml``)."""
    parent = records_folder.absolute().parent
    if (parent / CONFIG).is_file():
        return parent
    return None


def inside_package(path: Path) -> bool:
    """Whether ``path`` lies in the installed package's own folder (never a place to write)."""
    package = Path(__file__).resolve().parent
    try:
        path.resolve().relative_to(package)
    except ValueError:
        return False
    return True
