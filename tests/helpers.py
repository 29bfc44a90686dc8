"""Helpers for tests that drive ``boz`` as a user would: in a new process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BOZ = [sys.executable, "-m", "boz"]


def run_boz(
    *args: str, check: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``boz`` in a new process, as a user (or a restarted host) runs it."""
    done = subprocess.run(
        [*BOZ, *args], capture_output=True, text=True, timeout=timeout, check=False
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
