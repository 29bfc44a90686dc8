"""Make small sample discs with ffmpeg's lavfi sources, for the demo, tests and benchmarks.

Each title carries what real discs carry and the pipeline must keep: two audio
languages, a subtitle track and chapters. Content differs per title so sizes (and
so disc fingerprints) differ like real discs do.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from boz.errors import ToolFailed
from boz.media.probe import tool_missing


def make_title(
    target: Path,
    *,
    seconds: float,
    variant: int = 0,
    ffmpeg: str = "ffmpeg",
    size: str = "320x180",
    chapters: int = 3,
) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs.srt"
        subs.write_text(_subtitles(seconds, variant), encoding="utf-8")
        meta = Path(tmp) / "chapters.txt"
        meta.write_text(_chapters(seconds, chapters), encoding="utf-8")
        video = f"testsrc2=size={size}:rate=25:duration={seconds}"
        if variant:
            video += f",hue=h={variant * 47 % 360}"
        args = [
            ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", video,
            "-f", "lavfi", "-i", f"sine=frequency={330 + 110 * variant}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency={550 + 55 * variant}:duration={seconds}",
            "-i", str(subs), "-i", str(meta),
            "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
            "-map_metadata", "4", "-map_chapters", "4",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
            "-c:a", "aac", "-b:a", "64k", "-c:s", "srt",
            "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
            "-metadata:s:s:0", "language=eng",
            str(target),
        ]  # fmt: skip
        try:
            done = subprocess.run(args, capture_output=True, text=True, check=False)
        except FileNotFoundError as exc:
            raise tool_missing("ffmpeg", "BOZ_FFMPEG") from exc
    if done.returncode != 0:
        raise ToolFailed(f"ffmpeg could not make {target.name}: {done.stderr.strip()[-200:]}")
    return target


def make_disc(
    folder: Path,
    *,
    episodes: int = 3,
    episode_seconds: float = 20,
    extras: int = 1,
    extra_seconds: float = 4,
    first_variant: int = 0,
    ffmpeg: str = "ffmpeg",
    size: str = "320x180",
) -> Path:
    """A TV disc folder in MakeMKV's naming: episodes first, then short extras."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(episodes):
        make_title(
            folder / f"title_t{n:02d}.mkv",
            seconds=episode_seconds,
            variant=first_variant + n,
            ffmpeg=ffmpeg,
            size=size,
        )
    for n in range(extras):
        make_title(
            folder / f"title_t{episodes + n:02d}.mkv",
            seconds=extra_seconds,
            variant=first_variant + episodes + n,
            ffmpeg=ffmpeg,
            size=size,
            chapters=1,
        )
    return folder


def _subtitles(seconds: float, variant: int) -> str:
    cues = []
    for i, start in enumerate(range(0, max(1, int(seconds)), 2), start=1):
        end = min(start + 1.5, seconds)
        cues.append(f"{i}\n{_srt_time(start)} --> {_srt_time(end)}\nLine {i} of title {variant}\n")
    return "\n".join(cues)


def _srt_time(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _chapters(seconds: float, count: int) -> str:
    lines = [";FFMETADATA1"]
    step = seconds / count
    for n in range(count):
        start, end = round(n * step * 1000), round((n + 1) * step * 1000)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}",
                  f"title=Chapter {n + 1}"]  # fmt: skip
    return "\n".join(lines) + "\n"
