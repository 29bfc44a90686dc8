"""The local Prefect server's process: Prefect's own app, with locked writes retried inside it.

Prefect on SQLite answers a write that collides with another (a transaction that read,
then found the database changed when it came to write) with 503, and its client waits
2 s (then 4, 8...) before it tries again. On a drive host a rip's next task starts while
the last title's transcode starts its own, so one to three such collisions per disc
stretched the pipeline by 2 s each. The collision is over within milliseconds and
Prefect rolled the transaction back, so the server tries the request again itself, a few
times within ``RETRY_BUDGET_S``, before a 503 reaches the client, which then backs off
as before: a busy database costs what it did, a collision no longer costs 2 s.

Run as ``python -m boz.deployments.server_app --host H --port P``; settings come from the
environment as for ``prefect server start`` (which this replaces for ``boz server``: it
runs the same app under uvicorn, services and UI included).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# In the server's log: how often its clients would have waited 2 s.
LOG = logging.getLogger("prefect.server.retries")
RETRY_BUDGET_S = 1.5
FIRST_DELAY_S = 0.02
LONGEST_DELAY_S = 0.4
UNAVAILABLE = 503


class RetryUnavailable:
    """ASGI middleware: an HTTP request answered 503 runs again after a short, growing
    delay while the budget lasts; the last attempt's answer goes out whatever it is.
    Anything else (websockets, the lifespan) passes through untouched."""

    def __init__(self, app: App, budget_s: float = RETRY_BUDGET_S) -> None:
        self.app = app
        self.budget_s = budget_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        if body is None:
            return  # the client left before it finished sending
        give_up = time.monotonic() + self.budget_s
        delay = FIRST_DELAY_S
        while True:
            last = time.monotonic() + delay >= give_up
            if await _attempt(self.app, scope, body, receive, send, last=last):
                return
            LOG.warning("%s %s: 503, tried again in %.2f s", scope["method"], scope["path"], delay)
            await anyio.sleep(delay)
            delay = min(delay * 2, LONGEST_DELAY_S)


async def _whole_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _attempt(
    app: App, scope: Scope, body: bytes, receive: Receive, send: Send, *, last: bool
) -> bool:
    """Run the request once; False when it was answered 503 and nothing was sent, so it
    may run again. Prefect's error handler re-raises after it answered: that exception is
    the 503's, not a new failure."""
    replayed = False
    unavailable = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: only the client's disconnect comes

    async def hold_back(message: Message) -> None:
        nonlocal unavailable
        if message["type"] == "http.response.start" and message["status"] == UNAVAILABLE:
            unavailable = not last
        if not unavailable:
            await send(message)

    try:
        await app(dict(scope), replay, hold_back)
    except Exception:
        if not unavailable:
            raise
    return not unavailable


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    args = parser.parse_args(argv)

    import prefect
    import uvicorn
    from prefect.server.api.server import create_app
    from prefect.settings import get_current_settings

    server = get_current_settings().server
    uvicorn.run(
        RetryUnavailable(create_app(final=True)),
        app_dir=str(prefect.__module_path__.parent),
        host=args.host,
        port=args.port,
        timeout_keep_alive=server.api.keepalive_timeout,
        ws_ping_interval=server.api.websocket_ping_interval,
        ws_ping_timeout=server.api.websocket_ping_timeout,
        log_level=server.logging_level.lower(),
    )


if __name__ == "__main__":
    main()
