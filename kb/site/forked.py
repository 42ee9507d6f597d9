"""Work handed to a forked process, its answer sent back pickled.

The child inherits what this process holds (loaded records, rendered state, mkdocs'
configuration and navigation) instead of receiving it pickled, and nothing here starts a thread,
so this process can fork again later without forking a thread's half-held locks.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class HelperFailed(Exception):
    """A helper process raised (the message is its traceback) or ended without an answer."""


def can_fork() -> bool:
    # A daemonic process (a multiprocessing pool's worker, say) may not start children.
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # platforms without CPU affinity
        return os.cpu_count() or 1


# Signals held back across a fork (see Pending).
_HELD = {signal.SIGINT, signal.SIGTERM}


class Pending(Generic[T]):
    """``fn(*args)``: in a forked child where the platform forks, else here and now."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        self._process: Any = None
        self._answer: tuple[bool, Any] | None = None
        if not can_fork():
            self._answer = _call(fn, args)
            return
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(child_end, self._conn, fn, args),
                                        daemon=True)
        # SIGINT held back across the fork: one arriving inside os.fork's hooks (logging's)
        # is swallowed there, so the parent would build on; and the child may not take it
        # before it ignores it. Held back, the parent takes it right after, the child never.
        # SIGTERM likewise, until the child has put back its default action.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        child_end.close()

    def result(self) -> T:
        """The answer, waiting for it; :class:`HelperFailed` if ``fn`` raised or the child died."""
        if self._answer is None:
            try:
                self._answer = self._conn.recv()
            except EOFError:
                self._process.join()
                raise HelperFailed("a helper process ended without an answer "
                                   f"(exit code {self._process.exitcode})") from None
            finally:
                self._conn.close()
            self._process.join()
        ok, value = self._answer
        if not ok:
            raise HelperFailed(value)
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child if it still runs (its answer is no longer wanted)."""
        if self._process is not None and self._answer is None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._conn.close()
            self._answer = (False, "cancelled")


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except Exception:
        return False, traceback.format_exc()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the one that forked it dies (a killed build must
    not leave helpers behind); elsewhere the closed pipe ends them when they answer."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took hold
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _child(conn: Any, parent_end: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    # The parent's end of the pipe came along with the fork: holding it here would keep a
    # write to a dead parent blocked forever instead of failing.
    parent_end.close()
    _die_with_parent()
    # A Ctrl-C reaches the whole process group: the parent decides, and cancels its helpers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's SIGTERM handler (kb.cli's orderly stop) came along too; here a SIGTERM is
    # the parent cancelling this helper, which simply ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held back by Pending()
    answer = _call(fn, args)
    try:
        try:
            conn.send(answer)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception:  # an answer that does not pickle
            conn.send((False, traceback.format_exc()))
        conn.close()
    except (BrokenPipeError, ConnectionResetError):
        os._exit(1)  # the parent stopped listening (cancelled, or gone): nothing to say
