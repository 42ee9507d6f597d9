"""Which Chromium the browser tests drive, and getting one where the machine allows.

Order: ``KB_CHROMIUM`` (a path to a Chromium binary), a system Chromium, Playwright's own
download. Where none is there, the tests try to get one: Debian's ``chromium`` when running as
root with apt (as on CI and a fresh container), else Playwright's installer (which needs its
download host). Where neither works they fail with one line saying how to get one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HOW = ("no Chromium for the browser tests: install Debian's package (apt-get install chromium), "
       "set KB_CHROMIUM to a Chromium binary, or run: python -m playwright install chromium")

SYSTEM = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


class NoChromium(Exception):
    """No browser could be found or installed; the message says how to get one."""


def _executable(path: str | None) -> str | None:
    if not path:
        return None
    found = shutil.which(path) if os.sep not in path else path
    if found and Path(found).is_file() and os.access(found, os.X_OK):
        return found
    return None


def _playwrights() -> str | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            return _executable(p.chromium.executable_path)
    except Exception:  # no driver, or no browser downloaded: not an answer
        return None


def find() -> str | None:
    """The first Chromium in the order above, or None. ``KB_CHROMIUM``, when set, must work."""
    wanted = os.environ.get("KB_CHROMIUM")
    if wanted:
        found = _executable(wanted)
        if found is None:
            raise NoChromium(f"KB_CHROMIUM is {wanted!r}, which is not an executable file; "
                             "unset it or point it at a Chromium binary")
        return found
    for candidate in SYSTEM:
        if found := _executable(candidate):
            return found
    return _playwrights()


def _apt_install() -> bool:
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        try:
            if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
                return False
        except (OSError, subprocess.TimeoutExpired):
            return False
    return True


def _playwright_install() -> bool:
    try:
        proc = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                              capture_output=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def ensure() -> str:
    """A Chromium to launch: found, else installed where this machine allows; NoChromium."""
    found = find()
    if found:
        return found
    for install in (_apt_install, _playwright_install):
        if install() and (found := find()):
            return found
    raise NoChromium(HOW)
