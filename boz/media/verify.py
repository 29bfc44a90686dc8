"""Check a produced file before it moves on: duration and exit status miss broken files.

A truncated or half-written MKV still reports its full duration and decodes with exit
status 0; counting packets (a fast demux) does catch it, so the output must have the
source's video packet count, stream counts and chapter count, and ffprobe must have
nothing to complain about.
"""

from __future__ import annotations

from pathlib import Path

from boz.errors import OutputInvalid
from boz.media.probe import MediaInfo, probe


def verify_output(
    output: Path, source: MediaInfo, *, ffprobe: str, video_streams: int | None = None
) -> MediaInfo:
    """Probe ``output`` and compare it with ``source`` (probed with packet counts)."""
    result = probe(output, ffprobe=ffprobe, count_packets=True)
    expected = {
        "video streams": (video_streams or source.count("video"), result.count("video")),
        "audio streams": (source.count("audio"), result.count("audio")),
        "subtitle streams": (source.count("subtitle"), result.count("subtitle")),
        "chapters": (source.chapters, result.chapters),
        "video packets": (source.packets("video"), result.packets("video")),
    }
    problems = [f"{what} {got} != {want}" for what, (want, got) in expected.items() if want != got]
    if result.warnings:
        problems.append(result.warnings.splitlines()[0])
    if problems:
        raise OutputInvalid(f"{output.name} failed verification: {'; '.join(problems)}")
    return result
