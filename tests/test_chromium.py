"""The browser tests' Chromium lookup: KB_CHROMIUM first, then the system's, then Playwright's."""

import os
import stat

import chromium
import pytest


def _fake(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_kb_chromium_comes_first(tmp_path, monkeypatch):
    fake = _fake(tmp_path / "my-chromium")
    monkeypatch.setenv("KB_CHROMIUM", str(fake))
    assert chromium.find() == str(fake)
    assert chromium.ensure() == str(fake)


def test_a_kb_chromium_that_is_not_executable_is_one_plain_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(chromium.NoChromium, match=r"KB_CHROMIUM is .* not an executable file"):
        chromium.find()


def test_system_chromium_before_playwrights(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_CHROMIUM", raising=False)
    _fake(tmp_path / "chromium")
    monkeypatch.setattr(chromium, "SYSTEM", ("chromium",))
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ["PATH"])
    monkeypatch.setattr(chromium, "_playwrights", lambda: pytest.fail("looked further"))
    assert chromium.find() == str(tmp_path / "chromium")


def test_none_to_be_had_fails_with_how_to_get_one(monkeypatch):
    monkeypatch.delenv("KB_CHROMIUM", raising=False)
    monkeypatch.setattr(chromium, "SYSTEM", ())
    monkeypatch.setattr(chromium, "_playwrights", lambda: None)
    tried = []
    monkeypatch.setattr(chromium, "_apt_install", lambda: tried.append("apt") or False)
    monkeypatch.setattr(chromium, "_playwright_install",
                        lambda: tried.append("playwright") or False)
    with pytest.raises(chromium.NoChromium) as exc:
        chromium.ensure()
    assert tried == ["apt", "playwright"]
    assert str(exc.value) == chromium.HOW
    assert "\n" not in chromium.HOW
