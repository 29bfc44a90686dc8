"""The local Prefect server: one per home however many processes ask at once, patient on a
loaded machine, a plain error when the port is someone else's.

Prefect's temporary per-process server timed out on a busy machine 5 times in 6, and 8
processes starting at once on a fresh home failed 3 times in 8. Each server start here
costs 20-60 s (a new database is migrated), so only two tests start one.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from boz.deployments.local_server import api_url, healthy, server_pid, start, stop
from boz.errors import PrefectUnavailable

STARTERS = 4
BURNERS = 2
BOUND_S = 600  # a generous bound for a server start on a loaded 2-core machine
# Imports first, then waits for a line on stdin: the test releases all starters at once.
START = """
import sys
from pathlib import Path
from boz.deployments.local_server import start
print("ready", flush=True)
sys.stdin.readline()
print(start(Path(sys.argv[1]), port=int(sys.argv[2])))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _servers(port: int) -> set[int]:
    """Pids of the local Prefect server processes for ``port`` running now."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            args = (entry / "cmdline").read_bytes().split(b"\0")
            if {b"boz.deployments.server_app", str(port).encode()} <= set(args):
                found.add(int(entry.name))
    return found


@contextlib.contextmanager
def _every_server(port: int) -> Iterator[set[int]]:
    """Every server process for ``port`` seen while the block runs (polled every 0.1 s: a
    second server would live for seconds even if it failed at once), killed at the end."""
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            seen.update(_servers(port))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield seen
    finally:
        done.set()
        watcher.join()
        for pid in _servers(port):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _loaded_machine() -> Iterator[None]:
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BURNERS)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _starters(home: Path, port: int, count: int) -> list[subprocess.Popen[str]]:
    """``count`` processes calling ``start`` at the same moment."""
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", START, str(home), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for starter in starters:
        assert starter.stdout is not None
        ready, _, _ = select.select([starter.stdout], [], [], 120)
        assert ready and starter.stdout.readline() == "ready\n"
    for starter in starters:
        assert starter.stdin is not None
        starter.stdin.write("go\n")
        starter.stdin.flush()
    return starters


def _finish(starter: subprocess.Popen[str], deadline: float) -> str:
    out, err = starter.communicate(timeout=max(1.0, deadline - time.monotonic()))
    assert starter.returncode == 0, err
    return out.strip()


def test_processes_starting_at_once_on_a_loaded_machine_share_one_server(tmp_path: Path) -> None:
    home, port = tmp_path / "home", _free_port()
    url = api_url("127.0.0.1", port)
    (home / "prefect").mkdir(parents=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (home / "prefect" / "server.pid").write_text(str(gone.pid))  # a server that died
    deadline = time.monotonic() + BOUND_S
    starters: list[subprocess.Popen[str]] = []
    try:
        with _every_server(port) as spawned, _loaded_machine():
            starters = _starters(home, port, STARTERS)
            urls = [_finish(starter, deadline) for starter in starters]
            assert urls == [url] * STARTERS
            assert healthy(url)
            server = int((home / "prefect" / "server.pid").read_text())
            assert spawned == {server}
            assert server_pid(home) == server

            assert stop(home)
            assert not healthy(url)
            assert not _servers(port)
            assert server_pid(home) is None
    finally:
        for starter in starters:
            starter.kill()
            starter.wait()
        stop(home)


def test_a_server_left_starting_by_a_killed_process_is_adopted(tmp_path: Path) -> None:
    home, port = tmp_path / "home", _free_port()
    pid_file = home / "prefect" / "server.pid"
    deadline = time.monotonic() + BOUND_S
    try:
        with _every_server(port) as spawned:
            (first,) = _starters(home, port, 1)
            while not pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            first.kill()  # mid-start: its server is migrating, the port not yet bound
            first.communicate()

            assert start(home, port=port) == api_url("127.0.0.1", port)
            assert spawned == {int(pid_file.read_text())}
            assert stop(home)
    finally:
        stop(home)


def test_a_port_held_by_something_else_fails_at_once(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        began = time.monotonic()
        with pytest.raises(PrefectUnavailable) as error:
            start(tmp_path / "home", port=port)
    assert time.monotonic() - began < 10
    message = str(error.value)
    assert f"port {port} on 127.0.0.1 is taken by something that is not a Prefect server" in message
    assert "\n" not in message
    assert not (tmp_path / "home" / "prefect" / "server.pid").exists()


def test_stop_never_kills_what_a_stale_pid_file_names(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)  # took a dead pid
    try:
        (tmp_path / "home" / "prefect").mkdir(parents=True)
        (tmp_path / "home" / "prefect" / "server.pid").write_text(str(stranger.pid))
        assert server_pid(tmp_path / "home") is None  # the pid file names a stranger
        assert stop(tmp_path / "home") is False
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.slow
def test_the_server_keeps_its_data_in_postgresql_when_told(
    boz_home: Path, postgres_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drive host's Prefect server on SQLite stalls colliding writes for ~2 s each (503
    "database is locked"); BOZ_PREFECT_DATABASE_URL puts its data in PostgreSQL."""
    from helpers import run_boz

    database = postgres_server.create_database("prefect")
    monkeypatch.setenv("BOZ_PREFECT_DATABASE_URL", database)  # psycopg's: asyncpg is used
    port = _free_port()
    try:
        started = run_boz("server", "start", "--port", str(port), "--url-only", timeout=BOUND_S)
        url = started.stdout.strip()
        assert url == api_url("127.0.0.1", port)
        made = httpx.post(f"{url}/flows/", json={"name": "stored-in-postgresql"}, timeout=30)
        assert made.status_code in (200, 201), made.text
        with psycopg.connect(database.replace("postgresql+psycopg", "postgresql")) as conn:
            stored = conn.execute("SELECT name FROM flow").fetchall()
        assert stored == [("stored-in-postgresql",)]
        assert not list((boz_home / "prefect").glob("*.db"))

        monkeypatch.delenv("BOZ_PREFECT_DATABASE_URL")  # the same home, now asking for SQLite
        with pytest.raises(PrefectUnavailable) as error:
            start(boz_home, port=port)
        assert "keeps its data in another database than BOZ_PREFECT_DATABASE_URL" in str(
            error.value
        )
        assert healthy(url)
    finally:
        run_boz("server", "stop")
        postgres_server.drop_database(database)
    assert not _servers(port)


def test_a_database_the_server_cannot_reach_is_one_line(boz_home: Path) -> None:
    nobody, port = _free_port(), _free_port()  # nothing listens on either
    with pytest.raises(PrefectUnavailable) as error:
        start(boz_home, port=port, database_url=f"postgresql://boz:s3cret@127.0.0.1:{nobody}/x")
    message = str(error.value)
    assert "exited while starting: ConnectionRefusedError" in message
    assert "\n" not in message and "s3cret" not in message
    assert not _servers(port)


class _Execed(Exception):
    pass


def _run_args(monkeypatch: pytest.MonkeyPatch, home: Path, host: str) -> tuple[list[str], dict]:
    """What ``run`` would become: the program and environment it hands to execve."""
    from boz.deployments import local_server

    became: list[tuple[list[str], dict]] = []

    def execve(path: str, args: list[str], env: dict) -> None:
        became.append((args, env))
        raise _Execed

    monkeypatch.setattr(local_server.os, "execve", execve)
    with pytest.raises(_Execed):
        local_server.run(home, host=host, port=4321)
    return became[0]


def test_the_server_a_service_manager_runs_is_the_one_start_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The systemd unit runs ``boz server run``: the same app as ``start`` (collided writes
    retried), its leases on disk; the client's Prefect settings stay out of it."""
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")  # as boz.env sets it
    monkeypatch.delenv("PREFECT_UI_API_URL", raising=False)
    args, env = _run_args(monkeypatch, tmp_path, "0.0.0.0")
    assert args == [sys.executable, "-m", "boz.deployments.server_app",
                    "--host", "0.0.0.0", "--port", "4321"]  # fmt: skip
    assert env["PREFECT_HOME"] == str(tmp_path / "prefect")
    assert env["PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE"].endswith("lease_storage.filesystem")
    assert "PREFECT_API_URL" not in env
    # A browser on another host reaches the API by this host's name, not 127.0.0.1.
    assert env["PREFECT_UI_API_URL"] == f"http://{socket.gethostname()}:4321/api"

    monkeypatch.setenv("PREFECT_UI_API_URL", "http://nas.lan:4321/api")  # the operator's
    assert _run_args(monkeypatch, tmp_path, "0.0.0.0")[1]["PREFECT_UI_API_URL"] == (
        "http://nas.lan:4321/api"
    )
    monkeypatch.delenv("PREFECT_UI_API_URL")
    assert _run_args(monkeypatch, tmp_path, "127.0.0.1")[1]["PREFECT_UI_API_URL"] == (
        "http://127.0.0.1:4321/api"
    )
