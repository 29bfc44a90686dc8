import itertools
import re
from fractions import Fraction
from pathlib import Path

from boz.media.analyze import Bars, FieldCounts, MasteringDisplay, Video, decide
from boz.media.commands import remux_args, stream_copy_args, transcode_args
from boz.media.encoders import EncoderChoice
from boz.media.probe import MediaInfo, StreamInfo
from boz.media.profiles import Profile
from boz.settings import Settings


def _maps(args: list[str]) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == "-map"]


def _source(path: str = "/in/a.mkv") -> MediaInfo:
    streams = (
        StreamInfo(0, "video", "mpeg2video", None, 100),
        StreamInfo(1, "audio", "ac3", "eng", 90),
        StreamInfo(2, "audio", "ac3", "fre", 90),
        StreamInfo(3, "audio", "ac3", None, 90),
        StreamInfo(4, "subtitle", "dvd_subtitle", "eng", 9),
        StreamInfo(5, "subtitle", "dvd_subtitle", "ger", 9),
    )
    return MediaInfo(Path(path), duration_s=4.0, size_bytes=1, chapters=2, streams=streams)


VAAPI = "/dev/dri/renderD128"
SOFTWARE = {e: EncoderChoice(e, hardware=False) for e in ("libx264", "libx265", "libsvtav1")}
SD = Video(width=720, height=480, frame_rate=Fraction(30000, 1001), pix_fmt="yuv420p")


def test_transcode_keeps_every_audio_and_subtitle_stream_and_chapters() -> None:
    profile = Profile(quality=20, preset="medium")
    fit = decide(SD, None, None, Settings())
    args = transcode_args(
        _source("/in/-odd name:1.mkv"), Path("/out/o.mkv"),
        ffmpeg_path="/usr/bin/ffmpeg", profile=profile, encoder=SOFTWARE["libx264"], fit=fit,
        vaapi_device=VAAPI,
    )  # fmt: skip
    assert args[0] == "/usr/bin/ffmpeg"
    assert _maps(args) == ["0:0", "0:1", "0:2", "0:3", "0:4", "0:5"]
    pairs = dict(itertools.pairwise(args))
    assert pairs["-c:v"] == "libx264" and pairs["-crf"] == "20" and pairs["-preset"] == "medium"
    assert pairs["-pix_fmt"] == "yuv420p" and "-filter_complex" not in args
    assert pairs["-c:a"] == "copy" and pairs["-c:s"] == "copy"
    assert pairs["-map_chapters"] == "0" and pairs["-default_mode"] == "passthrough"
    # a title name is never read as an option or a protocol
    assert args[args.index("-i") + 1] == "file:/in/-odd name:1.mkv"
    assert args[-1] == "file:/out/o.mkv"


def test_languages_filters_and_size_make_one_chain() -> None:
    profile = Profile(
        codec="hevc", max_height=240, audio_languages=["fra"], subtitle_languages=["eng"]
    )
    fields = FieldCounts(tff=10, progressive=50, repeated=24)  # 3:2 pull-down at 29.97
    fit = decide(SD, fields, Bars(top=60, bottom=60), Settings())
    args = transcode_args(
        _source(), Path("/o.mkv"), ffmpeg_path="ffmpeg", profile=profile,
        encoder=SOFTWARE["libx265"], fit=fit, vaapi_device=VAAPI,
    )  # fmt: skip
    graph = args[args.index("-filter_complex") + 1]
    names = [re.split(r"[=[]", step.split("]")[1])[0] for step in graph.split(";")]
    assert names == ["fieldmatch", "bwdif", "decimate", "crop", "scale"]
    assert "crop=h=360:w=720:x=0:y=60" in graph and "scale=h=240:w=-2" in graph
    # fre (as fra), the untagged audio, the eng subtitles; the video through the chain
    assert _maps(args)[1:] == ["0:2", "0:3", "0:4"] and _maps(args)[0].startswith("[")
    assert "-preset" not in args  # none given: the encoder's own default


def test_a_10_bit_hdr_source_keeps_its_depth_colour_and_mastering() -> None:
    mastering = MasteringDisplay(
        red=(34000, 16000), green=(13250, 34500), blue=(7500, 3000), white=(15635, 16450),
        max_luminance=10_000_000, min_luminance=50,
    )  # fmt: skip
    hdr = Video(
        width=3840, height=2160, frame_rate=Fraction(24000, 1001), pix_fmt="yuv420p10le",
        field_order="progressive", color_primaries="bt2020", color_transfer="smpte2084",
        color_space="bt2020nc", color_range="tv", mastering=mastering, light_level=(1000, 400),
    )  # fmt: skip
    fit = decide(hdr, None, None, Settings())
    x265 = {}
    for encoder in ("libx265", "libsvtav1"):
        args = transcode_args(
            _source(), Path("/o.mkv"), ffmpeg_path="ffmpeg", profile=Profile(codec="hevc"),
            encoder=SOFTWARE[encoder], fit=fit, vaapi_device=VAAPI,
        )  # fmt: skip
        pairs = dict(itertools.pairwise(args))
        assert pairs["-pix_fmt"] == "yuv420p10le"
        assert (pairs["-color_primaries:v"], pairs["-color_trc:v"]) == ("bt2020", "smpte2084")
        assert (pairs["-colorspace:v"], pairs["-color_range:v"]) == ("bt2020nc", "tv")
        x265[encoder] = pairs.get("-x265-params")
    assert x265["libx265"] == (
        "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)"
        "L(10000000,50):max-cll=1000,400"
    )
    assert x265["libsvtav1"] is None  # x265's syntax means nothing to another encoder


def test_a_hardware_encoder_gets_its_device_upload_and_quality() -> None:
    fit = decide(SD, None, Bars(top=60, bottom=60), Settings())
    args = transcode_args(
        _source(), Path("/o.mkv"), ffmpeg_path="ffmpeg", profile=Profile(quality=23),
        encoder=EncoderChoice("h264_vaapi", hardware=True), fit=fit, vaapi_device="/dev/dri/rD",
    )  # fmt: skip
    pairs = dict(itertools.pairwise(args))
    assert pairs["-vaapi_device"] == "/dev/dri/rD" and pairs["-c:v"] == "h264_vaapi"
    assert pairs["-qp"] == "23" and "-crf" not in args
    assert "-pix_fmt" not in args  # the upload filter makes the GPU's format
    graph = pairs["-filter_complex"]
    assert graph.index("crop=") < graph.index("format=pix_fmts=nv12") < graph.index("hwupload")


def test_remux_copies_the_kept_streams_only() -> None:
    profile = Profile(codec="copy", audio_languages=["eng"], subtitle_languages=["ger"])
    args = remux_args(_source(), Path("/o.mkv"), ffmpeg_path="ffmpeg", profile=profile)
    assert _maps(args) == ["0:0", "0:1", "0:3", "0:5"]
    assert args[args.index("-c") + 1] == "copy"
    assert "-crf" not in args and "-filter_complex" not in args


def test_stream_copy_maps_all_video_audio_subtitles() -> None:
    args = stream_copy_args(Path("/in/a.mkv"), Path("/out/b.mkv"), ffmpeg_path="ffmpeg")
    assert _maps(args) == ["0:v", "0:a?", "0:s?"]
    assert args[args.index("-c") + 1] == "copy"
    assert "-crf" not in args
