"""Run an ffmpeg argument list with progress, a stall detector and a clean kill.

ffmpeg-python only builds the argument list: its own runners deadlock on full pipes
and have no timeout. Here stdout carries ``-progress`` blocks (a line at least every
few seconds while ffmpeg works), which is what the stall detector watches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from boz.errors import NoSpace, ToolFailed
from boz.media.probe import tool_missing
from boz.process import run_lines

ProgressCallback = Callable[[float], None]
GLOBAL_ARGS = ("-hide_banner", "-nostdin", "-nostats", "-y", "-progress", "pipe:1")
# ffmpeg's closing report at -v verbose: "  Output stream #0:1 (audio): 25841 packets muxed"
_REPORT = re.compile(r"^\s*(Input|Output) stream #\d+:(\d+) \((\w+)\): (\d+) packets (read|muxed)")
# The "[matroska @ 0x55…]" a log line may start with: which component spoke, at which address.
LOG_CONTEXT = r"\[[^\]]* @ 0x[0-9a-f]+\]"
# A line at -v level+verbose: "[matroska @ 0x55…] [error] message", the context optional.
_TAGGED = re.compile(rf"^({LOG_CONTEXT} )?\[(\w+)\] (.*)$")
_ERRORS = frozenset(["error", "fatal", "panic"])


@dataclass
class PacketReport:
    """ffmpeg's own count of the packets it read and muxed, by stream kind, and of each
    output stream's packets: a stream copy is checked against these instead of counting
    the source in a pass of its own."""

    read: dict[str, int] = field(default_factory=dict)
    muxed: dict[str, int] = field(default_factory=dict)
    muxed_by_stream: dict[int, int] = field(default_factory=dict)

    def add(self, line: str) -> None:
        found = _REPORT.match(line)
        if found is None:
            return
        side, index, kind, count, _ = found.groups()
        totals = self.read if side == "Input" else self.muxed
        totals[kind] = totals.get(kind, 0) + int(count)
        if side == "Output":
            self.muxed_by_stream[int(index)] = int(count)


def run_ffmpeg(
    args: Sequence[str],
    *,
    stall_seconds: float,
    expected_duration_s: float | None = None,
    expected_frames: int | None = None,
    on_progress: ProgressCallback | None = None,
    count_packets: bool = False,
    nice: int = 0,
) -> PacketReport:
    """Run ``args`` (``args[0]`` is the ffmpeg executable); raise on failure or stall.
    ``count_packets``: return ffmpeg's closing packet report (empty otherwise). ``nice``:
    added to ffmpeg's niceness.

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
        [args[0], *GLOBAL_ARGS, "-v", "level+verbose" if count_packets else "error", *args[1:]],
        on_line=on_line,
        stall_seconds=stall_seconds,
        missing=tool_missing("ffmpeg", "BOZ_FFMPEG"),
        nice=nice,
    )
    packets = PacketReport()
    errors = _errors(done.stderr, packets) if count_packets else done.stderr.splitlines()
    if done.returncode != 0:
        last = errors[-1] if errors else f"exit status {done.returncode}"
        if "No space left on device" in done.stderr:
            raise NoSpace(f"ffmpeg ran out of disk space: {last}")
        raise ToolFailed(f"ffmpeg failed: {last}")
    report(1.0)
    return packets


def _errors(stderr: str, packets: PacketReport) -> list[str]:
    """The error lines of a level-tagged log (the rest is chatter), its packet report
    added to ``packets``."""
    errors = []
    for line in stderr.splitlines():
        tagged = _TAGGED.match(line)
        if tagged is None:
            continue
        context, level, message = tagged.groups()
        if level in _ERRORS:
            errors.append(f"{context or ''}{message}")
        else:
            packets.add(message)
    return errors
