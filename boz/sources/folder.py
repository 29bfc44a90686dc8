"""A folder of title files as a disc: each video file is one title, in natural name order.

This is what a MakeMKV backup folder looks like (``title_t00.mkv`` ...), and what a
user can point Boz Ripper at without a drive. "Ripping" a title is a stream copy into
staging, so the rest of the pipeline sees exactly what a disc rip gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from boz.errors import NoTitles, OutputInvalid, SourceNotFound
from boz.media.commands import stream_copy_args
from boz.media.probe import MediaInfo, probe
from boz.media.runner import ProgressCallback, run_ffmpeg
from boz.models import Title
from boz.process import side_by_side
from boz.settings import Settings
from boz.sources.identity import fingerprint

VIDEO_SUFFIXES = frozenset(
    [
        ".mkv",
        ".mp4",
        ".m4v",
        ".m2ts",
        ".mts",
        ".ts",
        ".vob",
        ".avi",
        ".mov",
        ".mpg",
        ".mpeg",
        ".webm",
        ".wmv",
    ]
)


@dataclass(frozen=True)
class TitleFile:
    index: int
    path: Path
    size_bytes: int


def _natural_key(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class FolderSource:
    def __init__(self, folder: Path, settings: Settings) -> None:
        if not folder.exists():
            raise SourceNotFound(f"no such folder: {folder}")
        if not folder.is_dir():
            raise SourceNotFound(f"{folder} is not a folder: give the folder that holds the titles")
        self.folder = folder.resolve()
        self.settings = settings
        self.minlength: int | None = None  # only MakeMKV numbers titles by length
        files = sorted(
            (
                p
                for p in self.folder.iterdir()
                if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
            ),
            key=lambda p: _natural_key(p.name),
        )
        self.files = [TitleFile(i, p, p.stat().st_size) for i, p in enumerate(files)]

    @property
    def label(self) -> str:
        return self.folder.name

    @property
    def spec(self) -> str:
        return str(self.folder)

    def fingerprint(self) -> str:
        """From names and sizes, so a folder with an unreadable file still gets a row."""
        return fingerprint(self.label, [(f.path.name, f.size_bytes) for f in self.files])

    def require_titles(self) -> None:
        if not self.files:
            raise NoTitles(
                f"no video files in {self.folder} (looked for {', '.join(sorted(VIDEO_SUFFIXES))})"
            )

    def read_titles(self) -> list[Title]:
        """One ffprobe per file, side by side: each is mostly its own start-up."""
        self.require_titles()
        ffprobe = self.settings.ffprobe
        found = side_by_side(lambda f: probe(f.path, ffprobe=ffprobe), self.files)
        return [self._title(f, info) for f, info in zip(self.files, found, strict=True)]

    def rip(self, title: Title, target: Path, *, on_progress: ProgressCallback | None) -> MediaInfo:
        """Stream-copy the title's file to ``target``; returns what ``target`` must hold.

        ffmpeg's own report says what it read and muxed, so the source is not demuxed
        in a pass of its own: every packet read must be muxed, and the rip's check
        (verify_source) counts the written file's video packets against it."""
        source = self.files[title.index].path
        header = probe(source, ffprobe=self.settings.ffprobe)
        report = run_ffmpeg(
            stream_copy_args(source, target, ffmpeg_path=self.settings.ffmpeg),
            stall_seconds=self.settings.stall_seconds,
            expected_duration_s=title.duration_s,
            on_progress=on_progress,
            count_packets=True,
        )
        lost = [
            f"{kind} packets {report.muxed.get(kind, 0)} != {report.read.get(kind, 0)}"
            for kind in ("video", "audio", "subtitle")
            if report.muxed.get(kind, 0) != report.read.get(kind, 0)
        ]
        if lost or "video" not in report.muxed:
            raise OutputInvalid(
                f"{target.name} failed verification: {'; '.join(lost) or 'no video muxed'}"
            )
        # The copy maps video first, so output stream 0 is the source's first video stream.
        first_video = next(s.index for s in header.streams if s.kind == "video")
        streams = tuple(
            replace(s, packets=report.muxed_by_stream.get(0)) if s.index == first_video else s
            for s in header.streams
        )
        return replace(header, streams=streams)

    @staticmethod
    def _title(f: TitleFile, info: MediaInfo) -> Title:
        return Title(
            index=f.index,
            name=f.path.name,
            duration_s=round(info.duration_s, 3),
            size_bytes=f.size_bytes,
            chapters=info.chapters,
            video_streams=info.count("video"),
            audio_streams=info.count("audio"),
            subtitle_streams=info.count("subtitle"),
        )
