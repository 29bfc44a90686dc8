"""Transcode profiles: how a name resolves, which streams they keep, and what comes out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import boz_json, run_boz
from pydantic import ValidationError

from boz.db import store
from boz.db.engine import Database, open_database
from boz.errors import BadProfile
from boz.media.analyze import analyze
from boz.media.commands import remux_args, transcode_args
from boz.media.encoders import EncoderChoice
from boz.media.probe import MediaInfo, StreamInfo, probe
from boz.media.profiles import Profile, kept_streams, resolve
from boz.media.runner import run_ffmpeg
from boz.media.verify import verify_output
from boz.models import JobKind, RipRequest
from boz.pipeline import detect, preview, rip, transcode
from boz.pipeline.jobs import Runner
from boz.settings import Settings


def test_the_default_profile_is_the_encoder_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    default = resolve(settings)
    assert (default.codec, default.hardware) == ("h264", False)
    assert (default.quality, default.preset) == (settings.crf, settings.x264_preset)
    hevc = resolve(Settings(video_encoder="libx265", crf=24))
    assert (hevc.codec, hevc.quality, hevc.preset) == ("hevc", 24, settings.x264_preset)
    av1 = resolve(Settings(video_encoder="libsvtav1"))
    assert (av1.codec, av1.preset) == ("av1", None)  # x264's preset names mean nothing to SVT
    assert resolve(Settings(video_encoder="hevc_nvenc")).hardware
    with pytest.raises(BadProfile, match="'libvpx-vp9' is not an h264, hevc or av1"):
        resolve(Settings(video_encoder="libvpx-vp9"))


def test_a_profile_in_settings_wins_and_unknown_names_list_the_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve(Settings(), "copy") == Profile(codec="copy")
    monkeypatch.setenv("BOZ_PROFILE", "small")
    monkeypatch.setenv(
        "BOZ_PROFILES",
        json.dumps({"small": {"codec": "hevc", "max_height": 480}, "default": {"codec": "av1"}}),
    )
    settings = Settings()
    assert resolve(settings) == Profile(codec="hevc", max_height=480)
    assert resolve(settings, "default").codec == "av1"
    with pytest.raises(BadProfile) as err:
        resolve(settings, "tiny")
    assert str(err.value) == (
        "no transcode profile 'tiny': use one of copy, default, small, or define it in "
        "BOZ_PROFILES or under [profiles] in config.toml"
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"codec": "h264", "quality": 52},
        {"codec": "av1", "preset": "medium"},
        {"max_height": 719},
    ],
)
def test_a_profile_ffmpeg_would_refuse_is_refused_when_settings_load(fields: dict) -> None:
    with pytest.raises(ValidationError):
        Profile(**fields)


def _info(*languages: tuple[str, str | None]) -> MediaInfo:
    streams = [StreamInfo(0, "video", "h264", None, 10)]
    streams += [StreamInfo(n, kind, "x", lang, 1) for n, (kind, lang) in enumerate(languages, 1)]
    return MediaInfo(Path("t.mkv"), 1.0, 1, 0, tuple(streams))


def test_languages_keep_untagged_streams_and_never_every_audio_stream() -> None:
    source = _info(
        ("audio", "eng"), ("audio", "fre"), ("audio", "und"),
        ("subtitle", "ger"), ("subtitle", None), ("subtitle", "eng"),
    )  # fmt: skip
    kept = kept_streams(Profile(audio_languages=["FRA"], subtitle_languages=["deu"]), source)
    assert [s.index for s in kept.audio] == [2, 3]  # fre written fra, and und
    assert [s.index for s in kept.subtitles] == [4, 5]  # ger written deu, and untagged
    assert kept.notes == ()
    tagged = _info(("audio", "eng"), ("audio", "fre"))
    fallback = kept_streams(Profile(audio_languages=["jpn"]), tagged)
    assert [s.index for s in fallback.audio] == [1, 2]
    assert fallback.notes == ("no audio stream in jpn: kept all 2",)


def make_title(target: Path) -> Path:
    """Three audio streams (eng default, fre, untagged), subtitles (eng forced, ger
    default) and two chapters: what a profile's filters must keep straight."""
    target.parent.mkdir(parents=True, exist_ok=True)
    srt = "1\n00:00:00,500 --> 00:00:01,500\nLine\n"
    (target.parent / "eng.srt").write_text(srt)
    (target.parent / "ger.srt").write_text(srt)
    meta = target.parent / "chapters.txt"
    meta.write_text(
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\n"
    )
    args = [
        "ffmpeg", "-hide_banner", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3,scale=320:240",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
        "-i", str(target.parent / "eng.srt"), "-i", str(target.parent / "ger.srt"),
        "-i", str(meta),
        "-map", "0:v", "-map", "1:a", "-map", "1:a", "-map", "1:a", "-map", "2:s", "-map", "3:s",
        "-map_chapters", "4", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", "-b:a", "32k", "-c:s", "srt",
        "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
        "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=ger",
        "-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:a:2", "0",
        "-disposition:s:0", "forced", "-disposition:s:1", "default",
        str(target),
    ]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True)
    for f in ("eng.srt", "ger.srt", "chapters.txt"):
        (target.parent / f).unlink()
    return target


def streams_of(path: Path) -> tuple[list[dict], int]:
    args = ["ffprobe", "-v", "error", "-show_streams", "-show_chapters", "-of", "json"]
    data = json.loads(subprocess.run([*args, str(path)], capture_output=True, check=True).stdout)
    return data["streams"], len(data["chapters"])


def _described(stream: dict) -> tuple[str, str | None, int, int]:
    flags = stream["disposition"]
    language = stream.get("tags", {}).get("language")
    return (stream["codec_type"], language, flags["default"], flags["forced"])


def _ripped(folder: Path, settings: Settings) -> tuple[Database, int, Runner]:
    """A one-title disc of ``make_title``, approved and ripped: ready to transcode."""
    db = open_database(settings.db_url)
    runner = Runner(host="test-host")
    disc = detect.detect(db, settings, str(folder))
    assert disc.id is not None
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(), **kwargs)
    preview.decide(db, disc.id, proposal.decision(), **kwargs)
    rip.rip_title(db, settings, disc.id, 0, runner)
    return db, disc.id, runner


def test_a_profile_run_by_the_pipeline(tmp_path: Path, boz_home: Path) -> None:
    small = Profile(
        codec="hevc", preset="ultrafast", max_height=120,
        audio_languages=["fre"], subtitle_languages=["eng"],
    )  # fmt: skip
    settings = Settings(profiles={"small": small})
    folder = tmp_path / "PROFILE_SHOW_S1_D1"
    source_streams, _ = streams_of(make_title(folder / "title_t00.mkv"))
    db, disc_id, runner = _ripped(folder, settings)

    lines: list[str] = []
    out = transcode.transcode_title(
        db, settings, disc_id, 0, runner, profile="small", log=lines.append
    )
    streams, chapters = streams_of(out)
    video = streams[0]
    assert (video["codec_name"], video["height"], video["pix_fmt"]) == ("hevc", 120, "yuv420p")
    assert video["width"] % 2 == 0 and abs(video["width"] / 120 - 320 / 240) < 0.02
    # fre and the untagged audio, eng subtitles, each flagged as in the source, except that
    # with eng (the default audio) gone, ffmpeg makes the first audio left the default
    wanted = [_described(s) for s in source_streams if s["index"] in (2, 3, 4)]
    assert wanted[0] == ("audio", "fre", 0, 0) and wanted[2] == ("subtitle", "eng", 0, 1)
    assert [_described(s) for s in streams[1:]] == [("audio", "fre", 1, 0), *wanted[1:]]
    assert chapters == 2

    with db.session() as s:
        details = store.job_details(s, disc_id, 0, JobKind.transcode)
        ripped = store.job_details(s, disc_id, 0, JobKind.rip)
    assert ripped["measured"]["video"]["width"] == 320  # sampled once, by the rip
    assert (details["profile"], details["encoder"]) == ("small", "libx265")
    with db.session() as s:
        job = next(j for j in store.list_jobs(s) if j.kind is JobKind.transcode)
    assert job.started is not None and job.finished is not None
    # the encode's own time, for the benchmark and the operator: within the job's
    assert 0 < details["encode_seconds"] <= (job.finished - job.started).total_seconds()
    fit = details["fit"]
    assert isinstance(fit, dict) and (fit["width"], fit["height"]) == (320, 240)
    assert fit["filters"] == "" and fit["bars"] == {"top": 0, "bottom": 0, "left": 0, "right": 0}
    assert lines[0] == (
        "title 0: profile small: hevc via libx265, quality 20, preset ultrafast, "
        "at most 120 lines; keeps 2 of 3 audio and 1 of 2 subtitle streams"
    )
    assert lines[1].startswith("title 0: fit: 320x240 25.000 fps 8-bit; declared progressive")


def test_a_hardware_profile_falls_back_to_software_saying_why(
    tmp_path: Path, boz_home: Path
) -> None:
    """The candidate fails its trial here as on any host without the GPU (no render node)."""
    settings = Settings(
        profiles={"gpu": Profile(hardware=True, preset="ultrafast")},
        hardware_encoders=["h264_vaapi"],
        vaapi_device=str(tmp_path / "renderD128"),
    )
    folder = tmp_path / "GPU_SHOW_S1_D1"
    make_title(folder / "title_t00.mkv")
    db, disc_id, runner = _ripped(folder, settings)

    lines: list[str] = []
    out = transcode.transcode_title(
        db, settings, disc_id, 0, runner, profile="gpu", log=lines.append
    )
    streams, _ = streams_of(out)
    assert streams[0]["codec_name"] == "h264"
    fallback = [line for line in lines if "software encoder" in line]
    assert fallback == [
        "title 0: software encoder libx264: no usable hardware encoder for h264: "
        "h264_nvenc: not in BOZ_HARDWARE_ENCODERS; h264_qsv: not in BOZ_HARDWARE_ENCODERS; "
        f"h264_vaapi: No VA display found for device {tmp_path / 'renderD128'}."
    ]
    with db.session() as s:
        details = store.job_details(s, disc_id, 0, JobKind.transcode)
    assert details["encoder"] == "libx264" and "h264_vaapi" in str(details["encoder_fallback"])


@pytest.mark.usefixtures("prefect_api")
def test_boz_rip_takes_a_profile_and_refuses_an_unknown_one(disc_factory, boz_home: Path) -> None:
    disc = disc_factory("SAMPLE_SHOW_S1_D1")
    unknown = run_boz("rip", str(disc), "--yes", "--profile", "tiny", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "boz: no transcode profile 'tiny': use one of copy, default, or define it in "
        "BOZ_PROFILES or under [profiles] in config.toml"
    ]
    assert boz_json("discs") == []  # refused before the disc was read

    run_boz("rip", str(disc), "--yes", "--profile", "copy")
    transcodes = [j for j in boz_json("jobs") if j["kind"] == "transcode"]
    assert len(transcodes) == 3
    assert {(j["details"]["profile"], j["details"]["encoder"]) for j in transcodes} == {
        ("copy", "copy")
    }
    placed = sorted((boz_home / "library").rglob("*.mkv"))
    assert len(placed) == 3  # a remux: each file's video packets are a source title's
    assert {_video_packets(p) for p in placed} <= {_video_packets(t) for t in disc.iterdir()}


def _video_packets(path: Path) -> str:
    args = ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy"]
    done = subprocess.run([*args, "-f", "streamhash", "-"], check=True, capture_output=True)
    return done.stdout.decode()


def test_av1_and_copy_profiles(tmp_path: Path) -> None:
    source = make_title(tmp_path / "title.mkv")
    info = probe(source, count_packets=True)
    settings = Settings(fit_crop=False)  # nothing to crop: keep this test to the profiles

    av1 = Profile(codec="av1", preset="12", quality=40, audio_languages=["eng"])
    fit = analyze(source, info.duration_s, settings)
    out = tmp_path / "av1.mkv"
    args = transcode_args(
        info, out, ffmpeg_path="ffmpeg", profile=av1, fit=fit,
        encoder=EncoderChoice("libsvtav1", hardware=False), vaapi_device=settings.vaapi_device,
    )  # fmt: skip
    run_ffmpeg(args, stall_seconds=30)
    kept = kept_streams(av1, info)
    verify_output(out, transcode.expected_output(info, kept, fit), ffprobe="ffprobe")
    streams, _ = streams_of(out)
    assert streams[0]["codec_name"] == "av1"
    assert [_described(s)[1] for s in streams[1:]] == ["eng", None, "eng", "ger"]

    copy = Profile(codec="copy", subtitle_languages=["ger"])
    remuxed = tmp_path / "copy.mkv"
    run_ffmpeg(remux_args(info, remuxed, ffmpeg_path="ffmpeg", profile=copy), stall_seconds=30)
    kept = kept_streams(copy, info)
    verify_output(remuxed, transcode.expected_output(info, kept, None), ffprobe="ffprobe")
    streams, chapters = streams_of(remuxed)
    source_streams, _ = streams_of(source)
    wanted = [s for s in source_streams if s["index"] != 4]  # all but the eng subtitles
    assert [s["codec_name"] for s in streams] == [s["codec_name"] for s in wanted]
    assert [_described(s) for s in streams] == [_described(s) for s in wanted]
    assert chapters == 2
