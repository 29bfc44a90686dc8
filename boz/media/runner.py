"""Run an ffmpeg argument list with progress, a stall detector and a clean kill.

ffmpeg-python only builds the argument list: its own runners deadlock on full pipes
and have no timeout. Here stdout carries ``-progress`` blocks (a line at least every
few seconds while ffmpeg works), which is what the stall detector watches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from boz.errors import NoSpace, ToolFailed
from boz.media.probe import tool_missing
from boz.process import run_lines

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

    def on_line(line: str) -> None:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and on_progress and expected_duration_s and value.isdigit():
            on_progress(max(0.0, min(1.0, int(value) / 1_000_000 / expected_duration_s)))

    done = run_lines(
        [args[0], *GLOBAL_ARGS, "-v", "error", *args[1:]],
        on_line=on_line,
        stall_seconds=stall_seconds,
        missing=tool_missing("ffmpeg", "BOZ_FFMPEG"),
    )
    if done.returncode != 0:
        last = done.stderr.splitlines()[-1] if done.stderr else f"exit status {done.returncode}"
        if "No space left on device" in done.stderr:
            raise NoSpace(f"ffmpeg ran out of disk space: {last}")
        raise ToolFailed(f"ffmpeg failed: {last}")
