"""Problems found in records, and the one exception that carries them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in one record file.

    Ordered by path, then line and column, so a report reads top to bottom.
    """

    path: str
    line: int
    col: int
    code: str
    field: str
    message: str
    severity: str = "error"

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        field = f"{self.field}: " if self.field else ""
        tag = self.code if self.severity == "error" else f"warning {self.code}"
        return f"{where}: [{tag}] {field}{self.message}"

    def format_github(self) -> str:
        """A GitHub Actions annotation. A file name or message holding a line break would
        otherwise end the command and start one of its own (``::add-mask::``,
        ``::stop-commands::``), and a ',' or ':' in a file name would end its property early."""
        msg = _github_data(f"[{self.code}] {self.field + ': ' if self.field else ''}"
                           f"{self.message}")
        level = "error" if self.severity == "error" else "warning"
        props = ",".join(f"{k}={_github_property(str(v))}" for k, v in
                         (("file", self.path), ("line", self.line), ("col", self.col)))
        return f"::{level} {props}::{msg}"


def _github_data(text: str) -> str:
    # As GitHub's own toolkit escapes a command's message (@actions/core, escapeData).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    # As @actions/core escapes a property value (escapeProperty): the message's escapes and
    # the two characters that end a property.
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


class KBError(Exception):
    """Root of the package's own exceptions."""


class RecordsInvalid(KBError):
    """The records could not be loaded; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in the records")


class UnknownRecord(KBError, KeyError):
    """A chip, rule or other id that the knowledge base does not hold."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def cannot_write(path: Path, exc: OSError) -> KBError:
    """A plain error for a failed write of ``path``: "cannot write X: permission denied", or,
    when a folder on the way is a file, which one."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        for parent in path.parents:
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    return KBError(f"cannot write {path}: {parent} is a file, not a folder")
                break
    return KBError(f"cannot write {path}: {os_reason(exc)}")


def os_reason(exc: OSError) -> str:
    """The system's reason in the middle of a sentence: "permission denied"."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def display_path(path: Path, root: Path | None) -> str:
    """A path as the user should read it: relative to the working folder when possible."""
    if not path.is_absolute():
        return path.as_posix()
    cwd = Path.cwd()
    for base in (cwd, root.parent if root else None):
        if base is None:
            continue
        # Pure path arithmetic first; resolving symlinks costs system calls per file.
        for resolve in (False, True):
            a, b = (path.resolve(), base.resolve()) if resolve else (path, base)
            try:
                return a.relative_to(b).as_posix()
            except ValueError:
                continue
    return path.as_posix()
