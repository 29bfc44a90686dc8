"""The local Prefect server retries a write that collided inside the server.

Prefect on SQLite answers a write whose transaction found the database changed with 503,
and its client waits 2 s before trying again: one to three times per disc on a drive host
with a transcode beside its rip. A plain ``prefect server start`` answered the collision
provoked below with 503 five times out of five.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from boz.deployments.server_app import RetryUnavailable

HELD_S = 0.5
TRIES = 5


class Flaky:
    """An ASGI app answering 503 ``failures`` times, then 200 with the body it was sent;
    ``raise_after`` makes it raise after its 503, as Prefect's error handler does."""

    def __init__(self, failures: int, *, raise_after: bool = False) -> None:
        self.failures = failures
        self.raise_after = raise_after
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        self.bodies.append(message["body"])
        if len(self.bodies) <= self.failures:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"locked"})
            if self.raise_after:
                raise RuntimeError("database is locked")
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": message["body"]})


def _post(app: Any, body: bytes) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
            return await client.post("/api/task_runs/", content=body)

    return anyio.run(send)


@pytest.mark.parametrize("raise_after", [False, True])
def test_a_503_is_retried_with_the_same_body_and_the_client_sees_the_answer(
    raise_after: bool,
) -> None:
    app = Flaky(failures=2, raise_after=raise_after)
    response = _post(RetryUnavailable(app), b'{"name": "t"}')
    assert (response.status_code, response.content) == (200, b'{"name": "t"}')
    assert app.bodies == [b'{"name": "t"}'] * 3


def test_once_the_budget_is_spent_the_503_goes_to_the_client_which_backs_off() -> None:
    app = Flaky(failures=1000)
    response = _post(RetryUnavailable(app, budget_s=0.1), b"{}")
    assert (response.status_code, response.content) == (503, b"locked")
    assert 2 <= len(app.bodies) < 1000


def test_a_failure_that_is_not_a_503_is_not_retried() -> None:
    calls = []

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        calls.append(await receive())
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        _post(RetryUnavailable(broken), b"{}")
    assert len(calls) == 1


def test_the_lifespan_and_websockets_pass_through() -> None:
    seen = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], await receive()))

    async def run() -> None:
        for kind in ("lifespan", "websocket"):

            async def receive(kind: str = kind) -> dict[str, str]:
                return {"type": f"{kind}.startup" if kind == "lifespan" else "websocket.connect"}

            await RetryUnavailable(app)({"type": kind}, receive, None)

    anyio.run(run)
    assert seen == [
        ("lifespan", {"type": "lifespan.startup"}),
        ("websocket", {"type": "websocket.connect"}),
    ]


@pytest.fixture
def flow_run(prefect_api: str) -> Iterator[tuple[str, str]]:
    with httpx.Client(base_url=prefect_api, timeout=120) as client:
        flow = client.post("/flows/", json={"name": "collision"}).json()
        run = client.post("/flow_runs/", json={"flow_id": flow["id"], "name": "c"}).json()
        yield flow["id"], run["id"]
        client.delete(f"/flow_runs/{run['id']}")


@pytest.mark.prefect
def test_a_write_that_collides_on_the_real_server_is_answered_not_refused(
    prefect_api: str, flow_run: tuple[str, str]
) -> None:
    """A task run is created (the server reads the flow run, then inserts) while another
    writer holds the database and commits a change: the server's transaction finds its
    snapshot stale. A plain client that never retries gets the task run. On a loaded
    machine the request may reach the server only after the commit, so the collision is
    provoked again, held longer, until the server's log shows it was retried."""
    from conftest import _session_server

    flow_id, run_id = flow_run
    home = _session_server()[0] / "prefect"
    log = home / "server.log"
    since = log.stat().st_size
    answers: list[int] = []
    retried = False
    for attempt in range(TRIES):
        answers.append(_collide(prefect_api, home / "prefect.db", flow_id, run_id, attempt))
        with open(log, "rb") as f:
            f.seek(since)
            retried = b"POST /api/task_runs/: 503, tried again" in f.read()
        if retried:
            break
    assert retried, f"no collision in {TRIES} tries"
    assert set(answers) == {201}


def _collide(api: str, database: Path, flow_id: str, run_id: str, attempt: int) -> int:
    answers: list[int] = []
    body = {"flow_run_id": run_id, "task_key": "collide", "dynamic_key": str(attempt), "name": "t"}
    writer = sqlite3.connect(database, timeout=60, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "UPDATE flow SET updated = ? WHERE id = ?", (datetime.now(UTC).isoformat(), flow_id)
        )
        create = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{api}/task_runs/", json=body, timeout=120).status_code
            )
        )
        create.start()
        time.sleep(HELD_S * 2**attempt)  # the request reads, then waits for the write lock
        writer.execute("COMMIT")
    finally:
        writer.close()
    create.join()
    return answers[0]
