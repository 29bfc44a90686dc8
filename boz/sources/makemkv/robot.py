"""MakeMKV's robot-mode output (``makemkvcon -r``) turned into typed records and a disc scan.

makemkvcon is the only way to learn what is on a disc, and its ``-r`` mode is its only stable,
machine-readable interface: one record per line, ``PREFIX:field,field,...``. This module is pure
parsing (no processes, no Prefect) so every real capture can be replayed in tests and the
fake ``makemkvcon`` can share the exact grammar.

Things the real captures taught (see ``tests/fixtures/makemkv/SOURCES.md``):

* Text fields are double-quoted; a quote inside one is written ``\\"`` (MSG:2010 quotes the
  drive name). No capture holds any other backslash, so ``\\\\`` is read as one backslash and
  any other backslash is kept as it is, which is right whether or not makemkvcon escapes them.
* TheDiscDB appends ``HSH:`` lines that makemkvcon never prints; unknown prefixes are skipped.
* DVDs have no TINFO:2 (name) and no CINFO:28/29, and empty strings stand for "not known"
  (e.g. a DVD subtitle's codec short name is ``""``), so every attribute is optional.
* A title's source is attribute 16 (``00800.mpls``) on Blu-ray but attribute 24 (``"01"``, the
  DVD title number) on DVD; the two never appear together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from boz.models import Stream, Title

__all__ = [
    "DiscAttr",
    "DiscScan",
    "DriveSlot",
    "Message",
    "Progress",
    "RobotFormatError",
    "StreamAttr",
    "TitleAttr",
    "TitleCount",
    "parse_duration",
    "parse_info",
    "parse_line",
    "split_fields",
]

# Attribute ids from MakeMKV's apdefs.h (``ap_iaXxx``), only the ones this module reads.
ATTR_TYPE = 1
ATTR_NAME = 2
ATTR_LANG_CODE = 3
ATTR_CODEC_ID = 5
ATTR_CODEC_SHORT = 6
ATTR_CHAPTER_COUNT = 8
ATTR_DURATION = 9
ATTR_DISK_SIZE_BYTES = 11
ATTR_ANGLE_INFO = 15
ATTR_SOURCE_FILE_NAME = 16
ATTR_STREAM_FLAGS = 22
ATTR_ORIGINAL_TITLE_ID = 24
ATTR_SEGMENTS_COUNT = 25
ATTR_SEGMENTS_MAP = 26
ATTR_OUTPUT_FILE_NAME = 27
ATTR_VOLUME_NAME = 32

# DRV states (AP_DriveState*) and the disc-content flags of DRV's fourth field.
DRIVE_STATE_NO_DRIVE = 256
DRIVE_STATE_UNMOUNTING = 257
DRIVE_STATE_EMPTY_CLOSED = 0
DRIVE_STATE_EMPTY_OPEN = 1
DRIVE_STATE_INSERTED = 2
DRIVE_STATE_LOADING = 3
DRIVE_FLAG_DVD_FILES = 1
DRIVE_FLAG_HDDVD_FILES = 2
DRIVE_FLAG_BLURAY_FILES = 4
DRIVE_FLAG_AACS_FILES = 8
DRIVE_FLAG_BDSVM_FILES = 16


class RobotFormatError(ValueError):
    """A line with a known prefix whose fields do not fit; the output cannot be trusted."""


# One quoted field: everything up to the first quote not preceded by a backslash escape.
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPE = re.compile(r'\\(["\\])')


def split_fields(payload: str) -> list[str]:
    """Split the part after ``PREFIX:`` into fields, unquoting the quoted ones.

    A plain ``str.split(",")`` breaks on titles and messages that contain commas, which real
    discs have (segment maps, "20 chapter(s) , 23.2 GB"). Unquoted fields are returned as
    they are; ``n`` top-level commas always give ``n + 1`` fields, so empty fields survive.
    """
    fields: list[str] = []
    pos = 0
    end = len(payload)
    while True:
        if payload.startswith('"', pos):
            match = _QUOTED.match(payload, pos)
            if match is None:
                raise RobotFormatError(f"unterminated quoted field at column {pos}: {payload!r}")
            value = match.group(1)
            fields.append(_ESCAPE.sub(r"\1", value) if "\\" in value else value)
            pos = match.end()
            if pos == end:
                return fields
            if payload[pos] != ",":
                raise RobotFormatError(f"text after a quoted field at column {pos}: {payload!r}")
            pos += 1
        else:
            comma = payload.find(",", pos)
            if comma < 0:
                fields.append(payload[pos:])
                return fields
            fields.append(payload[pos:comma])
            pos = comma + 1


@dataclass(frozen=True)
class Message:
    """MSG: a log line; ``code`` says what happened whatever the user's language is."""

    code: int
    flags: int
    text: str
    format: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class DriveSlot:
    """DRV: one of makemkvcon's drive slots; most are placeholders with state 256."""

    index: int
    state: int
    flags: int
    drive_name: str
    disc_name: str
    device: str

    @property
    def present(self) -> bool:
        return self.state != DRIVE_STATE_NO_DRIVE

    @property
    def has_disc(self) -> bool:
        return self.state == DRIVE_STATE_INSERTED

    @property
    def is_video(self) -> bool:
        """A DVD, HD-DVD or Blu-ray file system: something MakeMKV can rip (not an audio CD)."""
        return bool(
            self.flags & (DRIVE_FLAG_DVD_FILES | DRIVE_FLAG_HDDVD_FILES | DRIVE_FLAG_BLURAY_FILES)
        )


@dataclass(frozen=True)
class Progress:
    """PRGC/PRGT (the current and total operation's name) or PRGV (how far both have got).

    PRGV's ``current`` and ``total`` are both fractions of ``max`` (65536): ``current`` for
    the sub-operation named by the last PRGC, ``total`` for the whole job named by PRGT.
    """

    kind: Literal["current", "total", "value"]
    code: int | None = None
    id: int | None = None
    name: str | None = None
    current: int | None = None
    total: int | None = None
    max: int | None = None

    @property
    def maximum(self) -> int | None:
        """``max`` under a name that does not shadow the builtin at call sites."""
        return self.max


@dataclass(frozen=True)
class TitleCount:
    """TCOUNT: how many titles makemkvcon kept after its minimum-length filter."""

    count: int


@dataclass(frozen=True)
class DiscAttr:
    """CINFO: an attribute of the disc as a whole."""

    attr: int
    code: int
    value: str


@dataclass(frozen=True)
class TitleAttr:
    """TINFO: an attribute of one title."""

    title: int
    attr: int
    code: int
    value: str


@dataclass(frozen=True)
class StreamAttr:
    """SINFO: an attribute of one stream (track) of one title."""

    title: int
    stream: int
    attr: int
    code: int
    value: str


Record = Message | DriveSlot | Progress | TitleCount | DiscAttr | TitleAttr | StreamAttr


def _ints(fields: list[str], count: int, line: str) -> list[int]:
    try:
        return [int(f) for f in fields[:count]]
    except ValueError:
        raise RobotFormatError(f"expected {count} integers first: {line!r}") from None


def _need(fields: list[str], count: int, line: str) -> None:
    # More fields than known is tolerated: a newer makemkvcon may append some.
    if len(fields) < count:
        raise RobotFormatError(f"expected at least {count} fields, got {len(fields)}: {line!r}")


def parse_line(line: str) -> Record | None:
    """One robot line as a record; ``None`` for blank lines and prefixes makemkvcon may add.

    Raises RobotFormatError when a known prefix carries too few fields or non-numbers where
    numbers belong: skipping it would silently lose a title or a stream attribute.
    """
    line = line.rstrip("\r\n")
    prefix, sep, payload = line.partition(":")
    if not sep:
        return None
    match prefix:
        case "TINFO":
            f = split_fields(payload)
            _need(f, 4, line)
            title, attr, code = _ints(f, 3, line)
            return TitleAttr(title, attr, code, f[3])
        case "SINFO":
            f = split_fields(payload)
            _need(f, 5, line)
            title, stream, attr, code = _ints(f, 4, line)
            return StreamAttr(title, stream, attr, code, f[4])
        case "CINFO":
            f = split_fields(payload)
            _need(f, 3, line)
            attr, code = _ints(f, 2, line)
            return DiscAttr(attr, code, f[2])
        case "TCOUNT":
            f = split_fields(payload)
            return TitleCount(_ints(f, 1, line)[0])
        case "DRV":
            f = split_fields(payload)
            _need(f, 7, line)
            index, state, _unused, flags = _ints(f, 4, line)
            return DriveSlot(index, state, flags, f[4], f[5], f[6])
        case "MSG":
            f = split_fields(payload)
            _need(f, 5, line)
            code, flags, _count = _ints(f, 3, line)
            return Message(code, flags, f[3], f[4], tuple(f[5:]))
        case "PRGV":
            f = split_fields(payload)
            _need(f, 3, line)
            current, total, maximum = _ints(f, 3, line)
            return Progress("value", current=current, total=total, max=maximum)
        case "PRGC" | "PRGT":
            f = split_fields(payload)
            _need(f, 3, line)
            code, op_id = _ints(f, 2, line)
            kind: Literal["current", "total"] = "current" if prefix == "PRGC" else "total"
            return Progress(kind, code=code, id=op_id, name=f[2])
        case _:
            return None


def parse_duration(text: str) -> float:
    """``"1:47:28"`` as seconds; MakeMKV prints durations as h:mm:ss (minutes may drop hours)."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a h:mm:ss duration: {text!r}")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return float(seconds)


@dataclass
class DiscScan:
    """What ``makemkvcon -r info`` said about a disc, ready for the preview."""

    label: str | None = None
    disc_type: str | None = None
    title_count: int | None = None
    titles: list[Title] = field(default_factory=list)
    drives: list[DriveSlot] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


def _text(attrs: dict[int, str], attr: int) -> str | None:
    """An attribute's value, with MakeMKV's empty string read as "not known"."""
    value = attrs.get(attr)
    return value if value else None


def _int(attrs: dict[int, str], attr: int) -> int | None:
    value = _text(attrs, attr)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise RobotFormatError(f"attribute {attr} is not a number: {value!r}") from None


def _stream(index: int, attrs: dict[int, str]) -> Stream:
    kind = _text(attrs, ATTR_TYPE)
    return Stream(
        index=index,
        kind=kind.lower() if kind else "unknown",
        codec=_text(attrs, ATTR_CODEC_SHORT) or _text(attrs, ATTR_CODEC_ID),
        language=_text(attrs, ATTR_LANG_CODE),
        flags=_int(attrs, ATTR_STREAM_FLAGS) or 0,
    )


def _title(index: int, attrs: dict[int, str], streams: dict[int, dict[int, str]]) -> Title:
    duration = _text(attrs, ATTR_DURATION)
    built = [_stream(i, streams[i]) for i in sorted(streams)]
    kinds = [s.kind for s in built]
    output_file = _text(attrs, ATTR_OUTPUT_FILE_NAME)
    return Title(
        index=index,
        name=output_file or _text(attrs, ATTR_NAME) or f"title {index}",
        duration_s=parse_duration(duration) if duration else 0.0,
        size_bytes=_int(attrs, ATTR_DISK_SIZE_BYTES) or 0,
        chapters=_int(attrs, ATTR_CHAPTER_COUNT) or 0,
        segment_count=_int(attrs, ATTR_SEGMENTS_COUNT) or 0,
        segment_map=_text(attrs, ATTR_SEGMENTS_MAP),
        source_file=_text(attrs, ATTR_SOURCE_FILE_NAME) or _text(attrs, ATTR_ORIGINAL_TITLE_ID),
        output_file=output_file,
        angle=_int(attrs, ATTR_ANGLE_INFO),
        streams=built,
        video_streams=kinds.count("video"),
        audio_streams=kinds.count("audio"),
        subtitle_streams=kinds.count("subtitles"),
    )


def parse_info(lines: Iterable[str]) -> DiscScan:
    """Fold the lines of ``makemkvcon -r info`` into one DiscScan.

    Takes any iterable of lines so a live process's stdout can be fed straight in. A title
    exists once any TINFO or SINFO names it; attributes repeated later win.
    """
    disc: dict[int, str] = {}
    title_attrs: dict[int, dict[int, str]] = {}
    stream_attrs: dict[int, dict[int, dict[int, str]]] = {}
    scan = DiscScan()
    for line in lines:
        record = parse_line(line)
        match record:
            case TitleAttr():
                title_attrs.setdefault(record.title, {})[record.attr] = record.value
            case StreamAttr():
                title_attrs.setdefault(record.title, {})
                streams = stream_attrs.setdefault(record.title, {})
                streams.setdefault(record.stream, {})[record.attr] = record.value
            case DiscAttr():
                disc[record.attr] = record.value
            case TitleCount():
                scan.title_count = record.count
            case DriveSlot() if record.present:
                scan.drives.append(record)
            case Message():
                scan.messages.append(record)
            case _:
                pass
    scan.label = _text(disc, ATTR_VOLUME_NAME) or _text(disc, ATTR_NAME)
    scan.disc_type = _text(disc, ATTR_TYPE)
    scan.titles = [
        _title(index, title_attrs[index], stream_attrs.get(index, {}))
        for index in sorted(title_attrs)
    ]
    return scan
