"""Engines and sessions for the domain database, built from settings on demand.

SQLite is the default for one host; PostgreSQL when several hosts share the catalog.
On SQLite every transaction starts with BEGIN IMMEDIATE: writers queue on the busy
timeout instead of failing half way with "database is locked", which is what makes
episode-number allocation atomic there (PostgreSQL uses row locks instead). SQLite's
busy handler serves its waiters in no order, though: each polls, sleeping up to 100 ms
between tries, and whoever tries first after a commit wins, so with eight processes
allocating episode numbers one waited 4 s while the others went round many times. So
each transaction first waits its turn in a first-come, first-served ``WriterQueue``.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from boz.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A PostgreSQL connection idle for longer is pinged before it is used again.
PING_AFTER_IDLE_S = 10.0
# In the queue's file, bytes 0-7 count the tickets drawn and a lock on byte 0 guards the
# count; ticket n holds a lock on byte _FIRST_SLOT + n from drawing it until it leaves.
_TICKETS = 0
_FIRST_SLOT = 8


def _lock(fd: int, byte: int, *, wait: bool) -> None:
    command = fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK
    fcntl.fcntl(fd, command, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, byte, 1, 0))


def _unlock(fd: int, byte: int) -> None:
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_UNLCK, os.SEEK_SET, byte, 1, 0))


class WriterQueue:
    """First come, first served for one SQLite connection's transactions, through a file
    beside the database (``<database>-writers``) that every connection shares.

    A transaction draws the next ticket and waits, blocked in the kernel, on the lock
    that the ticket before it holds until its transaction ends: the kernel then wakes
    that one waiter, where SQLite's waiters poll. Open-file-description locks, so threads
    of one process queue as processes do, and a process that dies leaves the queue.
    SQLite's lock still does the excluding (a writer outside the queue waits on SQLite as
    before): the queue only orders waiters, it can never let two writers in.
    """

    def __init__(self, path: Path, timeout_s: float) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        self._slot: int | None = None

    def enter(self) -> bool:
        """Whether our turn came within the timeout; if not, we have left the queue."""
        _lock(self._fd, _TICKETS, wait=True)
        try:
            ticket = int.from_bytes(os.pread(self._fd, 8, 0), "little")
            os.pwrite(self._fd, (ticket + 1).to_bytes(8, "little"), 0)
            self._slot = _FIRST_SLOT + ticket
            _lock(self._fd, self._slot, wait=False)
        finally:
            _unlock(self._fd, _TICKETS)
        if ticket and not self._ended(self._slot - 1):
            self.leave()
            return False
        return True

    def leave(self) -> None:
        if self._slot is not None:
            _unlock(self._fd, self._slot)
            self._slot = None

    def close(self) -> None:
        self.leave()
        os.close(self._fd)

    def _ended(self, slot: int) -> bool:
        """Whether the transaction holding ``slot`` ends within the timeout.

        A kernel lock wait has no timeout, so a helper thread waits, on a file of its
        own. If we give up first, it still takes the lock when that transaction ends and
        drops it at once; no ticket reuses a slot, so that holds nobody up.
        """
        probe = os.open(self._path, os.O_RDWR | os.O_CLOEXEC)
        try:
            _lock(probe, slot, wait=False)
        except BlockingIOError:
            pass
        else:
            os.close(probe)
            return True
        ended = threading.Event()

        def wait() -> None:
            try:
                _lock(probe, slot, wait=True)
            finally:
                os.close(probe)
            ended.set()

        threading.Thread(target=wait, name="sqlite-writer-queue", daemon=True).start()
        return ended.wait(self._timeout_s)


class _QueuedConnection(sqlite3.Connection):
    """A pysqlite connection that leaves its writer queue when a transaction ends."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.writers = WriterQueue(Path(f"{database}-writers"), SQLITE_BUSY_TIMEOUT_MS / 1000)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.writers.leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.writers.leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.writers.close()


def make_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL; any other URL, a missing driver or a folder that
    cannot be made is a DatabaseError naming BOZ_DATABASE_URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"BOZ_DATABASE_URL {url!r} is not a database URL: give sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(url, parsed.database)
        if backend == "postgresql":
            return _postgresql_engine(url)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"PostgreSQL needs the Python module {exc.name!r}: install boz-ripper with its "
            "postgres extra (pip install 'boz-ripper[postgres]')"
        ) from None
    except (FileExistsError, NotADirectoryError):
        raise DatabaseError(
            f"the database's folder {Path(parsed.database or '').parent} is a file, not a "
            "folder: set BOZ_HOME (or BOZ_DATABASE_URL) to a folder"
        ) from None
    except OSError as exc:
        raise DatabaseError(
            f"cannot make the database's folder {Path(parsed.database or '').parent}: "
            f"{exc.strerror} (BOZ_HOME or BOZ_DATABASE_URL)"
        ) from None
    raise DatabaseError(
        f"BOZ_DATABASE_URL {parsed.render_as_string()!r}: {backend} is not supported; "
        "use SQLite (sqlite:///PATH) or PostgreSQL (postgresql+psycopg://…)"
    )


def _postgresql_engine(url: str) -> Engine:
    # Episode allocation locks rows and then reads what other transactions committed
    # meanwhile: READ COMMITTED semantics, whatever the server's default.
    engine = create_engine(url, isolation_level="READ COMMITTED")

    # Only a connection left idle a while is pinged before use (pool_pre_ping pinged on
    # every checkout: one more round trip per transaction, a network one between hosts).
    # A failed ping makes the pool connect again instead of failing the caller.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: object, record: ConnectionPoolEntry, _proxy: object) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc

    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        raise ValueError(f"SQLite needs a database file, not {url!r}")
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "factory": _QueuedConnection},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: _QueuedConnection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Switching a new file to WAL needs it to itself and fails at once with "database
        # is locked" (no busy wait) while another connection opens it: that takes a turn
        # (or, after the busy timeout, tries anyway).
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            dbapi_connection.writers.enter()
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            finally:
                dbapi_connection.writers.leave()
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writers = conn.connection.dbapi_connection.writers  # type: ignore[union-attr]
        if not writers.enter():  # what SQLite says after waiting the same time itself
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.leave()
            raise

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
    """The process's database for ``url``, migrated to the newest schema on first use.

    Every ``boz`` command opens it; loading Alembic and its scripts to find nothing to do
    cost each a third of a second, so a database that records the newest revision is
    taken as it is."""
    from boz.db.tables import SCHEMA_REVISION  # the tables' modules use this one

    engine = make_engine(url)
    if _revision(engine) != SCHEMA_REVISION:
        from boz.db.migrate import upgrade

        upgrade(engine)
    return Database(engine)


def _revision(engine: Engine) -> str | None:
    """The revision the database records; None for a new one (or one Alembic must see).
    A database that cannot be reached fails here, once, not again inside Alembic (a host
    that does not answer costs a connect timeout each time)."""
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise DatabaseError.cannot("open", engine.url.render_as_string(), exc) from exc
    with conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            return None
