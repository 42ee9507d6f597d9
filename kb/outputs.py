"""Where kb writes its outputs, and how: never over what kb did not write, never half-done.

An output folder (a site, a JSON API, CSV tables, the staged pages) is written only when it is
new, empty, or was made by kb before: kb leaves a small manifest in each folder it makes
(``.kb-output.json``, listing every file it wrote), and a folder that holds anything else is
refused before anything is touched. ``--force`` replaces a folder all the same, removing links
inside it as links. An output file (the SQLite export and its metadata) is replaced only when kb
recognises it as its own.

A new output is staged beside the target (``.NAME.kb-new-PID``) and swapped in whole at the end
(``renameat2(RENAME_EXCHANGE)`` where Linux has it), so a run stopped at any moment leaves the old
output or the new one, each complete. A watcher process (:mod:`kb.cleanup`) removes the staged
copy if the run is killed before it can.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import glob
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.cleanup import Watcher, remove
from kb.errors import KBError

MANIFEST = ".kb-output.json"
# The SQLite header's application id (bytes 68-71): "KBEX", so a later export knows its file.
SQLITE_APPLICATION_ID = 0x4B424558
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
# The Datasette metadata an SQLite export writes beside it is known by its title.
METADATA_TITLE = "AI chip export-controls knowledge base"
# The metadata kb writes is a few kilobytes; a larger file is not it (and is not read whole).
_LARGEST_METADATA = 1 << 20
# How many unexpected entries a refusal names before "and N more".
_SHOWN = 3


class OutputRefused(KBError):
    """The target holds what kb did not write (or is not the kind of thing asked for)."""


class WrongKind(OutputRefused):
    """A file where a folder belongs, or a folder where a file belongs."""


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """System errors while writing ``target``'s output, said of the target itself (the user
    never named the staged copy)."""
    try:
        yield
    except OSError as exc:
        raise OutputRefused(f"cannot write {_show(target)}: {exc.strerror or exc}") from None


def _entries(folder: Path) -> Iterator[tuple[str, bool]]:
    """Every entry below ``folder`` as (POSIX path relative to it, is a regular file), without
    following symbolic links."""
    for parent, dirs, names in os.walk(folder):
        rel = os.path.relpath(parent, folder)
        prefix = "" if rel == "." else Path(rel).as_posix() + "/"
        for name in dirs:
            if os.path.islink(os.path.join(parent, name)):
                yield prefix + name, False  # os.walk does not descend into linked folders
        for name in names:
            path = os.path.join(parent, name)
            yield prefix + name, os.path.isfile(path) and not os.path.islink(path)


def _manifest_files(folder: Path) -> set[str] | None:
    """The files a previous kb run listed in ``folder``'s manifest; None without one."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generator") != "kb":
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def _show(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)


def _describe(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" and {more:,} more" if more > 0 else "")


def foreign_entries(folder: Path) -> list[str]:
    """What ``folder`` holds that no previous kb run wrote there (sorted); links always count."""
    listed = _manifest_files(folder) or set()
    return sorted(rel for rel, regular in _entries(folder)
                  if rel != MANIFEST and not (regular and rel in listed))


def check_folder(target: Path, force: bool = False) -> None:
    """Refuse, touching nothing, unless ``target`` may become (or be replaced by) a kb output
    folder: new, empty, a previous kb output, or any folder with ``force``."""
    if target.is_symlink():
        if force:
            return  # the link itself is replaced; what it points to is left alone
        raise OutputRefused(f"{_show(target)} is a symbolic link; nothing was changed. Give "
                            "the folder itself, or pass --force to replace the link")
    if not target.exists():
        return
    if not target.is_dir():
        raise WrongKind(f"{_show(target)} is a file, not a folder; nothing was changed. "
                            "Give a folder for this output")
    if force:
        return
    foreign = foreign_entries(target)
    if not foreign:
        return
    made_by_kb = _manifest_files(target) is not None
    what = "holds files kb did not write" if made_by_kb else "is not empty and was not made by kb"
    raise OutputRefused(f"{_show(target)} {what} ({_describe(foreign)}); nothing was changed. "
                        "Give a new or empty folder, or pass --force to replace this one")


def check_apart(target: Path, *, around: dict[str, Path], apart: dict[str, Path]) -> None:
    """Refuse an output that would replace a folder the run reads from: not even ``--force``
    replaces those. ``around``: folders the output may sit in but never be or hold (the
    project); ``apart``: folders it may not be, hold or sit in (records, docs, staged pages)."""
    target = target.absolute().resolve()
    for name, folder in {**around, **apart}.items():
        folder = folder.absolute().resolve()
        inside = name in apart and target.is_relative_to(folder)
        if folder.is_relative_to(target) or inside:
            raise OutputRefused(f"{_show(target)} would overlap {name} ({_show(folder)}), which "
                                "this run reads; nothing was changed. Give an output outside it")


def write_manifest(folder: Path) -> None:
    """List every regular file in ``folder`` in its manifest (deterministic: sorted paths)."""
    files = sorted(rel for rel, regular in _entries(folder) if regular and rel != MANIFEST)
    (folder / MANIFEST).write_text(
        json.dumps({"generator": "kb", "files": files}, indent=0, ensure_ascii=False) + "\n",
        encoding="utf-8")


def _staging_name(target: Path, what: str) -> Path:
    return target.parent / f".{target.name}.kb-{what}-{os.getpid()}"


def clear_stale(target: Path) -> None:
    """Remove staged copies that earlier killed runs left beside ``target`` (theirs only: the
    name kb gives them, a process that is gone, and kb's manifest or nothing inside)."""
    parent = target.parent
    if not parent.is_dir():
        return
    for prefix in (f".{target.name}.kb-new-", f".{target.name}.kb-old-"):
        for path in parent.glob(glob.escape(prefix) + "*"):
            pid = path.name[len(prefix):].split("-", 1)[0]  # "123", or "123-journal"
            if not pid.isdigit() or _alive(int(pid)):
                continue
            if (path.is_dir() and not path.is_symlink() and _manifest_files(path) is None
                    and any(path.iterdir())):
                continue  # not provably kb's
            remove(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    libc = _libc()
    fn = getattr(libc, "renameat2", None) if libc is not None else None
    if fn is None:
        return False
    result = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # a kernel or file system without it: the two-step swap below
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staged: Path, target: Path, watcher: Watcher) -> None:
    """Put ``staged`` at ``target``; whatever was at ``target`` is removed afterwards."""
    if not target.exists() and not target.is_symlink():
        os.rename(staged, target)
        return
    if target.is_dir() and not target.is_symlink() and _exchange(staged, target):
        remove(staged)  # now the old output; the watcher removes it if we die first
        return
    # Two steps: the watcher puts the old output back if the run dies between them.
    old = _staging_name(target, "old")
    watcher.restore_if_killed(old, target)
    os.rename(target, old)
    os.rename(staged, target)
    remove(old)
    watcher.forget(old)


@contextmanager
def staged_folder(target: Path, force: bool = False) -> Iterator[Path]:
    """A new folder beside ``target`` to fill; on leaving the block without an exception it
    gets its manifest and replaces ``target`` whole. On an exception (Ctrl-C included) or a
    kill, ``target`` is left as it was and the staged folder is removed."""
    target = target.absolute()
    check_folder(target, force)
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        clear_stale(target)
    staged = _staging_name(target, "new")
    with Watcher() as watcher:
        watcher.remove_if_killed(staged)
        try:
            with _writing(target):
                remove(staged)
                staged.mkdir()
            yield staged
            with _writing(target):
                write_manifest(staged)
                _swap_in(staged, target, watcher)
        finally:
            remove(staged)
            watcher.forget(staged)


def write_folder(target: Path, fill: Callable[[Path], None], force: bool = False) -> None:
    """``fill`` a staged folder, then put it at ``target`` (see :func:`staged_folder`)."""
    with staged_folder(target, force) as staged:
        fill(staged)


def owned_file(path: Path) -> bool:
    """Whether ``path`` is an output file an earlier kb export wrote."""
    if path.is_symlink() or not path.is_file():  # a device or a pipe may never end
        return False
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except OSError:
        return False
    if head.startswith(_SQLITE_MAGIC):
        return len(head) >= 72 and int.from_bytes(head[68:72], "big") == SQLITE_APPLICATION_ID
    try:
        if path.stat().st_size > _LARGEST_METADATA:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(data, dict) and data.get("title") == METADATA_TITLE
            and isinstance(data.get("databases"), dict))


def check_file(target: Path, force: bool = False) -> None:
    """Refuse, touching nothing, unless ``target`` may be written: new, kb's own, or ``force``
    (a folder is never replaced by a file)."""
    if target.is_dir() and not target.is_symlink():
        raise WrongKind(f"{_show(target)} is a folder; nothing was changed. Give a file "
                            "name such as kb.sqlite")
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_symlink() and not target.is_file():
        # A device, pipe or socket: never replaced, not even with --force.
        raise WrongKind(f"{_show(target)} is not a regular file; nothing was changed. Give a "
                        "file name such as kb.sqlite")
    if force or (not target.is_symlink() and owned_file(target)):
        return
    kind = "a symbolic link" if target.is_symlink() else "a file kb did not write"
    raise OutputRefused(f"{_show(target)} is {kind}; nothing was changed. Give a new file "
                        "name, or pass --force to replace it")


def write_file(target: Path, write: Callable[[Path], None], watcher: Watcher) -> None:
    """``write`` a file beside ``target`` and move it into place in one step (a link at
    ``target`` is replaced as a link, never written through)."""
    target = target.absolute()
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        clear_stale(target)
    staged = _staging_name(target, "new")
    # SQLite keeps a journal beside the file it writes; a killed write leaves it there.
    companions = [staged, *(staged.with_name(staged.name + end) for end in _SQLITE_SIDE_FILES)]
    for path in companions:
        watcher.remove_if_killed(path)
    try:
        with _writing(target):
            remove(staged)
            # Created here, so a place that cannot be written is said so plainly rather than
            # by whatever library ``write`` uses.
            staged.touch()
            write(staged)
            os.replace(staged, target)
    finally:
        for path in companions:
            remove(path)
            watcher.forget(path)


def check_owned(folder: Path, force: bool = False) -> None:
    """Refuse, touching nothing, unless ``folder`` may be a working folder kb keeps up to date
    in place (the staged pages of ``kb build``): new, empty, marked as kb's by its manifest, or
    any folder with ``force``. Its files change between runs (and a killed run leaves new ones
    unlisted), so the mark, not the list, is what counts."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        check_folder(folder, force)  # the same refusal as for an output
        return
    if force or not folder.exists() or _manifest_files(folder) is not None:
        return
    if any(True for _ in _entries(folder)):
        raise OutputRefused(f"{_show(folder)} is not empty and was not made by kb "
                            f"({_describe(sorted(r for r, _ in _entries(folder)))}); nothing "
                            "was changed. Move what it holds, or pass --force to replace it")


@contextmanager
def owned_folder(folder: Path, force: bool = False) -> Iterator[Path]:
    """A working folder kb keeps up to date in place: checked (:func:`check_owned`), marked
    as kb's before it is used, its manifest renewed after."""
    check_owned(folder, force)
    if folder.is_symlink() or (folder.exists() and _manifest_files(folder) is None
                               and any(True for _ in _entries(folder))):
        remove(folder)  # only with force: the checks above refused otherwise
    folder.mkdir(parents=True, exist_ok=True)
    if _manifest_files(folder) is None:
        write_manifest(folder)
    try:
        yield folder
    finally:  # stopped or not, the folder is kb's: its next run must know it
        write_manifest(folder)
