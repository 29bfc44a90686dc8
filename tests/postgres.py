"""A throwaway PostgreSQL server for the test session, and a fresh database per test.

The server is Debian's (``/usr/lib/postgresql/<version>/bin``), run as the ``postgres``
system user when the tests run as root (initdb and postgres refuse root). Everything
lives in one temporary directory owned by that user: the data directory, the unix
socket and the log. It listens on 127.0.0.1 only, on a free port, with trust
authentication, and without fsync: it is for tests and is deleted when it stops.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
# Fast and throwaway: nothing needs to survive a crash of the test machine.
SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "logging_collector": "off",
}


class PostgresUnavailable(Exception):
    """This machine cannot run a PostgreSQL server; the message says why."""


def find_bindir() -> Path:
    """The newest PostgreSQL with both initdb and postgres (Debian's layout first)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres")):
            return bindir
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin "
        "or on PATH: `make test-deps` installs Debian's postgresql package"
    )


def _run_as() -> tuple[list[str], tuple[int, int] | None]:
    """The command prefix that drops root to the ``postgres`` user, and its uid/gid."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no {SYSTEM_USER!r} system user to run PostgreSQL"
        ) from None
    runuser = shutil.which("runuser") or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
    )
    if runuser is None:
        raise PostgresUnavailable("running as root and runuser(1) is missing")
    return [runuser, "-u", SYSTEM_USER, "--"], (user.pw_uid, user.pw_gid)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class PostgresServer:
    """One running server; ``create_database`` gives each test its own database."""

    def __init__(self, root: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.root = root
        self.port = port
        self.process = process
        self.startup_seconds = 0.0
        self._names = itertools.count(1)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host=HOST, port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def create_database(
        self, prefix: str = "boz_test", *, settings: dict[str, str] | None = None
    ) -> str:
        """A new, empty database; returns its SQLAlchemy URL.

        ``settings`` become the database's defaults for new sessions (ALTER DATABASE SET),
        e.g. ``{"default_transaction_isolation": "serializable"}``.
        """
        name = f"{prefix}_{next(self._names)}_{uuid.uuid4().hex[:8]}"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            for key, value in (settings or {}).items():
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        sql.Identifier(name), sql.Identifier(key), sql.Literal(value)
                    )
                )
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database from ``create_database``, closing connections a test left open."""
        name = url.rsplit("/", 1)[1]
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "postgres.log").read_text(errors="replace")
        return ""

    def _postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.root / "data" / "postmaster.pid").read_text().split()[0])
        return None

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster), then delete everything. Idempotent."""
        if self.process.poll() is None:
            pid = self._postmaster_pid()
            for sig in (signal.SIGINT, signal.SIGQUIT):
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
                else:
                    self.process.send_signal(sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                    break
            else:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_ready(server: PostgresServer, deadline: float) -> bool:
    """True once the server accepts connections; False if it exited first."""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            psycopg.connect(
                host=HOST, port=server.port, user=SUPERUSER, dbname="postgres", connect_timeout=1
            ).close()
            return True
        except psycopg.OperationalError:
            time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL did not start in {START_TIMEOUT_S:.0f}s:\n{server.log()}")


def start() -> PostgresServer:
    """initdb into a new temporary directory and start ``postgres`` on a free loopback port.

    Raises PostgresUnavailable when the machine cannot run PostgreSQL at all, and
    RuntimeError (with the server's output) when it can but the server fails.
    """
    began = time.monotonic()
    bindir = find_bindir()
    prefix, owner = _run_as()
    root = Path(tempfile.mkdtemp(prefix="boz-postgres-"))
    if owner is not None:
        os.chown(root, *owner)
    data = root / "data"
    initdb = subprocess.run(
        [
            *prefix, str(bindir / "initdb"), "--pgdata", str(data), "--username", SUPERUSER,
            "--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync",
            "--no-instructions",
        ],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if initdb.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({initdb.returncode}):\n{initdb.stderr}")
    settings = [arg for name, value in SETTINGS.items() for arg in ("-c", f"{name}={value}")]
    settings += ["-c", f"unix_socket_directories={root}"]
    for _attempt in range(3):  # another process may take the free port before postgres does
        port = _free_port()
        with open(root / "postgres.log", "wb") as log:
            process = subprocess.Popen(
                [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port), *settings],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        server = PostgresServer(root, port, process)
        if _wait_ready(server, time.monotonic() + START_TIMEOUT_S):
            server.startup_seconds = time.monotonic() - began
            atexit.register(server.stop)  # in case the session ends without its teardown
            return server
        if "Address already in use" not in server.log():
            break
    log_text = server.log()
    server.stop()
    raise RuntimeError(f"postgres exited ({process.returncode}) at start:\n{log_text}")
