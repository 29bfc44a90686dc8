"""Shared test set-up: an isolated home per test, real ffmpeg discs, one Prefect server.

The environment is fixed in ``pytest_configure`` (before anything imports Prefect, whose
settings are read once per process): the real home directory is never touched, and
PREFECT_API_URL points at the session's server, which starts on first use.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from postgres import PostgresServer

    from boz.db.engine import Database

ROOT = Path(__file__).resolve().parent.parent
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="boz-tests-"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_configure(config: pytest.Config) -> None:
    os.environ["HOME"] = str(_SESSION_DIR / "user-home")  # nothing may touch the real one
    os.environ["BOZ_HOME"] = str(_SESSION_DIR / "boz-home")
    os.environ["PREFECT_HOME"] = str(_SESSION_DIR / "prefect-client")
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{_free_port()}/api"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    for name in list(os.environ):
        if name.startswith("BOZ_") and name != "BOZ_HOME":
            del os.environ[name]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: the parallel workers (`make test`) take tests in this order, and
    a long test started last would run on alone after the rest."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_unconfigure(config: pytest.Config) -> None:
    from boz.deployments.local_server import stop

    stop(_SESSION_DIR / "prefect-server")
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def _session_server() -> tuple[Path, int]:
    url = os.environ["PREFECT_API_URL"]
    return _SESSION_DIR / "prefect-server", int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The session's Prefect server (one for the whole run, started on first use)."""
    from prefect.logging.handlers import APILogWorker

    from boz.deployments.local_server import start, stop

    home, port = _session_server()
    yield start(home, port=port)
    APILogWorker.drain_all(timeout=5)  # send the last run logs before the server goes
    stop(home)


def restart_prefect_server() -> None:
    """Stop the session's server and start it again on the same port and database."""
    from boz.deployments.local_server import start, stop

    home, port = _session_server()
    stop(home)
    start(home, port=port)


@pytest.fixture(autouse=True)
def boz_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh BOZ_HOME per test; fast settings for tiny discs."""
    home = tmp_path / "boz-home"
    monkeypatch.setenv("BOZ_HOME", str(home))
    monkeypatch.setenv("BOZ_MIN_TITLE_SECONDS", "2")
    monkeypatch.setenv("BOZ_X264_PRESET", "ultrafast")
    monkeypatch.setenv("BOZ_APPROVAL_POLL_SECONDS", "1")
    monkeypatch.setenv("BOZ_STALL_SECONDS", "30")
    monkeypatch.setenv("COLUMNS", "200")  # whatever width the caller's terminal (or a test) left
    return home


@pytest.fixture(scope="session")
def disc_factory() -> Iterator[object]:
    """Make small TV discs once per session (same label and variant -> same files)."""
    from boz.media.sample import make_disc

    made: dict[tuple[str, int, int, int], Path] = {}
    base = _SESSION_DIR / "discs"

    def make(label: str, *, episodes: int = 3, extras: int = 1, variant: int = 0) -> Path:
        key = (label, episodes, extras, variant)
        if key not in made:
            folder = base / f"{len(made)}" / label
            make_disc(
                folder,
                episodes=episodes,
                episode_seconds=3,
                extras=extras,
                extra_seconds=1,
                first_variant=variant,
            )
            made[key] = folder
        return made[key]

    yield make


@pytest.fixture
def copy_disc(tmp_path: Path, disc_factory):  # type: ignore[no-untyped-def]
    """A private copy of a sample disc, for tests that change or break its files."""

    def copy(label: str, **kwargs: int) -> Path:
        return Path(shutil.copytree(disc_factory(label, **kwargs), tmp_path / "discs" / label))

    return copy


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL on 127.0.0.1 (started on first use, stopped at the end).

    Skips, with the reason, only where PostgreSQL cannot run at all (no binaries, no
    ``postgres`` user); a server that is installed but fails to start is an error.
    """
    from postgres import PostgresUnavailable, start

    try:
        server = start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for this test: a SQLite file, or a new database on the session's
    PostgreSQL (dropped afterwards, with any connections the test left open)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'boz.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """That empty database migrated to head, as a Database (its engine disposed after)."""
    from boz.db.engine import Database, make_engine
    from boz.db.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    yield Database(engine)
    engine.dispose()
