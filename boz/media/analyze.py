"""Fit the source: what a title needs before it is encoded, found by measuring it.

Discs carry interlaced video, film telecined to 29.97 fps and black bars, and their flags
cannot be trusted for any of it: a film DVD marks its progressive frames interlaced, and
nothing marks letterboxing. So a bounded sample is measured: SAMPLES windows of
SAMPLE_FRAMES frames spread over the title, each reached by seeking (``-ss`` before
``-i``), through ``idet`` (field detection) and ``cropdetect`` (black borders). A film
costs about what a short extra costs.

Decisions, each switchable (BOZ_FIT_TELECINE, BOZ_FIT_DEINTERLACE, BOZ_FIT_CROP):

- telecined: a 29.97 fps stream where at least TELECINE_SHARE of the sampled frames
  repeat a field of the frame before (3:2 pull-down gives 2 such frames in every 5: 40 %
  at best, fewer where the picture stands still); ``fieldmatch`` rebuilds the film frames
  and ``decimate`` drops the one duplicate in each 5, giving 23.976 fps. Frames
  ``fieldmatch`` cannot match (video-shot inserts) stay combed and are deinterlaced alone,
  the fallback the fieldmatch documentation gives. decimate assumes the cadence holds
  throughout: a title that mixes telecined film with 29.97 video loses frames of the video;
- interlaced: at least INTERLACED_SHARE of the sampled frames are interlaced in idet's
  multi-frame detection; ``bwdif`` makes one frame per frame. The field order is idet's
  majority, not the flags. A stream whose codec declares it progressive is taken at its
  word and not measured: discs over-declare interlacing (film DVDs), hardly ever the
  reverse, and idet calls sharp, fast synthetic pictures interlaced (our own sample discs:
  145 of 150 frames);
- black bars: only rows and columns that are black in every sample are cropped (a dark
  scene looks letterboxed in one sample and not in the next); a sample that is black
  throughout says nothing and is left out. Bars are rounded down to even sizes, so the
  crop keeps a line of bar rather than lose a line of picture.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from boz.errors import ToolFailed, UnreadableMedia
from boz.media.probe import media_url, tool_missing
from boz.process import run_lines, side_by_side

if TYPE_CHECKING:
    from boz.settings import Settings

SAMPLES = 5
SAMPLE_FRAMES = 60
INTERLACED_SHARE = 0.2
TELECINE_SHARE = 0.2
NTSC_RATE = Fraction(30000, 1001)
DECIMATE_CYCLE = 5  # decimate's default: one frame of every 5 goes

Parity = Literal["tff", "bff", "auto"]


@dataclass(frozen=True)
class Filter:
    """One ffmpeg video filter and its options, kept as data for ffmpeg-python and logs."""

    name: str
    options: tuple[tuple[str, str | int], ...] = ()

    def __str__(self) -> str:
        values = ":".join(f"{key}={value}" for key, value in self.options)
        return f"{self.name}={values}" if values else self.name


@dataclass(frozen=True)
class MasteringDisplay:
    """SMPTE ST 2086 values in its own units (chromaticity 1/50000, luminance 1/10000
    cd/m²), the units x265 and HEVC SEI use."""

    red: tuple[int, int]
    green: tuple[int, int]
    blue: tuple[int, int]
    white: tuple[int, int]
    max_luminance: int
    min_luminance: int


@dataclass(frozen=True)
class Video:
    """What the main video stream is: size, rate, sample format and colour description."""

    width: int
    height: int
    frame_rate: Fraction
    pix_fmt: str
    field_order: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    color_space: str | None = None
    color_range: str | None = None
    mastering: MasteringDisplay | None = None
    light_level: tuple[int, int] | None = None  # MaxCLL, MaxFALL in cd/m²

    @property
    def bit_depth(self) -> int:
        found = re.search(r"p(\d+)(?:le|be)$", self.pix_fmt)
        return int(found.group(1)) if found else 8

    @property
    def declared_progressive(self) -> bool:
        return self.field_order == "progressive"

    @property
    def hdr10(self) -> bool:
        return self.bit_depth >= 10 and self.color_transfer == "smpte2084"


@dataclass(frozen=True)
class FieldCounts:
    """idet's counts over the sampled frames: multi-frame detection and repeated fields."""

    tff: int = 0
    bff: int = 0
    progressive: int = 0
    undetermined: int = 0
    repeated: int = 0

    def __add__(self, other: FieldCounts) -> FieldCounts:
        return FieldCounts(
            self.tff + other.tff,
            self.bff + other.bff,
            self.progressive + other.progressive,
            self.undetermined + other.undetermined,
            self.repeated + other.repeated,
        )

    @property
    def frames(self) -> int:
        return self.tff + self.bff + self.progressive + self.undetermined

    @property
    def interlaced_share(self) -> float:
        return (self.tff + self.bff) / self.frames if self.frames else 0.0

    @property
    def repeated_share(self) -> float:
        return self.repeated / self.frames if self.frames else 0.0

    @property
    def parity(self) -> Parity:
        """The field order the pictures show; "auto" (the frames' flags) when idet saw none."""
        if self.tff == self.bff:
            return "auto"
        return "tff" if self.tff > self.bff else "bff"


@dataclass(frozen=True)
class Bars:
    """Black rows and columns at each edge, in every sample."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def __bool__(self) -> bool:
        return any((self.top, self.bottom, self.left, self.right))

    def inside(self, width: int, height: int) -> tuple[int, int]:
        """The size of the picture between the bars of a ``width`` x ``height`` frame."""
        return width - self.left - self.right, height - self.top - self.bottom


@dataclass(frozen=True)
class Box:
    """The picture cropdetect saw in one sample: first and last non-black column and row."""

    x1: int
    x2: int
    y1: int
    y2: int


@dataclass(frozen=True)
class SourceFit:
    """What was measured and decided, and the filters that make it so."""

    video: Video
    fields: FieldCounts | None = None  # None: not measured (switched off, or progressive)
    bars: Bars | None = None  # None: not measured (switched off)
    telecined: bool = False
    interlaced: bool = False
    filters: tuple[Filter, ...] = ()

    @property
    def frame_rate(self) -> Fraction:
        """The output's frame rate: decimate's 4 in 5 of a telecined source's."""
        cycle = Fraction(DECIMATE_CYCLE - 1, DECIMATE_CYCLE)
        return self.video.frame_rate * cycle if self.telecined else self.video.frame_rate

    @property
    def size(self) -> tuple[int, int]:
        """Width and height after cropping."""
        return (self.bars or Bars()).inside(self.video.width, self.video.height)

    def frames_out(self, frames_in: int) -> int:
        """Frames the filters make of ``frames_in`` (decimate keeps a last, short cycle whole)."""
        return frames_in - frames_in // DECIMATE_CYCLE if self.telecined else frames_in

    def summary(self) -> dict[str, object]:
        """The detections as JSON values, for the job row."""
        fields = self.fields
        return {
            "width": self.video.width,
            "height": self.video.height,
            "frame_rate": str(self.video.frame_rate),
            "pix_fmt": self.video.pix_fmt,
            "field_order": self.video.field_order,
            "hdr10": self.video.hdr10,
            "sampled_frames": fields.frames if fields else None,
            "interlaced_frames": fields.tff + fields.bff if fields else None,
            "repeated_field_frames": fields.repeated if fields else None,
            "telecined": self.telecined,
            "interlaced": self.interlaced,
            "bars": dataclasses.asdict(self.bars) if self.bars is not None else None,
            "filters": ",".join(map(str, self.filters)),
        }

    def describe(self) -> str:
        """One line for the run log: what the source is, what was found, what is done."""
        v = self.video
        parts = [f"{v.width}x{v.height} {float(v.frame_rate):.3f} fps {v.bit_depth}-bit"]
        if v.hdr10:
            parts.append("HDR10")
        fields = self.fields
        if fields is None and v.declared_progressive:
            parts.append("declared progressive")
        elif fields is not None:
            counts = f"of {fields.frames} sampled frames"
            if self.telecined:
                parts.append(
                    f"telecined ({fields.repeated} {counts} repeat a field)"
                    f" -> {float(self.frame_rate):.3f} fps"
                )
            elif self.interlaced:
                parts.append(f"interlaced ({fields.tff + fields.bff} {counts})")
            else:
                parts.append(f"progressive ({fields.tff + fields.bff} {counts} interlaced)")
        if self.bars:
            b = self.bars
            width, height = self.size
            parts.append(
                f"black bars {b.top}/{b.bottom}/{b.left}/{b.right} (top/bottom/left/right)"
                f" -> {width}x{height}"
            )
        elif self.bars is not None:
            parts.append("no black bars")
        chain = ",".join(map(str, self.filters)) or "none"
        return f"{'; '.join(parts)}; filters: {chain}"


@dataclass(frozen=True)
class Measured:
    """What sampling a title found, before any decision: taken once, when the rip ends
    (its host has just read the file and the transcode host waits on nothing yet), and
    decided on by the transcode host with its own switches. ``fields`` None: not
    measured (switched off, or declared progressive); ``boxes`` None: crop not measured."""

    video: Video
    fields: FieldCounts | None
    boxes: tuple[Box | None, ...] | None

    def covers(self, settings: Settings) -> bool:
        """Whether it holds every measurement ``settings`` want."""
        wanted = _fields_wanted(settings)
        fields_ok = self.fields is not None or not wanted or self.video.declared_progressive
        return fields_ok and (self.boxes is not None or not settings.fit_crop)

    def details(self) -> dict[str, object]:
        """As JSON values, for the rip's job row."""
        video = dataclasses.asdict(self.video)
        video["frame_rate"] = str(self.video.frame_rate)
        return {
            "video": video,
            "fields": dataclasses.asdict(self.fields) if self.fields is not None else None,
            "boxes": None
            if self.boxes is None
            else [dataclasses.asdict(b) if b is not None else None for b in self.boxes],
        }

    @classmethod
    def from_details(cls, found: object) -> Measured | None:
        """The measurement a rip recorded; None when there is none or it does not read."""
        if not isinstance(found, dict):
            return None
        try:
            video = dict(found["video"])
            mastering = video.get("mastering")
            light = video.get("light_level")
            video |= {
                "frame_rate": Fraction(video["frame_rate"]),
                "mastering": _mastering_of(mastering) if mastering else None,
                "light_level": tuple(light) if light else None,
            }
            fields = found["fields"]
            boxes = found["boxes"]
            return cls(
                Video(**video),
                FieldCounts(**fields) if fields is not None else None,
                None if boxes is None else tuple(Box(**b) if b else None for b in boxes),
            )
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None


def _mastering_of(values: dict[str, object]) -> MasteringDisplay:
    points = {k: tuple(values[k]) for k in ("red", "green", "blue", "white")}  # type: ignore[arg-type]
    return MasteringDisplay(
        **points,  # type: ignore[arg-type]
        max_luminance=int(values["max_luminance"]),  # type: ignore[arg-type]
        min_luminance=int(values["min_luminance"]),  # type: ignore[arg-type]
    )


def _fields_wanted(settings: Settings) -> bool:
    """idet's counts serve both deinterlacing and inverse telecine."""
    return settings.fit_deinterlace or settings.fit_telecine


def measure_source(path: Path, duration_s: float, settings: Settings) -> Measured:
    """Sample the title at ``path`` (``duration_s`` long) for what ``settings`` switch on."""
    video = read_video(path, settings)
    wanted = _fields_wanted(settings)
    fields, boxes = measure(
        path,
        duration_s,
        video,
        settings,
        fields=wanted and not video.declared_progressive,
        crop=settings.fit_crop,
    )
    return Measured(video, fields, tuple(boxes) if settings.fit_crop else None)


def analyze(
    path: Path, duration_s: float, settings: Settings, measured: Measured | None = None
) -> SourceFit:
    """The title's fit under ``settings``, from ``measured`` when it covers what they
    want (the rip's), else from measuring the title now."""
    if measured is None or not measured.covers(settings):
        measured = measure_source(path, duration_s, settings)
    video = measured.video
    fields = measured.fields if _fields_wanted(settings) else None
    bars = None
    if settings.fit_crop and measured.boxes is not None:
        bars = common_bars(measured.boxes, video.width, video.height)
    return decide(video, fields, bars, settings)


def decide(
    video: Video, fields: FieldCounts | None, bars: Bars | None, settings: Settings
) -> SourceFit:
    """The decisions from the measurements alone, so they are tested without ffmpeg."""
    telecined = (
        settings.fit_telecine
        and fields is not None
        and abs(video.frame_rate - NTSC_RATE) < Fraction(1, 100)
        and fields.repeated_share >= TELECINE_SHARE
    )
    interlaced = (
        not telecined
        and settings.fit_deinterlace
        and fields is not None
        and fields.interlaced_share >= INTERLACED_SHARE
    )
    parity = fields.parity if fields is not None else "auto"
    filters: list[Filter] = []
    if telecined:
        order = Filter("fieldmatch", (("order", parity),))
        filters += [order, _bwdif(parity, only_combed=True), Filter("decimate")]
    elif interlaced:
        filters.append(_bwdif(parity, only_combed=False))
    if bars:
        width, height = bars.inside(video.width, video.height)
        filters.append(
            Filter("crop", (("w", width), ("h", height), ("x", bars.left), ("y", bars.top)))
        )
    return SourceFit(video, fields, bars, telecined, interlaced, tuple(filters))


def _bwdif(parity: Parity, *, only_combed: bool) -> Filter:
    """One frame per frame (send_frame): the frame count, and so verification, stays."""
    deint = "interlaced" if only_combed else "all"
    return Filter("bwdif", (("mode", "send_frame"), ("parity", parity), ("deint", deint)))


def read_video(path: Path, settings: Settings) -> Video:
    """The main video stream's description, with HDR metadata from the stream's side data
    (Matroska's colour elements) or else the first frame's (the codec's SEI)."""
    args = [settings.ffprobe, "-v", "error", "-of", "json", "-select_streams", "v:0"]
    args += ["-show_streams", "-show_frames", "-read_intervals", "%+#1", media_url(path)]
    stdout, _ = _run(args, path, settings, tool="ffprobe")
    return parse_video(json.loads(stdout or "{}"), path)


def parse_video(data: dict[str, object], path: Path) -> Video:
    streams = data.get("streams") or []
    if not isinstance(streams, list) or not streams:
        raise UnreadableMedia(f"cannot read {path.name}: no video stream")
    stream: dict[str, object] = streams[0]
    frames = data.get("frames") or []
    side_data = [*_list(stream.get("side_data_list"))]
    if isinstance(frames, list) and frames:
        side_data += _list(frames[0].get("side_data_list"))
    mastering = next(
        (d for d in side_data if d.get("side_data_type") == "Mastering display metadata"), None
    )
    light = next(
        (d for d in side_data if d.get("side_data_type") == "Content light level metadata"), None
    )
    return Video(
        width=int(str(stream.get("width", 0))),
        height=int(str(stream.get("height", 0))),
        frame_rate=_rate(stream.get("r_frame_rate")) or _rate(stream.get("avg_frame_rate")),
        pix_fmt=str(stream.get("pix_fmt") or "yuv420p"),
        field_order=_declared(stream.get("field_order")),
        color_primaries=_declared(stream.get("color_primaries")),
        color_transfer=_declared(stream.get("color_transfer")),
        color_space=_declared(stream.get("color_space")),
        color_range=_declared(stream.get("color_range")),
        mastering=_mastering(mastering) if mastering else None,
        light_level=(
            (int(str(light["max_content"])), int(str(light["max_average"]))) if light else None
        ),
    )


def _list(value: object) -> list[dict[str, object]]:
    return [d for d in value if isinstance(d, dict)] if isinstance(value, list) else []


def _declared(value: object) -> str | None:
    return None if value in (None, "", "unknown") else str(value)


def _rate(value: object) -> Fraction:
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


def _mastering(d: dict[str, object]) -> MasteringDisplay:
    def chroma(key: str) -> tuple[int, int]:
        return (_units(d[f"{key}_x"], 50000), _units(d[f"{key}_y"], 50000))

    return MasteringDisplay(
        red=chroma("red"),
        green=chroma("green"),
        blue=chroma("blue"),
        white=chroma("white_point"),
        max_luminance=_units(d["max_luminance"], 10000),
        min_luminance=_units(d["min_luminance"], 10000),
    )


def _units(value: object, per_unit: int) -> int:
    return round(Fraction(str(value)) * per_unit)


def measure(
    path: Path, duration_s: float, video: Video, settings: Settings, *, fields: bool, crop: bool
) -> tuple[FieldCounts | None, list[Box | None]]:
    """idet counts summed over the samples, and cropdetect's picture box in each sample
    (None where a sample was black throughout). One ffmpeg per sample, as many at once as
    the host has cores (the transcode waits on this, so its cores are idle meanwhile):
    one process reading every sample would hold all their decoders at once, over a
    gigabyte for UHD."""
    chain = ",".join([*(["idet"] * fields), *(["cropdetect=round=2"] * crop)])
    if not chain:
        return None, []

    def sample(start: float) -> str:
        args = [settings.ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "info"]
        args += ["-ss", f"{start:.3f}", "-i", media_url(path), "-map", "0:v:0"]
        args += ["-frames:v", str(SAMPLE_FRAMES), "-vf", chain, "-f", "null", "-"]
        return _run(args, path, settings, tool="ffmpeg")[1]

    starts = sample_starts(duration_s, video.frame_rate)
    stderrs = side_by_side(sample, starts)
    counts = sum((parse_idet(e) for e in stderrs), FieldCounts())
    boxes = [parse_cropdetect(e) for e in stderrs]
    return (counts if fields else None), (boxes if crop else [])


def sample_starts(duration_s: float, frame_rate: Fraction) -> list[float]:
    """Evenly spread over the title, clear of its first and last moments (logos, credits),
    and never so late that a window runs past the end."""
    window = SAMPLE_FRAMES / float(frame_rate or 25)
    latest = max(0.0, duration_s - window)
    return [min(duration_s * (n + 1) / (SAMPLES + 1), latest) for n in range(SAMPLES)]


_IDET_MULTI = re.compile(
    r"Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+) Undetermined:\s*(\d+)"
)
_IDET_REPEATED = re.compile(r"Repeated Fields: Neither:\s*(\d+) Top:\s*(\d+) Bottom:\s*(\d+)")
_CROPDETECT = re.compile(r"x1:(-?\d+) x2:(-?\d+) y1:(-?\d+) y2:(-?\d+)")


def parse_idet(stderr: str) -> FieldCounts:
    """idet's end-of-stream summary (logged at the info level); zeros without one."""
    multi = _IDET_MULTI.search(stderr)
    repeated = _IDET_REPEATED.search(stderr)
    if multi is None or repeated is None:
        return FieldCounts()
    tff, bff, progressive, undetermined = map(int, multi.groups())
    _, top, bottom = map(int, repeated.groups())
    return FieldCounts(tff, bff, progressive, undetermined, top + bottom)


def parse_cropdetect(stderr: str) -> Box | None:
    """cropdetect's last line: by then it has widened its box over every frame it saw. A
    sample with no picture at all leaves the box inside out (x2 < x1): None, as for none."""
    found = _CROPDETECT.findall(stderr)
    if not found:
        return None
    box = Box(*map(int, found[-1]))
    return box if box.x2 >= box.x1 and box.y2 >= box.y1 else None


def common_bars(boxes: Iterable[Box | None], width: int, height: int) -> Bars:
    """The bars every sample agrees on: each edge's smallest, rounded down to even."""
    seen = [b for b in boxes if b is not None]
    if not seen:
        return Bars()

    def even(n: int) -> int:
        return max(0, n - n % 2)

    return Bars(
        top=even(min(b.y1 for b in seen)),
        bottom=even(min(height - 1 - b.y2 for b in seen)),
        left=even(min(b.x1 for b in seen)),
        right=even(min(width - 1 - b.x2 for b in seen)),
    )


def _run(args: list[str], path: Path, settings: Settings, *, tool: str) -> tuple[str, str]:
    """Run a measuring call with a deadline; its stdout and stderr."""
    lines: list[str] = []
    done = run_lines(
        args,
        on_line=lines.append,
        stall_seconds=settings.stall_seconds,
        timeout_seconds=settings.stall_seconds,
        missing=tool_missing(tool, f"BOZ_{tool.upper()}"),
    )
    if done.returncode != 0:
        last = done.stderr.splitlines()[-1] if done.stderr else f"exit status {done.returncode}"
        raise ToolFailed(f"{tool} could not analyse {path.name}: {last}")
    return "\n".join(lines), done.stderr
