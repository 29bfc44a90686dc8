"""Run an external tool, line by line, with a stall detector, a deadline and a clean kill.

ffmpeg and makemkvcon both report progress on stdout, and both can hang on a bad disc
or file. Silence longer than ``stall_seconds`` (or running past ``timeout_seconds``)
kills the tool's whole process group, helpers included, and raises ToolStalled.
stderr goes to a file so a chatty tool cannot block on a full pipe.

The tool runs in its own session, so a Ctrl-C at the terminal reaches only Python, which
then kills the group. A Python process killed outright (SIGKILL, OOM) cannot: on Linux the
kernel kills the tool instead, so no ffmpeg or makemkvcon keeps writing into staging
beside the rerun.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from boz.errors import ToolMissing, ToolStalled

Item = TypeVar("Item")
Result = TypeVar("Result")

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class Finished:
    returncode: int
    stderr: str


def run_lines(
    args: Sequence[str],
    *,
    on_line: Callable[[str], None],
    stall_seconds: float,
    timeout_seconds: float | None = None,
    missing: ToolMissing,
    nice: int = 0,
) -> Finished:
    """Run ``args``, calling ``on_line`` for each stdout line as it arrives; ``nice`` is
    added to the tool's niceness (its threads inherit it: all of them, from the start)."""
    with tempfile.TemporaryFile(mode="w+", errors="replace") as stderr:
        try:
            proc = subprocess.Popen(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_in_child(os.getpid(), nice),
            )
        except (FileNotFoundError, PermissionError) as exc:
            raise missing from exc
        try:
            _follow(proc, on_line, stall_seconds, timeout_seconds, os.path.basename(args[0]))
        finally:
            kill_group(proc)
        stderr.seek(0)
        return Finished(proc.returncode, stderr.read().strip())


def side_by_side(run: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """``run`` over ``items``, as many at once as there are cores, results in order: for
    short tool runs that are mostly their own start-up (probes, a title's samples)."""
    items = list(items)
    with ThreadPoolExecutor(max(1, min(len(items), os.cpu_count() or 1))) as pool:
        return list(pool.map(run, items))


def _follow(
    proc: subprocess.Popen[bytes],
    on_line: Callable[[str], None],
    stall_seconds: float,
    timeout_seconds: float | None,
    name: str,
) -> None:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    started = last_output = time.monotonic()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if timeout_seconds is not None and now - started > timeout_seconds:
                raise ToolStalled(f"{name} did not finish in {timeout_seconds:.0f} s; killed")
            if not selector.select(timeout=min(1.0, stall_seconds)):
                if time.monotonic() - last_output > stall_seconds:
                    raise ToolStalled(f"{name} made no progress for {stall_seconds:.0f} s; killed")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            last_output = time.monotonic()
            *lines, buffer = (buffer + chunk).split(b"\n")
            for line in lines:
                on_line(line.decode(errors="replace").rstrip("\r"))
    if buffer:
        on_line(buffer.decode(errors="replace"))
    proc.wait()


def _in_child(parent: int, nice: int = 0) -> Callable[[], None] | None:
    """What the child runs between fork and exec: lower its priority by ``nice``, and
    have the kernel SIGKILL it when we die.

    PDEATHSIG fires when the *thread* that forked exits, not the process: run_lines is
    called from worker threads too, and that is fine because the calling thread blocks
    until the tool has exited. The child only makes system calls through functions
    resolved here, in the parent, so it never loads a library between fork and exec
    (unsafe in a threaded process). No death signal where there is no prctl (not Linux).
    """
    prctl = _prctl()
    if prctl is None and not nice:
        return None

    def in_child() -> None:
        if nice:
            os.nice(nice)
        if prctl is None:
            return
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # we died before prctl: nothing will send the signal
            os.kill(os.getpid(), signal.SIGKILL)

    return in_child


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None).prctl
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    prctl.restype = ctypes.c_int
    return prctl


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill what is left of the tool's process group (its own helpers too)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
