"""Helpers for tests that drive ``boz`` as a user would: in a new process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BOZ = [sys.executable, "-m", "boz"]
ROOT = Path(__file__).resolve().parent.parent


def run_boz(
    *args: str, check: bool = True, timeout: float = 180, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``boz`` in a new process, as a user (or a restarted host) runs it."""
    done = subprocess.run(
        [*BOZ, *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )
    if check and done.returncode != 0:
        raise AssertionError(f"boz {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def boz_json(*args: str) -> list[dict]:
    return json.loads(run_boz(*args, "--json").stdout)


def library_files(home: Path) -> list[str]:
    library = home / "library"
    return sorted(str(p.relative_to(library)) for p in library.rglob("*") if p.is_file())


def start_rip(*args: str) -> subprocess.Popen[str]:
    """``boz rip`` in the background, as an operator leaves it waiting for approval."""
    return subprocess.Popen(
        [*BOZ, "rip", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_status(status: str, timeout: float = 90) -> dict:
    """The first disc that reaches ``status``, polled through ``boz discs --json``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in boz_json("discs") if d["status"] == status]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no disc reached {status} in {timeout} s")


def clean_checkout(target: Path) -> Path:
    """The files a clone would have (tracked or not ignored), without venv or caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc), deepest last."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """``kill -9`` a process and everything it started, as a host losing power would."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def disc_runs(*, count: bool = False):  # type: ignore[no-untyped-def]
    """The session's newest top-level ``disc_to_library`` runs (named for their disc once
    the preview knows it), newest first; or how many there are in all."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterParentTaskRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    flows = FlowFilter(name=FlowFilterName(any_=["disc_to_library"]))
    top = FlowRunFilter(parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True))
    with get_client(sync_client=True) as client:
        if count:
            return client.count_flow_runs(flow_filter=flows, flow_run_filter=top)
        return client.read_flow_runs(flow_filter=flows, flow_run_filter=top, limit=20,
                                     sort=FlowRunSort.START_TIME_DESC)  # fmt: skip
