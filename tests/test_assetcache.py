"""Charts and downloads kept from the last build: reused only while nothing they come from
changed, and the site the same either way."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from pathlib import Path

import pytest

import kb
from kb.site import assetcache, build
from kb.site.build import build_site

MARK = "charts-drawn"


@pytest.fixture
def counted(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project, with every drawing of the charts leaving a line in a file (the drawing runs
    in a forked process, so a list here would not see it)."""
    log = project.parent / MARK
    from kb.site import charts

    original = charts.write_all

    def drawing(base, folder):  # type: ignore[no-untyped-def]
        with log.open("a") as f:
            f.write("drawn\n")
        return original(base, folder)

    monkeypatch.setattr("kb.site.charts.write_all", drawing)
    return project


def _draws(project: Path) -> int:
    log = project.parent / MARK
    return len(log.read_text().splitlines()) if log.exists() else 0


def _build(project: Path, out: Path) -> Path:
    return build_site(kb.load(project / "records"), out=out, force=True)


def _same_tree(a: Path, b: Path) -> None:
    left = sorted(p.relative_to(a) for p in a.rglob("*"))
    assert left == sorted(p.relative_to(b) for p in b.rglob("*"))
    for rel in left:
        if (a / rel).is_file():
            assert filecmp.cmp(a / rel, b / rel, shallow=False), rel


def test_an_unchanged_project_reuses_them_and_the_site_is_the_same(counted, tmp_path):
    first = _build(counted, tmp_path / "first")
    assert _draws(counted) == 1
    assert (counted / assetcache.KEY_FILE).is_file()
    second = _build(counted, tmp_path / "second")
    assert _draws(counted) == 1  # not drawn again
    _same_tree(first, second)
    (counted / assetcache.KEY_FILE).unlink()  # the cold build gives the same site too
    third = _build(counted, tmp_path / "third")
    assert _draws(counted) == 2
    _same_tree(first, third)


def test_a_changed_record_makes_them_again(counted, tmp_path):
    _build(counted, tmp_path / "first")
    chip = sorted((counted / "records" / "chips").glob("*.yaml"))[0]
    text = chip.read_text(encoding="utf-8")
    name = next(line for line in text.splitlines() if line.startswith("name:"))
    chip.write_text(text.replace(name, "name: Renamed Test Accelerator"), encoding="utf-8")
    site = _build(counted, tmp_path / "second")
    assert _draws(counted) == 2
    api = (site / "downloads" / "api" / "chips" / f"{chip.stem}.json").read_text()
    assert json.loads(api)["name"] == "Renamed Test Accelerator"
    staged = counted / "build" / "docs" / "downloads" / "api" / "chips" / f"{chip.stem}.json"
    assert staged.read_text() == api


def test_a_new_file_in_the_records_folder_makes_them_again(counted, tmp_path):
    _build(counted, tmp_path / "first")
    (counted / "records" / "README.md").write_text("notes\n", encoding="utf-8")
    _build(counted, tmp_path / "second")
    assert _draws(counted) == 2


def test_a_staged_chart_changed_by_hand_is_made_again(counted, tmp_path):
    first = _build(counted, tmp_path / "first")
    chart = next((counted / "build" / "docs" / build.CHARTS).glob("*.svg"))
    chart.write_text("<svg/>", encoding="utf-8")
    second = _build(counted, tmp_path / "second")
    assert _draws(counted) == 2
    _same_tree(first, second)
    assert chart.read_bytes() == (first / build.CHARTS / chart.name).read_bytes()


def test_a_removed_download_is_made_again(counted, tmp_path):
    first = _build(counted, tmp_path / "first")
    (counted / "build" / "docs" / "downloads" / "kb.sqlite").unlink()
    second = _build(counted, tmp_path / "second")
    assert _draws(counted) == 2
    _same_tree(first, second)


def test_a_build_stopped_while_bringing_them_in_leaves_no_key(counted, tmp_path, monkeypatch):
    _build(counted, tmp_path / "first")
    (counted / "records" / "README.md").write_text("changed\n", encoding="utf-8")

    def stopped(*args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "apply_diff", stopped)
    with pytest.raises(KeyboardInterrupt):
        _build(counted, tmp_path / "second")
    assert not (counted / assetcache.KEY_FILE).exists()
    monkeypatch.undo()
    _build(counted, tmp_path / "third")
    assert (counted / assetcache.KEY_FILE).is_file()


def test_the_digest_follows_the_records_and_the_package(tmp_path):
    records, package = tmp_path / "records", tmp_path / "package"
    for folder in (records, package):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "a.yaml").write_text("a: 1\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    start = assetcache.inputs_digest(records, package)
    assert assetcache.inputs_digest(records, package) == start
    (package / "__pycache__" / "x.pyc").write_bytes(b"recompiled")  # bytecode is not an input
    assert assetcache.inputs_digest(records, package) == start
    (package / "sub" / "a.yaml").write_text("a: 2\n")
    changed = assetcache.inputs_digest(records, package)
    assert changed != start
    (records / "sub" / "a.yaml").rename(records / "sub" / "b.yaml")  # a name is an input too
    assert assetcache.inputs_digest(records, package) not in (start, changed)


def test_the_key_is_never_written_through_a_link(counted, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (counted / "build").mkdir()
    os.symlink(outside, counted / "build" / "cache")
    _build(counted, tmp_path / "first")
    assert list(outside.iterdir()) == []
    _build(counted, tmp_path / "second")
    assert _draws(counted) == 2  # nothing kept, so made again
    assert list(outside.iterdir()) == []


def test_the_staging_folder_of_another_project_is_not_mistaken_for_this_one(counted, tmp_path):
    _build(counted, tmp_path / "first")
    other = tmp_path / "other"
    shutil.copytree(counted, other, symlinks=True)
    (other / "records" / "README.md").write_text("another\n", encoding="utf-8")
    build_site(kb.load(other / "records"), out=tmp_path / "second", force=True)
    assert _draws(counted) == 2


def test_each_edition_keeps_its_own(counted, tmp_path):
    """A build of English alone leaves the Japanese charts reusable, and the other way round
    a two-language build reuses the English ones."""
    shutil.copy(Path(__file__).resolve().parent.parent / "mkdocs.ja.yml", counted)
    records = counted / "records"
    both = build_site(kb.load(records), out=tmp_path / "both", force=True)
    assert _draws(counted) == 2  # English, then Japanese
    assert (counted / assetcache.key_file("ja")).is_file()
    english = build_site(kb.load(records), out=tmp_path / "en", force=True, languages=("en",))
    assert _draws(counted) == 2
    assert not (english / "ja").exists()
    (counted / assetcache.KEY_FILE).unlink()  # the English ones made afresh, the Japanese kept
    again = build_site(kb.load(records), out=tmp_path / "again", force=True)
    assert _draws(counted) == 3
    _same_tree(both, again)
    ja_chart = next((counted / "build" / "docs-ja" / build.CHARTS).glob("*.svg"))
    assert ja_chart.read_bytes() == (both / "ja" / build.CHARTS / ja_chart.name).read_bytes()
