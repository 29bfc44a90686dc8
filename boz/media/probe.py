"""Read what a media file holds with ffprobe, called directly with a timeout.

ffmpeg-python's ``probe()`` has no timeout, and a damaged file can make ffprobe
spin, so the pipeline runs ffprobe itself.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from boz.errors import ToolMissing, UnreadableMedia

PROBE_TIMEOUT_S = 120


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str
    codec: str | None
    language: str | None
    packets: int | None


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration_s: float
    size_bytes: int
    chapters: int
    streams: tuple[StreamInfo, ...]
    warnings: str = ""

    def count(self, kind: str) -> int:
        return sum(1 for s in self.streams if s.kind == kind)

    def packets(self, kind: str) -> int | None:
        """Packets of the first stream of ``kind``; None when not counted."""
        return next((s.packets for s in self.streams if s.kind == kind), None)


def media_url(path: Path) -> str:
    """Name a file for ffmpeg so that no title name is read as a protocol or an option."""
    return f"file:{path.resolve()}"


def tool_missing(tool: str, setting: str) -> ToolMissing:
    return ToolMissing(
        f"{tool} not found: install ffmpeg (Debian: apt-get install ffmpeg) or set {setting}"
    )


def probe(path: Path, *, ffprobe: str = "ffprobe", count_packets: bool = False) -> MediaInfo:
    args = [ffprobe, "-v", "error", "-of", "json", "-show_format", "-show_streams"]
    args += ["-show_chapters", *(["-count_packets"] if count_packets else []), media_url(path)]
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except FileNotFoundError as exc:
        raise tool_missing("ffprobe", "BOZ_FFPROBE") from exc
    except subprocess.TimeoutExpired as exc:
        raise UnreadableMedia(
            f"cannot read {path.name}: ffprobe gave no answer in {PROBE_TIMEOUT_S} s"
        ) from exc
    if done.returncode != 0:
        reason = _first_line(done.stderr) or f"ffprobe exited with {done.returncode}"
        raise UnreadableMedia(f"cannot read {path.name}: {reason}")
    data = json.loads(done.stdout or "{}")
    fmt = data.get("format", {})
    streams = tuple(
        StreamInfo(
            index=int(s.get("index", i)),
            kind=s.get("codec_type", "unknown"),
            codec=s.get("codec_name"),
            language=(s.get("tags") or {}).get("language"),
            packets=int(s["nb_read_packets"]) if "nb_read_packets" in s else None,
        )
        for i, s in enumerate(data.get("streams", []))
    )
    if not any(s.kind == "video" for s in streams) or "duration" not in fmt:
        raise UnreadableMedia(f"cannot read {path.name}: no video stream with a duration")
    return MediaInfo(
        path=path,
        duration_s=float(fmt["duration"]),
        size_bytes=path.stat().st_size,
        chapters=len(data.get("chapters", [])),
        streams=streams,
        warnings=done.stderr.strip(),
    )


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
