"""A local Prefect server for one machine: the demo's, a developer's, the tests'.

Approval needs a Prefect API that both the paused run and ``boz approve`` reach, and
the UI is where an operator sees runs; Prefect's own temporary per-process server gives
neither, and on a busy machine it missed its start-up timeout most of the time. The
server runs detached, its log and pid under ``<home>/prefect``, so it outlives the
command that started it; ``stop`` ends it.

Starting is safe to do from many processes at once: one lock per home makes exactly one
of them spawn the server (one database migration) while the others wait and then find
it. Its data is SQLite under ``<home>/prefect``, or a PostgreSQL database the operator
names: Prefect on SQLite answers writes that collide (many runs at once, as on a drive
host with transcodes beside its rips) with 503 "database is locked", which ``server_app``
retries inside the server before its client would wait 2 s. It is patient: a new
database takes 16-18 s to migrate on an idle machine and much longer on a loaded one, so
``start`` waits as long as the server process lives. ``run`` is the same server in the
foreground, for a service manager (the home-lab's systemd unit).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
from sqlalchemy.engine import make_url

from boz.errors import PrefectUnavailable

# A last resort only: a server that is alive but has not answered in this long is stuck.
START_CEILING_S = 15 * 60
STOP_GRACE_S = 10
POLL_S = 0.5
LOG_TAIL_BYTES = 16384
EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception): ")


def api_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/api"


def healthy(url: str, timeout: float = 3.0) -> bool:
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def start(
    home: Path, *, host: str = "127.0.0.1", port: int = 4200, database_url: str | None = None
) -> str:
    """Start (or find running) a Prefect server; returns its API URL once it answers.

    ``database_url`` is a PostgreSQL database for the server's own data (any driver
    named; Prefect's server needs asyncpg), None for SQLite under ``home``. Blocks until
    the server answers, however long its migrations take on this machine; a server that
    exits, or a port held by something else, is a one-line error.
    """
    url = api_url(host, port)
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    database = _for_prefect(database_url)
    with _exclusive(prefect_home / "server.lock"):
        if _serving(prefect_home):  # ours, maybe still migrating: never start a second one
            pid, running_url = _recorded(prefect_home)
            if running_url != url:
                raise PrefectUnavailable(
                    f"the Prefect server of {home} (pid {pid}) serves {running_url}, not {url}:"
                    " use its port, or stop it first with `boz server stop`"
                )
            if _recorded_database(prefect_home) != _fingerprint(database):
                raise PrefectUnavailable(
                    f"the Prefect server of {home} (pid {pid}) keeps its data in another "
                    "database than BOZ_PREFECT_DATABASE_URL names: stop it first with "
                    "`boz server stop`"
                )
            return _await_health(prefect_home, url, since=0)
        if _port_taken(host, port):
            if healthy(url):  # another home's server: any Prefect API will do
                return url
            raise PrefectUnavailable(
                f"port {port} on {host} is taken by something that is not a Prefect server:"
                " free it or choose another port"
            )
        since = _spawn(prefect_home, host, port, url, database)
        return _await_health(prefect_home, url, since=since)


def stop(home: Path) -> bool:
    """Stop the server ``start`` left running for ``home``; False if none was running.

    Waits for a ``start`` in progress for the same home, then stops what it started.
    """
    prefect_home = home / "prefect"
    if not prefect_home.is_dir():
        return False
    with _exclusive(prefect_home / "server.lock"):
        return _stop(prefect_home)


def server_pid(home: Path) -> int | None:
    """The process of the server ``start`` left running for ``home`` (a benchmark reads
    its CPU time); None if none runs."""
    prefect_home = home / "prefect"
    return _recorded(prefect_home)[0] if _serving(prefect_home) else None


def _stop(prefect_home: Path) -> bool:
    pid_file = prefect_home / "server.pid"
    if not _serving(prefect_home):
        pid_file.unlink(missing_ok=True)  # a dead server's: its pid may be someone else's now
        return False
    pid, _ = _recorded(prefect_home)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        give_up = time.monotonic() + STOP_GRACE_S
        while _serving(prefect_home) and time.monotonic() < give_up:
            time.sleep(0.1)
        if _serving(prefect_home):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)  # `prefect server stop` may have been first
    return True


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file``; the kernel drops it if this process dies."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _serving(prefect_home: Path) -> bool:
    """Whether the server spawned for this home still runs.

    The server inherits an exclusive lock on ``server.alive`` at spawn and holds it for as
    long as it lives, so a stale pid file, a zombie no init reaped or a reused pid cannot
    pass for it (and stop never kills a stranger).
    """
    try:
        fd = os.open(prefect_home / "server.alive", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _recorded(prefect_home: Path) -> tuple[int, str]:
    pid = int((prefect_home / "server.pid").read_text())
    return pid, (prefect_home / "server.url").read_text()


def _for_prefect(database_url: str | None) -> str | None:
    """The URL as Prefect's server takes it: its PostgreSQL driver is asyncpg."""
    if database_url is None:
        return None
    return (
        make_url(database_url)
        .set(drivername="postgresql+asyncpg")
        .render_as_string(hide_password=False)
    )


def _fingerprint(database: str | None) -> str:
    """Which database a server uses (host, port, user, name), recorded beside it; the
    password plays no part, so nothing derived from it lands on disk."""
    if database is None:
        return "sqlite"
    where = make_url(database).set(password=None).render_as_string()
    return hashlib.sha256(where.encode()).hexdigest()


def _recorded_database(prefect_home: Path) -> str:
    try:
        return (prefect_home / "server.database").read_text()
    except FileNotFoundError:  # started before servers recorded theirs: SQLite
        return "sqlite"


def _port_taken(host: str, port: int) -> bool:
    """Whether something listens on ``host:port``; binds as uvicorn does (SO_REUSEADDR,
    so the connections a stopped server left in TIME_WAIT do not count)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE  # other failures: the server will say why
    return False


def run(home: Path, *, host: str, port: int, database_url: str | None = None) -> NoReturn:
    """Become the Prefect server (for a service manager that keeps it running): the same
    app and settings as ``start`` gives the server it leaves running, in the foreground.
    Its UI calls the API at ``PREFECT_UI_API_URL`` when the environment sets it, else at
    this host's name when it listens on every address (a browser elsewhere cannot reach
    127.0.0.1 or 0.0.0.0)."""
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    everywhere = host in ("0.0.0.0", "::")
    ui_url = os.environ.get("PREFECT_UI_API_URL") or api_url(
        socket.gethostname() if everywhere else host, port
    )
    env = server_env(prefect_home, ui_url, _for_prefect(database_url))
    os.execve(sys.executable, _server_args(host, port), env)


def server_env(prefect_home: Path, ui_url: str, database: str | None) -> dict[str, str]:
    """The server's environment: this one without the client's Prefect settings, which
    are not the server's (its API URL, its home), plus the server's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_UI_API_URL": ui_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # global concurrency leases must survive a server restart
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": (
            "prefect.server.concurrency.lease_storage.filesystem"
        ),
    }
    if database is not None:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
    return env


def _server_args(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "boz.deployments.server_app", "--host", host, "--port", str(port)]


def _spawn(prefect_home: Path, host: str, port: int, url: str, database: str | None) -> int:
    """Start the server (``server_app``) detached; returns where its output starts in the log."""
    env = server_env(prefect_home, url, database)
    args = _server_args(host, port)
    alive = os.open(prefect_home / "server.alive", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(alive, fcntl.LOCK_EX)  # handed to the server, see _serving
        with open(prefect_home / "server.log", "ab") as log:
            since = log.tell()
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
                pass_fds=(alive,),  # only this one: the start lock must not leak into it
            )
    finally:
        os.close(alive)
    # server.pid as Prefect writes it, so `prefect server stop` can end it too
    (prefect_home / "server.pid").write_text(str(proc.pid))
    (prefect_home / "server.url").write_text(url)
    (prefect_home / "server.database").write_text(_fingerprint(database))
    return since


def _await_health(prefect_home: Path, url: str, *, since: int) -> str:
    log = prefect_home / "server.log"
    give_up = time.monotonic() + START_CEILING_S
    while time.monotonic() < give_up:
        if healthy(url):
            return url
        if not _serving(prefect_home):
            raise PrefectUnavailable(
                f"the Prefect server for {url} exited while starting: {_last_words(log, since)}"
                f" (log: {log})"
            )
        time.sleep(POLL_S)
    _stop(prefect_home)
    raise PrefectUnavailable(
        f"the Prefect server for {url} did not answer in {START_CEILING_S // 60} min and was"
        f" stopped (log: {log})"
    )


def _last_words(log: Path, since: int) -> str:
    """Why the server exited, from what it wrote since ``since``: the last exception line
    of a traceback, else its last line ("Server stopped!", always last, says nothing)."""
    with open(log, "rb") as f:
        f.seek(max(since, f.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
        lines = f.read().decode(errors="replace").splitlines()
    said = [line.strip() for line in lines if line.strip() not in ("", "Server stopped!")]
    raised = [line for line in said if EXCEPTION_LINE.match(line)]
    return (raised or said or ["it wrote nothing"])[-1]
