"""Fitting the source, on tiny generated titles: interlaced, telecined, letterboxed, HDR10.

The pictures are testsrc2 drawn at half size and scaled up: at full size its sharp, fast
pattern reads as combing to idet even when progressive, which no disc picture does.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from boz.media.analyze import (
    INTERLACED_SHARE,
    SAMPLE_FRAMES,
    SAMPLES,
    TELECINE_SHARE,
    Box,
    FieldCounts,
    Measured,
    SourceFit,
    Video,
    analyze,
    common_bars,
    decide,
    measure,
    measure_source,
    read_video,
    sample_starts,
)
from boz.media.commands import transcode_args
from boz.media.encoders import EncoderChoice
from boz.media.probe import probe
from boz.media.profiles import Profile, kept_streams
from boz.media.runner import run_ffmpeg
from boz.media.verify import verify_output
from boz.pipeline.transcode import expected_output
from boz.settings import Settings

INTERLACED_FLAGS = ["-flags", "+ildct+ilme", "-x264opts", "tff=1"]  # field order in the stream
FAST = Profile(quality=10, preset="ultrafast")  # low CRF: block edges would look combed


def make(target: Path, video: str, *encode: str, fields: str | None = None) -> Path:
    """``video`` from lavfi; ``fields``: filters that make fields, run as -vf (frames read
    from lavfi lose their interlaced flags, and the encoder must see them)."""
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    args += ["-i", video, *(["-vf", fields] if fields else [])]
    args += ["-c:v", "libx264", "-preset", "ultrafast", *encode, str(target)]
    subprocess.run(args, check=True, capture_output=True)
    return target


def small(rate: str, seconds: float) -> str:
    return f"testsrc2=size=160x120:rate={rate}:duration={seconds},scale=320:240"


def encode(source: Path, target: Path, profile: Profile, encoder: str) -> tuple[SourceFit, Path]:
    """The transcode step's own functions, without the database: analyse, encode, verify."""
    settings = Settings()
    info = probe(source, count_packets=True)
    fit = analyze(source, info.duration_s, settings)
    choice = EncoderChoice(encoder, hardware=False)
    args = transcode_args(
        info, target, ffmpeg_path="ffmpeg", profile=profile, encoder=choice, fit=fit,
        vaapi_device=settings.vaapi_device,
    )  # fmt: skip
    run_ffmpeg(args, stall_seconds=30, expected_duration_s=info.duration_s)
    expected = expected_output(info, kept_streams(profile, info), fit)
    verify_output(target, expected, ffprobe="ffprobe", video_streams=1)
    return fit, target


def interlaced_letterboxed(tmp_path: Path) -> Path:
    """Interlaced (tff) 29.97 fps with 32-line bars at top and bottom."""
    return make(
        tmp_path / "interlaced-letterboxed.mkv",
        "testsrc2=size=160x88:rate=60000/1001:duration=3,scale=320:176,pad=320:240:0:32:black",
        "-crf", "8", *INTERLACED_FLAGS, fields="interlace=scan=tff",
    )  # fmt: skip


def video_stream(path: Path) -> dict:
    args = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json"]
    done = subprocess.run([*args, str(path)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)["streams"][0]


def fields_of(path: Path) -> float:
    """idet's share of interlaced frames in the file, measured whatever its flags say."""
    info = probe(path)
    video = read_video(path, Settings())
    counts, _ = measure(path, info.duration_s, video, Settings(), fields=True, crop=False)
    assert counts is not None and counts.frames > 0
    return counts.interlaced_share


def test_an_interlaced_title_comes_out_progressive(tmp_path: Path) -> None:
    source = make(
        tmp_path / "interlaced.mkv",
        small("60000/1001", 4), "-crf", "8", *INTERLACED_FLAGS, fields="interlace=scan=tff",
    )  # fmt: skip
    fit, out = encode(source, tmp_path / "out.mkv", FAST, "libx264")
    assert fit.interlaced and not fit.telecined
    assert [f.name for f in fit.filters] == ["bwdif"]
    assert video_stream(out)["field_order"] == "progressive"
    assert fields_of(out) < INTERLACED_SHARE
    assert Fraction(video_stream(out)["r_frame_rate"]) == fit.video.frame_rate


def test_progressive_pictures_flagged_interlaced_are_left_alone(tmp_path: Path) -> None:
    source = make(
        tmp_path / "film.mkv", small("30000/1001", 4), "-crf", "8", *INTERLACED_FLAGS,
        fields="setfield=tff",
    )  # fmt: skip
    assert video_stream(source)["field_order"] != "progressive"
    fit = analyze(source, probe(source).duration_s, Settings())
    assert fit.fields is not None and fit.fields.frames > 0  # measured, not taken on trust
    assert not fit.interlaced and not fit.telecined and fit.filters == ()


def test_telecined_film_is_restored_to_23_976(tmp_path: Path) -> None:
    source = make(
        tmp_path / "telecined.mkv",
        small("24000/1001", 4), "-crf", "8", *INTERLACED_FLAGS,
        fields="telecine=pattern=23,setfield=tff",
    )  # fmt: skip
    assert Fraction(video_stream(source)["r_frame_rate"]) == Fraction(30000, 1001)
    fit, out = encode(source, tmp_path / "out.mkv", FAST, "libx264")
    assert fit.telecined and not fit.interlaced
    assert [f.name for f in fit.filters] == ["fieldmatch", "bwdif", "decimate"]
    assert Fraction(video_stream(out)["r_frame_rate"]) == Fraction(24000, 1001)
    assert fields_of(out) < INTERLACED_SHARE  # the film frames came back whole


def test_black_bars_are_cropped_to_the_picture(tmp_path: Path) -> None:
    # a 320x176 picture in a 320x240 frame, black for the first 4.5 s (the first sample)
    source = make(
        tmp_path / "letterboxed.mkv",
        "testsrc2=size=160x88:rate=25:duration=12,scale=320:176,pad=320:240:0:32:black,"
        "drawbox=c=black:t=fill:enable='lt(t,4.5)'",
    )
    fit, out = encode(source, tmp_path / "out.mkv", FAST, "libx264")
    assert fit.bars is not None and (fit.bars.top, fit.bars.bottom) == (32, 32)
    assert (fit.bars.left, fit.bars.right) == (0, 0)
    stream = video_stream(out)
    assert (stream["width"], stream["height"]) == fit.size == (320, 176)


def test_a_dark_opening_that_looks_letterboxed_is_not_cropped(tmp_path: Path) -> None:
    # black bands at the top and bottom in the first 8.5 s (three of the five samples),
    # the whole frame after
    source = make(
        tmp_path / "dark.mkv",
        "testsrc2=size=160x120:rate=25:duration=12,scale=320:240,"
        "drawbox=y=0:w=iw:h=48:c=black:t=fill:enable='lt(t,8.5)',"
        "drawbox=y=ih-48:w=iw:h=48:c=black:t=fill:enable='lt(t,8.5)'",
    )
    settings = Settings()
    info = probe(source)
    video = read_video(source, settings)
    _, boxes = measure(source, info.duration_s, video, settings, fields=False, crop=True)
    assert sum(1 for b in boxes if b is not None and b.y1 >= 48) >= 3  # looked letterboxed
    fit = analyze(source, info.duration_s, settings)
    assert fit.bars is not None and not fit.bars and fit.filters == ()


def test_bars_are_only_what_every_sample_agrees_on_rounded_to_keep_the_picture() -> None:
    boxes = [Box(x1=3, x2=316, y1=41, y2=198), None, Box(x1=5, x2=318, y1=45, y2=200)]
    bars = common_bars(boxes, 320, 240)
    assert (bars.left, bars.right, bars.top, bars.bottom) == (2, 0, 40, 38)
    assert bars.inside(320, 240) == (318, 162)
    assert not common_bars([None, None], 320, 240)


def test_hdr10_stays_10_bit_with_its_colour_and_mastering_metadata(tmp_path: Path) -> None:
    x265 = (
        "log-level=error:master-display=G(13250,34500)B(7500,3000)R(34000,16000)"
        "WP(15635,16450)L(10000000,1):max-cll=1000,400"
    )
    source = tmp_path / "hdr.mkv"
    args = ["ffmpeg", "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", small("25", 2)]
    args += ["-pix_fmt", "yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast"]
    args += ["-x265-params", x265, "-color_primaries", "bt2020", "-color_trc", "smpte2084"]
    args += ["-colorspace", "bt2020nc", str(source)]
    subprocess.run(args, check=True, capture_output=True)
    before = read_video(source, Settings())
    assert before.hdr10 and before.mastering is not None and before.light_level is not None

    profile = Profile(codec="hevc", preset="ultrafast")
    _, out = encode(source, tmp_path / "out.mkv", profile, "libx265")
    after = read_video(out, Settings())
    assert after.pix_fmt == "yuv420p10le"
    colour = ("color_primaries", "color_transfer", "color_space", "color_range")
    assert [getattr(after, c) for c in colour] == [getattr(before, c) for c in colour]
    assert after.mastering == before.mastering
    assert after.light_level == before.light_level
    # as the rip's job row keeps it, in JSON
    measured = Measured(before, FieldCounts(tff=3, progressive=9), (Box(0, 319, 2, 237), None))
    stored = json.loads(json.dumps(measured.details()))
    assert Measured.from_details(stored) == measured
    assert Measured.from_details({"video": {"width": "x"}}) is None


def test_the_rips_measurement_is_decided_on_with_the_transcode_hosts_switches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = interlaced_letterboxed(tmp_path)
    duration = probe(source).duration_s
    at_rip = measure_source(source, duration, Settings())
    expected = analyze(source, duration, Settings())

    def no_sampling(*args: object) -> None:
        raise AssertionError("measured again")

    monkeypatch.setattr("boz.media.analyze.measure_source", no_sampling)
    assert analyze(source, duration, Settings(), at_rip) == expected
    no_crop = analyze(source, duration, Settings(fit_crop=False), at_rip)
    assert no_crop.interlaced and no_crop.bars is None
    # a rip host that did not sample for bars: the transcode host that wants them does
    without_boxes = dataclasses.replace(at_rip, boxes=None)
    with pytest.raises(AssertionError, match="measured again"):
        analyze(source, duration, Settings(), without_boxes)


def test_each_detection_can_be_switched_off(tmp_path: Path) -> None:
    source = interlaced_letterboxed(tmp_path)
    duration = probe(source).duration_s
    on = analyze(source, duration, Settings())
    assert on.interlaced and on.bars
    off = Settings(fit_deinterlace=False, fit_telecine=False, fit_crop=False)
    fit = analyze(source, duration, off)
    assert (fit.fields, fit.bars, fit.filters) == (None, None, ())
    only_crop = analyze(source, duration, Settings(fit_deinterlace=False, fit_telecine=False))
    assert [f.name for f in only_crop.filters] == ["crop"] and only_crop.fields is None


@pytest.mark.parametrize("seconds", [1.0, 30.0])
def test_samples_stay_inside_the_title(seconds: float) -> None:
    starts = sample_starts(seconds, Fraction(25))
    assert len(starts) == SAMPLES
    assert all(0 <= s <= max(0.0, seconds - SAMPLE_FRAMES / 25) for s in starts)
    assert starts == sorted(starts)


def test_decisions_follow_the_documented_shares() -> None:
    ntsc = Video(720, 480, Fraction(30000, 1001), "yuv420p", field_order="tt")
    pal = dataclasses.replace(ntsc, height=576, frame_rate=Fraction(25))
    frames = 300
    pulldown = FieldCounts(tff=100, progressive=200, repeated=round(frames * TELECINE_SHARE))
    assert decide(ntsc, pulldown, None, Settings()).telecined
    at_25 = decide(pal, pulldown, None, Settings())  # 3:2 pull-down only ever makes 29.97
    assert not at_25.telecined and at_25.interlaced
    assert not decide(ntsc, pulldown, None, Settings(fit_telecine=False)).telecined
    few = round(frames * INTERLACED_SHARE) - 1
    assert not decide(pal, FieldCounts(bff=few, progressive=frames - few), None, Settings()).filters
    bff = decide(pal, FieldCounts(bff=few + 1, progressive=frames - few - 1), None, Settings())
    assert [str(f) for f in bff.filters] == ["bwdif=mode=send_frame:parity=bff:deint=all"]
