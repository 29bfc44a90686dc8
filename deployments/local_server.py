"""A local Prefect server for one machine: the demo's, a developer's, the tests'.

Approval needs a Prefect API that both the paused run and ``boz approve`` reach, and
the UI is where an operator sees runs; Prefect's own ephemeral mode gives neither.
The server keeps its database under ``<home>/prefect`` and runs detached, so it
outlives the command that started it; ``stop`` ends it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from boz.errors import PrefectUnavailable

START_TIMEOUT_S = 90


def api_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/api"


def healthy(url: str, timeout: float = 3.0) -> bool:
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def start(home: Path, *, host: str = "127.0.0.1", port: int = 4200) -> str:
    """Start (or find running) a Prefect server; returns its API URL once it answers."""
    url = api_url(host, port)
    if healthy(url):
        return url
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    log = prefect_home / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_UI_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": (
            "prefect.server.concurrency.lease_storage.filesystem"
        ),
    }
    args = [sys.executable, "-m", "prefect", "server", "start", "--host", host]
    args += ["--port", str(port)]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True
        )
    (prefect_home / "server.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if healthy(url):
            return url
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    stop(home)
    raise PrefectUnavailable(f"the Prefect server did not start on {url}; see {log}")


def stop(home: Path) -> bool:
    """Stop the server ``start`` left running for ``home``; False if none was running."""
    pid_file = home / "prefect" / "server.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True
