"""The servers a benchmark runs against, started as the tests start theirs and stopped
when it ends: a throwaway PostgreSQL, and the local Prefect server with its own data in
SQLite (the default) or in PostgreSQL (as ``BOZ_PREFECT_DATABASE_URL`` gives it)."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from boz.deployments.local_server import start, stop

TESTS = Path(__file__).resolve().parent.parent / "tests"
PREFECT_DATABASES = ("sqlite", "postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgresql():  # type: ignore[no-untyped-def]  # tests/postgres.py's PostgresServer
    """A throwaway PostgreSQL server (tests/postgres.py), deleted when the block ends."""
    sys.path.insert(0, str(TESTS))
    from postgres import start as start_postgres

    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def prefect_server(folder: Path, database: Literal["sqlite", "postgresql"]) -> Iterator[str]:
    """The local Prefect server under ``folder``; yields its API URL (its process:
    ``local_server.server_pid(folder)``). On SQLite Prefect
    answers a write that collides with another with 503 and its client waits about 2 s;
    on PostgreSQL it waits on row locks instead."""
    with contextlib.ExitStack() as stack:
        database_url = None
        if database == "postgresql":
            database_url = stack.enter_context(postgresql()).create_database("prefect")
        stack.callback(stop, folder)
        yield start(folder, port=free_port(), database_url=database_url)
