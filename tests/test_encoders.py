"""Encoder trials with the real ffmpeg, the per-host cache, the choice and its options.

This machine has no GPU, so the hardware encoders that ffmpeg lists fail their trials:
exactly the case a listing would get wrong. A VAAPI device that does not exist fails
the same way everywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ffmpeg
import pytest

from boz.errors import ToolMissing
from boz.media import encoders
from boz.media.encoders import EncoderChoice, choose, device_args, trial, video_options
from boz.settings import Settings

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"


def _trial(encoder: str, *, device: str = "/dev/dri/renderD128", ffmpeg: str = FFMPEG):
    return trial(ffmpeg, encoder, vaapi_device=device, timeout_s=60)


def _fake_ffmpeg(path: Path, version: str) -> Path:
    """ffmpeg under another version line, as after an upgrade."""
    path.write_text(
        f'#!/bin/sh\nif [ "$1" = -version ]; then echo "ffmpeg version {version}"; exit 0; fi\n'
        f'exec {FFMPEG} "$@"\n'
    )
    path.chmod(0o755)
    return path


def test_a_software_encoder_passes_its_trial() -> None:
    assert _trial("libx264") is None


def test_a_hardware_encoder_without_its_device_fails_with_the_reason(tmp_path: Path) -> None:
    missing = str(tmp_path / "renderD999")
    assert (
        "h264_vaapi"
        in subprocess.run(
            [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
        ).stdout
    )  # listed all the same
    reason = _trial("h264_vaapi", device=missing)
    assert reason is not None and missing in reason and "\n" not in reason


def test_an_encoder_ffmpeg_does_not_know_fails_with_the_reason() -> None:
    reason = _trial("boz_no_such_encoder")
    assert reason is not None and "boz_no_such_encoder" in reason and "\n" not in reason


def test_a_trial_that_hangs_is_killed_and_fails(tmp_path: Path) -> None:
    stuck = tmp_path / "ffmpeg"
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(0o755)
    started = time.monotonic()
    reason = trial(str(stuck), "h264_nvenc", vaapi_device="", timeout_s=1)
    assert reason is not None and "1 s" in reason and "killed" in reason
    assert time.monotonic() - started < 10


def test_no_ffmpeg_is_an_error_not_an_unusable_encoder(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="BOZ_FFMPEG"):
        _trial("libx264", ffmpeg=str(tmp_path / "no-ffmpeg"))


def test_hardware_falls_back_to_software_with_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "renderD999")
    settings = Settings(hardware_encoders=["hevc_vaapi"], vaapi_device=missing)
    found = encoders.usable_encoders(settings)
    assert "hevc_vaapi" not in found.usable and "libx265" in found.usable
    choice = choose("hevc", True, found.usable, found.reasons)
    assert (choice.encoder, choice.hardware) == ("libx265", False)
    assert choice.fallback_reason == (
        "no usable hardware encoder for hevc: hevc_nvenc: not in BOZ_HARDWARE_ENCODERS; "
        f"hevc_qsv: not in BOZ_HARDWARE_ENCODERS; hevc_vaapi: {found.reasons['hevc_vaapi']}"
    )
    assert choose("hevc", False, found.usable, found.reasons) == EncoderChoice("libx265", False)


def test_the_first_usable_hardware_encoder_wins_nvenc_then_qsv_then_vaapi() -> None:
    usable = ["h264_vaapi", "h264_qsv", "hevc_nvenc", "libx264"]
    assert choose("h264", True, usable, {}) == EncoderChoice("h264_qsv", True)
    assert choose("hevc", True, usable, {}) == EncoderChoice("hevc_nvenc", True)
    assert choose("h264", False, usable, {}) == EncoderChoice("libx264", False)


def test_a_software_encoder_ffmpeg_lacks_is_an_error() -> None:
    reasons = {"libsvtav1": "Unknown encoder 'libsvtav1'"}
    with pytest.raises(ToolMissing, match=r"libsvtav1 does not work .*Unknown encoder"):
        choose("av1", True, ["libx264"], reasons)


def test_trials_are_cached_per_host_until_ffmpeg_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[str] = []
    real = encoders.trial

    def counted(ffmpeg: str, encoder: str, **kwargs: object) -> str | None:
        tried.append(encoder)
        return real(ffmpeg, encoder, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(encoders, "trial", counted)
    ffmpeg = _fake_ffmpeg(tmp_path / "ffmpeg", "1.0")
    settings = Settings(
        ffmpeg=str(ffmpeg), hardware_encoders=["h264_vaapi"], host_name="host-a",
        vaapi_device=str(tmp_path / "renderD999"),
    )  # fmt: skip
    first = encoders.usable_encoders(settings)
    assert tried == ["h264_vaapi", "libx264", "libx265", "libsvtav1"]
    assert "libx264" in first.usable and set(first.reasons) == {"h264_vaapi"}

    tried.clear()
    assert encoders.usable_encoders(settings) == first
    assert tried == []  # no trial: the cached answer

    other_host = settings.model_copy(update={"host_name": "host-b"})
    encoders.usable_encoders(other_host)
    assert len(tried) == 4  # another host on the same home tries for itself
    cache = json.loads((settings.home / encoders.CACHE_FILE).read_text())
    assert set(cache) == {"host-a", "host-b"}

    tried.clear()
    _fake_ffmpeg(ffmpeg, "1.1")  # a new ffmpeg
    assert encoders.usable_encoders(settings) == first
    assert len(tried) == 4
    assert encoders.usable_encoders(settings) == first and len(tried) == 4

    cache = json.loads((settings.home / encoders.CACHE_FILE).read_text())
    cache["host-a"]["checked_at"] = time.time() - encoders.CACHE_MAX_AGE_S - 1
    (settings.home / encoders.CACHE_FILE).write_text(json.dumps(cache))
    encoders.usable_encoders(settings)
    assert len(tried) == 8  # a day later: tried again (a new driver)

    encoders.usable_encoders(settings, refresh=True)
    assert len(tried) == 12


def test_callers_at_once_share_one_round_of_trials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drive flow starts the trials beside its first rip, and that title's transcode
    may ask before they end: it waits for their answer instead of trying again."""
    tried: list[str] = []
    real = encoders.trial

    def slow(ffmpeg: str, encoder: str, **kwargs: object) -> str | None:
        tried.append(encoder)
        time.sleep(0.2)  # long enough for the second caller to arrive meanwhile
        return real(ffmpeg, encoder, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(encoders, "trial", slow)
    settings = Settings(hardware_encoders=[], host_name="host-a")
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(encoders.usable_encoders, settings)
        while not tried:
            time.sleep(0.01)
        second = pool.submit(encoders.usable_encoders, settings)
        assert first.result(timeout=120) == second.result(timeout=120)
    assert tried == ["libx264", "libx265", "libsvtav1"]


def _encodes(options: dict[str, object], filters: list[str]) -> subprocess.CompletedProcess[str]:
    args = [FFMPEG, "-hide_banner", "-nostdin", "-v", "error"]
    args += ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1"]
    args += ["-vf", ",".join(filters)] if filters else []
    for key, value in options.items():
        args += [f"-{key}", str(value)]
    return subprocess.run([*args, "-f", "null", "-"], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("codec", "preset"), [("h264", "veryfast"), ("hevc", None), ("av1", "fast")]
)
def test_software_options_encode(codec: str, preset: str | None) -> None:
    choice = choose(codec, False, list(encoders.SOFTWARE.values()), {})
    options, filters = video_options(choice, 30, preset)
    assert options["c:v"] == encoders.SOFTWARE[codec] and options["crf"] == 30
    assert ("preset" in options) == (preset is not None)
    assert filters == [] and device_args(choice.encoder, vaapi_device="/dev/x") == []
    done = _encodes(options, filters)
    assert done.returncode == 0, done.stderr[-2000:]


def test_hardware_options_as_lists() -> None:
    nvenc = EncoderChoice("hevc_nvenc", True)
    assert video_options(nvenc, 24, "slow") == (
        {"c:v": "hevc_nvenc", "rc": "vbr", "cq": 24, "b:v": 0, "preset": "p5"}, [],
    )  # fmt: skip
    assert video_options(nvenc, 24, "p2")[0]["preset"] == "p2"  # NVENC's own name passes
    assert "preset" not in video_options(nvenc, 24, None)[0]
    assert device_args("hevc_nvenc", vaapi_device="/dev/dri/renderD128") == []

    qsv = EncoderChoice("h264_qsv", True)
    assert video_options(qsv, 22, "ultrafast") == (
        {"c:v": "h264_qsv", "global_quality": 22, "preset": "veryfast"},
        ["format=pix_fmts=nv12", "hwupload=extra_hw_frames=64"],
    )
    assert video_options(qsv, 22, "slower")[0]["preset"] == "slower"
    assert device_args("h264_qsv", vaapi_device="/dev/dri/renderD128") == [
        "-init_hw_device", "qsv=hw", "-filter_hw_device", "hw",
    ]  # fmt: skip

    vaapi = EncoderChoice("av1_vaapi", True)
    assert video_options(vaapi, 28, "medium") == (
        {"c:v": "av1_vaapi", "qp": 28},
        ["format=pix_fmts=nv12", "hwupload"],
    )
    assert video_options(vaapi, 28, None) == video_options(vaapi, 28, "medium")
    assert device_args("av1_vaapi", vaapi_device="/dev/dri/renderD129") == [
        "-vaapi_device", "/dev/dri/renderD129",
    ]  # fmt: skip


def test_filters_are_ffmpeg_python_filters_too() -> None:
    _, filters = video_options(EncoderChoice("hevc_qsv", True), 22, None)
    stream = ffmpeg.input("in.mkv")
    for spec in filters:
        name, _, rest = spec.partition("=")
        stream = stream.filter(name, **dict(kv.split("=") for kv in rest.split(":") if kv))
    args = ffmpeg.output(stream, "out.mkv").compile()
    graph = args[args.index("-filter_complex") + 1]
    assert re.sub(r"\[\w+\]", "", graph).split(";") == filters  # the same filters, unlabelled
