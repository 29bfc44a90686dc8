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
    expected_frames: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Run ``args`` (``args[0]`` is the ffmpeg executable); raise on failure or stall.

    ``on_progress`` gets rising fractions, and 1.0 once ffmpeg has succeeded. They count
    frames written against ``expected_frames`` when the caller knows it (the source's video
    packets): exact for a stream copy and for a re-encode at the source's frame rate, where
    output time waits on the muxer's interleaving of every stream. Without it, output time
    against ``expected_duration_s``.
    """
    reported = 0.0

    def report(fraction: float) -> None:
        nonlocal reported
        if on_progress and fraction > reported:
            reported = fraction
            on_progress(fraction)

    def on_line(line: str) -> None:
        key, _, value = line.strip().partition("=")
        if not value.isdigit():  # N/A, or a negative time before the first packet
            return
        if key == "frame" and expected_frames:
            report(min(1.0, int(value) / expected_frames))
        elif key == "out_time_us" and not expected_frames and expected_duration_s:
            report(min(1.0, int(value) / 1_000_000 / expected_duration_s))

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
    report(1.0)
