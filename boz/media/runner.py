"""Run an ffmpeg argument list with progress, a stall detector and a clean kill.

ffmpeg-python only builds the argument list: its own runners deadlock on full pipes
and have no timeout. Here stdout carries ``-progress`` blocks (one line at least
every few seconds while ffmpeg works), stderr goes to a file so it cannot fill a
pipe, and silence longer than ``stall_seconds`` kills ffmpeg's whole process group.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence

from boz.errors import ToolFailed, ToolStalled
from boz.media.probe import tool_missing

ProgressCallback = Callable[[float], None]
GLOBAL_ARGS = ("-hide_banner", "-nostdin", "-nostats", "-y", "-progress", "pipe:1")


def run_ffmpeg(
    args: Sequence[str],
    *,
    stall_seconds: float,
    expected_duration_s: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Run ``args`` (``args[0]`` is the ffmpeg executable); raise on failure or stall."""
    command = [args[0], *GLOBAL_ARGS, "-v", "error", *args[1:]]
    with tempfile.TemporaryFile(mode="w+") as stderr:
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise tool_missing("ffmpeg", "BOZ_FFMPEG") from exc
        try:
            _follow(proc, stall_seconds, expected_duration_s, on_progress)
        except BaseException:
            _kill_group(proc)
            raise
        stderr.seek(0)
        errors = stderr.read().strip()
    if proc.returncode != 0:
        last = errors.splitlines()[-1] if errors else f"exit status {proc.returncode}"
        raise ToolFailed(f"ffmpeg failed: {last}")


def _follow(
    proc: subprocess.Popen[bytes],
    stall_seconds: float,
    expected_duration_s: float | None,
    on_progress: ProgressCallback | None,
) -> None:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    buffer = b""
    last_activity = time.monotonic()
    while True:
        if not selector.select(timeout=min(1.0, stall_seconds)):
            if time.monotonic() - last_activity > stall_seconds:
                raise ToolStalled(f"ffmpeg made no progress for {stall_seconds:.0f} s; killed")
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        last_activity = time.monotonic()
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            key, _, value = line.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and on_progress and expected_duration_s:
                try:
                    seconds = int(value) / 1_000_000
                except ValueError:
                    continue
                on_progress(max(0.0, min(1.0, seconds / expected_duration_s)))
    selector.close()
    proc.wait()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
