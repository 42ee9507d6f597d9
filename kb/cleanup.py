"""A watcher that removes a run's temporary folders if the run dies before it can.

``kb build`` and ``kb export`` stage their output beside the target and swap it in at the end.
A run killed outright (SIGKILL, an out-of-memory kill) runs no ``finally``: this small separate
process, started first, holds the other end of a pipe and, when the pipe closes without the run
having said that all is done, removes what is still registered. It leaves the process group, so a
Ctrl-C or a kill of the group does not take it down with the run.

Protocol, one line per message on the watcher's standard input (tab-separated, paths absolute):
``rm PATH`` (remove PATH if the run dies), ``restore OLD TARGET`` (if the run dies: put OLD back
at TARGET when TARGET is missing, else remove OLD), ``forget PATH`` (done with it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

# Only names kb gives its temporary folders and files may be removed (a guard against a wrong
# path reaching the watcher): ".site.kb-new-123", ".kb.sqlite.kb-new-123", "kb-assets-x1y2".
_OURS = (".kb-new-", ".kb-old-", "kb-assets-", "kb-serve-")


def _ours(path: Path) -> bool:
    return any(mark in path.name for mark in _OURS)


def remove(path: Path) -> None:
    """Remove ``path`` (a folder with what it holds, a file, or a link), never following a
    symbolic link out of it."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
        return
    # A second pass catches an entry a process still ending wrote during the first.
    for _ in range(3):
        if not path.is_dir():
            return
        shutil.rmtree(path, ignore_errors=True)


class Watcher:
    """The run's side: start the watcher, register and forget paths, stop it."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        try:
            self._proc = subprocess.Popen(
                # By file, isolated: the watcher needs only the standard library, and no
                # other kb on the path (a checkout in the current folder) may stand in for it.
                [sys.executable, "-I", __file__], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                start_new_session=True, close_fds=True)
        except OSError:  # no watcher: a killed run may leave its staging folder
            self._proc = None

    def _say(self, *words: str) -> None:
        if self._proc is None or self._proc.stdin is None:
            return
        try:
            self._proc.stdin.write("\t".join(words) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._proc = None

    def remove_if_killed(self, path: Path) -> None:
        self._say("rm", str(path.absolute()))

    def restore_if_killed(self, old: Path, target: Path) -> None:
        self._say("restore", str(old.absolute()), str(target.absolute()))

    def forget(self, path: Path) -> None:
        self._say("forget", str(path.absolute()))

    def close(self) -> None:
        """All is done: the watcher exits without removing anything."""
        if self._proc is None:
            return
        self._say("done")
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        self._proc.wait()
        self._proc = None

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _watch(stream: IO[str]) -> None:
    removals: dict[str, tuple[str, ...]] = {}
    for line in stream:
        words = line.rstrip("\n").split("\t")
        if words[0] == "done":
            return
        if words[0] in ("rm", "restore") and len(words) >= 2:
            removals[words[1]] = tuple(words)
        elif words[0] == "forget" and len(words) == 2:
            removals.pop(words[1], None)
    # The run ended without "done": undo what it left, newest first.
    for words in reversed(list(removals.values())):
        path = Path(words[1])
        if not _ours(path):
            continue
        if words[0] == "restore" and len(words) == 3:
            target = Path(words[2])
            if not target.exists() and not target.is_symlink() and path.is_dir():
                os.rename(path, target)
                continue
        remove(path)


if __name__ == "__main__":
    # The run's Ctrl-C is the run's: this process ends when its pipe does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch(sys.stdin)
