"""Shared fixtures: the real knowledge base (loaded once) and throwaway record trees."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import kb

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid" / "records"


@pytest.fixture(scope="session")
def base() -> kb.KnowledgeBase:
    return kb.load()


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    """A copy of the small valid records tree, safe to modify."""
    target = tmp_path / "records"
    shutil.copytree(VALID, target)
    return target


@pytest.fixture
def write_record(records_dir: Path) -> Callable[[str, str, str | bytes], Path]:
    """Write one record file into the copied tree: write_record(kind, name, text_or_bytes)."""

    def write(kind: str, name: str, content: str | bytes) -> Path:
        path = records_dir / kind / f"{name}.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
