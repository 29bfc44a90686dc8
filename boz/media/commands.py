"""ffmpeg argument lists, built with ffmpeg-python and unit-tested as lists.

Streams are mapped explicitly: ffmpeg's default keeps one audio and one subtitle
stream, and a disc's commentary tracks and forced subtitles matter. ``?`` keeps a
title without subtitles from failing. ``default_mode=passthrough`` keeps the source's
default/forced flags instead of letting the muxer mark the first subtitle default. Where a
profile's languages drop the one default stream of a kind and keep several others, ffmpeg
marks the first one kept default, so players still find a default audio track.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from boz.media import encoders
from boz.media.analyze import Filter, MasteringDisplay, SourceFit
from boz.media.encoders import EncoderChoice
from boz.media.probe import MediaInfo, media_url
from boz.media.profiles import Profile, kept_streams

_KEEP_FLAGS = {"map_chapters": 0, "map_metadata": 0, "default_mode": "passthrough"}


def stream_copy_args(source: Path, target: Path, *, ffmpeg_path: str) -> list[str]:
    """Copy every video, audio and subtitle stream and the chapters into Matroska."""
    src = ffmpeg.input(media_url(source))
    out = ffmpeg.output(
        src["v"], src["a?"], src["s?"], media_url(target), c="copy", f="matroska", **_KEEP_FLAGS
    )
    return out.compile(cmd=ffmpeg_path)


def remux_args(source: MediaInfo, target: Path, *, ffmpeg_path: str, profile: Profile) -> list[str]:
    """The ``copy`` profile: the main video and the kept audio and subtitle streams, as is."""
    kept = kept_streams(profile, source)
    src = ffmpeg.input(media_url(source.path))
    streams = [src[str(s.index)] for s in kept.all]
    out = ffmpeg.output(*streams, media_url(target), c="copy", f="matroska", **_KEEP_FLAGS)
    return out.compile(cmd=ffmpeg_path)


def transcode_args(
    source: MediaInfo,
    target: Path,
    *,
    ffmpeg_path: str,
    profile: Profile,
    encoder: EncoderChoice,
    fit: SourceFit,
    vaapi_device: str,
) -> list[str]:
    """Re-encode the main video stream through the source's fit and the profile's size
    (then onto the GPU when the encoder needs it); copy the kept audio and subtitle
    streams as they are."""
    kept = kept_streams(profile, source)
    src = ffmpeg.input(media_url(source.path))
    video = src[str(kept.video.index)]
    options, upload = video_options(profile, encoder, fit)
    for f in video_filters(profile, fit):
        video = video.filter(f.name, **dict(f.options))
    for name, _, args in (step.partition("=") for step in upload):
        video = video.filter(name, **dict(a.split("=", 1) for a in args.split(":") if a))
    out = ffmpeg.output(
        video,
        *(src[str(s.index)] for s in (*kept.audio, *kept.subtitles)),
        media_url(target),
        f="matroska",
        **options,
        **{"c:a": "copy", "c:s": "copy"},
        **_KEEP_FLAGS,
    )
    device = encoders.device_args(encoder.encoder, vaapi_device=vaapi_device)
    if device:  # ffmpeg takes global options anywhere; ffmpeg-python puts them last
        out = out.global_args(*device)
    return out.compile(cmd=ffmpeg_path)


def video_filters(profile: Profile, fit: SourceFit) -> tuple[Filter, ...]:
    """The fit's filters (deinterlace or inverse telecine, crop), then the profile's size:
    scaled down to ``max_height`` keeping the aspect, the width rounded to even."""
    _, height = fit.size
    if profile.max_height is None or height <= profile.max_height:
        return fit.filters
    return (*fit.filters, Filter("scale", (("w", -2), ("h", profile.max_height))))


def video_options(
    profile: Profile, encoder: EncoderChoice, fit: SourceFit
) -> tuple[dict[str, object], list[str]]:
    """The encoder's options, and the filters that put frames where it encodes them. A
    10-bit source stays 10-bit (8-bit HDR would band) where the frames stay in memory
    (software, NVENC), and the colour description goes along so players tone-map it
    right."""
    video = fit.video
    options, upload = encoders.video_options(encoder, profile.quality, profile.preset)
    if not upload:
        options["pix_fmt"] = "yuv420p10le" if video.bit_depth > 8 else "yuv420p"
    colour = {
        "color_primaries:v": video.color_primaries,
        "color_trc:v": video.color_transfer,
        "colorspace:v": video.color_space,
        "color_range:v": video.color_range,
    }
    options.update({key: value for key, value in colour.items() if value is not None})
    hdr = _x265_hdr(video.mastering, video.light_level)
    if encoder.encoder == "libx265" and hdr:
        options["x265-params"] = hdr
    return options, upload


def _x265_hdr(mastering: MasteringDisplay | None, light: tuple[int, int] | None) -> str:
    """x265's HDR10 static metadata, which ffmpeg 5.1 does not pass from the source."""
    params = []
    if mastering is not None:
        m = mastering
        points = "".join(
            f"{name}({x},{y})"
            for name, (x, y) in (("G", m.green), ("B", m.blue), ("R", m.red), ("WP", m.white))
        )
        params.append(f"master-display={points}L({m.max_luminance},{m.min_luminance})")
    if light is not None:
        params.append(f"max-cll={light[0]},{light[1]}")
    return ":".join(params)
