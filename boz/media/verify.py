"""Check a title before it moves on: duration headers and exit statuses miss broken files.

A truncated or half-written MKV still reports its full duration in its header (the muxer
writes it first) and decodes with exit status 0, so neither is trusted. A rip is checked
against what its disc (or, for a folder source, the file's header) declared when the disc
was read: the time its video packets really span, read by demuxing the whole file, and
whatever the demuxer complains about (EBML errors, a file that ends mid-cluster). A stream
copy of a truncated file is a clean, short file, so only the declared duration tells.

An output is checked against its source: the video packet count, stream counts and chapter
count, ffprobe's complaints, and optionally a full decode. Damage inside a frame's payload
demuxes cleanly; only a decode finds it. Rips are not decoded (a decode costs 5-20 % of a
software encode, for every title): the encode decodes the rip in full anyway, and the decode
check of its output (BOZ_VERIFY_DECODE) catches what such damage leaves behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from boz.errors import OutputInvalid, SourceDamaged, UnreadableMedia
from boz.media.probe import PROBE_TIMEOUT_S, MediaInfo, StreamInfo, media_url, probe, tool_missing
from boz.media.runner import GLOBAL_ARGS, LOG_CONTEXT
from boz.process import run_lines

# A rip may fall short of its declared duration by this much: MakeMKV declares whole
# seconds, and a container's duration covers audio that outlasts the last video frame; 1 %
# more (36 s of a 2-hour feature) is a margin for differences between a disc's declaration
# and its rip not measured on real discs yet. A truncated rip (a read that gave up, a file
# cut short) misses far more.
SHORTFALL_S = 2.0
SHORTFALL_RATIO = 0.01

_CONTEXT = re.compile(rf"^{LOG_CONTEXT}\s*")
_AGAIN = "clean the disc (or replace the source file) and rip it again"


def allowed_shortfall(declared_s: float) -> float:
    return SHORTFALL_S + SHORTFALL_RATIO * declared_s


@dataclass
class _VideoPackets:
    """The first video stream's packets, one ffprobe ``compact`` line each."""

    count: int = 0
    first_s: float = math.inf
    end_s: float = -math.inf

    def read(self, line: str) -> None:
        fields = dict(f.partition("=")[::2] for f in line.strip().split("|") if "=" in f)
        if not fields:
            return
        self.count += 1
        start = _seconds(fields.get("pts_time"))
        if start is None:
            start = _seconds(fields.get("dts_time"))
        if start is not None:
            self.first_s = min(self.first_s, start)
            self.end_s = max(self.end_s, start + (_seconds(fields.get("duration_time")) or 0.0))

    @property
    def span_s(self) -> float:
        return self.end_s - self.first_s if self.end_s > self.first_s else 0.0


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:  # N/A
        return None


def verify_source(
    path: Path,
    *,
    declared_duration_s: float | None,
    ffprobe: str,
    title_label: str,
    stall_seconds: float = PROBE_TIMEOUT_S,
    expected: MediaInfo | None = None,
) -> MediaInfo:
    """The rip at ``path`` as it really is (its duration the one its video packets span, its
    first video stream's packets counted), or SourceDamaged naming ``title_label`` when it is
    shorter than ``declared_duration_s`` by more than ``allowed_shortfall`` or does not
    demux cleanly. ``declared_duration_s`` None: nothing was declared, only the demux counts.
    ``expected``: what the rip must hold (its source's streams and chapters, its first video
    stream's packets), when the source knows; a rip that differs is OutputInvalid.
    """
    try:
        header = probe(path, ffprobe=ffprobe)
    except UnreadableMedia as exc:
        raise SourceDamaged(f"{title_label} does not read back ({exc}): {_AGAIN}") from exc
    packets = _VideoPackets()
    args = [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries"]
    args += ["packet=pts_time,dts_time,duration_time", "-of", "compact=p=0", media_url(path)]
    done = run_lines(
        args,
        on_line=packets.read,
        stall_seconds=stall_seconds,
        missing=tool_missing("ffprobe", "BOZ_FFPROBE"),
    )
    real = packets.span_s
    if declared_duration_s is not None and real < declared_duration_s - allowed_shortfall(
        declared_duration_s
    ):
        raise SourceDamaged(
            f"{title_label}: {real:.0f} s of video, the disc declares "
            f"{declared_duration_s:.0f} s: the rip is truncated; {_AGAIN}"
        )
    complaint = _first_line(header.warnings) or _first_line(done.stderr)
    if done.returncode != 0 or complaint or not packets.count:
        reason = complaint or f"ffprobe exited with {done.returncode}, {packets.count} packets"
        raise SourceDamaged(f"{title_label} does not read cleanly ({reason}): {_AGAIN}")
    first_video = next(s.index for s in header.streams if s.kind == "video")
    streams = tuple(
        replace(s, packets=packets.count) if s.index == first_video else s for s in header.streams
    )
    found = replace(header, duration_s=real, streams=streams)
    if expected is not None:
        _compare(path, expected, found)
    return found


class _StreamRecord(BaseModel):
    index: int
    kind: str
    codec: str | None = None
    language: str | None = None


class _SourceRecord(BaseModel):
    """verify_source's findings as the rip's job row keeps them (JSON)."""

    packets: dict[str, int] = Field(description="packets read, by stream index")
    streams: list[_StreamRecord]
    chapters: int
    duration_s: float
    size_bytes: int = Field(description="whose file these are: a file of another size is not")


def source_details(info: MediaInfo) -> dict[str, object]:
    """What verify_source found, as JSON values for the rip's job row, so the transcode
    need not demux the rip again."""
    return _SourceRecord(
        packets={str(s.index): s.packets for s in info.streams if s.packets is not None},
        streams=[
            _StreamRecord(index=s.index, kind=s.kind, codec=s.codec, language=s.language)
            for s in info.streams
        ],
        chapters=info.chapters,
        duration_s=info.duration_s,
        size_bytes=info.size_bytes,
    ).model_dump()


def source_info_from_details(details: Mapping[str, object], path: Path) -> MediaInfo | None:
    """The rip's MediaInfo from its job row's details; None when they are missing or belong
    to another file than ``path`` (its size differs), so the caller probes it instead."""
    try:
        record = _SourceRecord.model_validate(details)
        size = path.stat().st_size
    except (ValidationError, OSError):
        return None
    if size != record.size_bytes:
        return None
    return MediaInfo(
        path=path,
        duration_s=record.duration_s,
        size_bytes=record.size_bytes,
        chapters=record.chapters,
        streams=tuple(
            StreamInfo(
                index=s.index,
                kind=s.kind,
                codec=s.codec,
                language=s.language,
                packets=record.packets.get(str(s.index)),
            )
            for s in record.streams
        ),
    )


def verify_output(
    output: Path,
    source: MediaInfo,
    *,
    ffprobe: str,
    ffmpeg: str = "ffmpeg",
    video_streams: int | None = None,
    audio_streams: int | None = None,
    subtitle_streams: int | None = None,
    decode: bool = False,
    stall_seconds: float = PROBE_TIMEOUT_S,
) -> MediaInfo:
    """Probe ``output`` and compare it with ``source`` (its video packets counted). Stream
    counts default to the source's; a profile that keeps fewer languages passes its own.
    ``decode``: decode every video and audio frame too (any complaint fails)."""
    result = probe(output, ffprobe=ffprobe, count_packets=True)
    counts = {"video": video_streams, "audio": audio_streams, "subtitle": subtitle_streams}
    _compare(output, source, result, counts)
    if decode and (problems := _decode_errors(output, ffmpeg=ffmpeg, stall_seconds=stall_seconds)):
        raise OutputInvalid(f"{output.name} failed verification: {'; '.join(problems)}")
    return result


def _compare(
    output: Path,
    source: MediaInfo,
    result: MediaInfo,
    counts: Mapping[str, int | None] | None = None,
) -> None:
    """OutputInvalid unless ``result`` has ``source``'s streams of each kind (or ``counts``
    of a kind, where a profile keeps fewer), chapters and video packets."""
    counts = counts or {}
    expected = {
        f"{kind} streams": (_given(counts.get(kind), source.count(kind)), result.count(kind))
        for kind in ("video", "audio", "subtitle")
    }
    expected["chapters"] = (source.chapters, result.chapters)
    expected["video packets"] = (source.packets("video"), result.packets("video"))
    problems = [f"{what} {got} != {want}" for what, (want, got) in expected.items() if want != got]
    if result.warnings:
        problems.append(result.warnings.splitlines()[0])
    if problems:
        raise OutputInvalid(f"{output.name} failed verification: {'; '.join(problems)}")


def _given(count: int | None, default: int) -> int:
    return default if count is None else count


def _decode_errors(path: Path, *, ffmpeg: str, stall_seconds: float) -> list[str]:
    """Subtitles are left out: the null muxer has no encoder for them, and a subtitle packet
    that demuxes is whole. ``-progress`` lines keep the stall detector fed."""
    args = [ffmpeg, *GLOBAL_ARGS, "-v", "error", "-i", media_url(path)]
    args += ["-map", "0:v", "-map", "0:a?", "-f", "null", "-"]
    done = run_lines(
        args,
        on_line=lambda line: None,
        stall_seconds=stall_seconds,
        missing=tool_missing("ffmpeg", "BOZ_FFMPEG"),
    )
    complaint = _first_line(done.stderr)
    if done.returncode != 0 or complaint:
        return [f"decoding: {complaint or f'ffmpeg exited with {done.returncode}'}"]
    return []


def _first_line(text: str) -> str:
    """Without the ``[matroska,webm @ 0x55…]`` prefix, which names a memory address."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return _CONTEXT.sub("", line)
