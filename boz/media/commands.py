"""ffmpeg argument lists, built with ffmpeg-python and unit-tested as lists.

Streams are mapped explicitly: ffmpeg's default keeps one audio and one subtitle
stream, and a disc's commentary tracks and forced subtitles matter. ``?`` keeps a
title without subtitles from failing. ``default_mode=passthrough`` keeps the source's
default/forced flags instead of letting the muxer mark the first subtitle default.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from boz.media.probe import media_url

_KEEP_FLAGS = {"map_chapters": 0, "map_metadata": 0, "default_mode": "passthrough"}


def stream_copy_args(source: Path, target: Path, *, ffmpeg_path: str) -> list[str]:
    """Copy every video, audio and subtitle stream and the chapters into Matroska."""
    src = ffmpeg.input(media_url(source))
    out = ffmpeg.output(
        src["v"], src["a?"], src["s?"], media_url(target), c="copy", f="matroska", **_KEEP_FLAGS
    )
    return out.compile(cmd=ffmpeg_path)


def transcode_args(
    source: Path,
    target: Path,
    *,
    ffmpeg_path: str,
    encoder: str,
    crf: int,
    preset: str,
) -> list[str]:
    """Re-encode the main video stream; copy every audio and subtitle stream as is."""
    src = ffmpeg.input(media_url(source))
    video = {"c:v": encoder, "crf": crf, "preset": preset, "pix_fmt": "yuv420p"}
    out = ffmpeg.output(
        src["v:0"],
        src["a?"],
        src["s?"],
        media_url(target),
        f="matroska",
        **video,
        **{"c:a": "copy", "c:s": "copy"},
        **_KEEP_FLAGS,
    )
    return out.compile(cmd=ffmpeg_path)
