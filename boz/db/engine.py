"""Engines and sessions for the domain database, built from settings on demand.

SQLite is the default for one host; PostgreSQL when several hosts share the catalog.
On SQLite every transaction starts with BEGIN IMMEDIATE: writers queue on the busy
timeout instead of failing half way with "database is locked", which is what makes
episode-number allocation atomic there (PostgreSQL uses a row lock instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Episode allocation locks the season row and then reads what other transactions
        # committed meanwhile: READ COMMITTED semantics, whatever the server's default.
        return create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine plus a session factory; each ``session()`` is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session


@cache
def open_database(url: str) -> Database:
    """The process's database for ``url``, migrated to the newest schema on first use."""
    from boz.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    return Database(engine)
