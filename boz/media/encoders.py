"""Which video encoders work on this host, which one a profile gets, and with what options.

ffmpeg lists NVENC, QSV and VAAPI encoders on every machine its build supports, GPU or
not, so the listing proves nothing: an encoder is usable only once a one-second encode
of a generated picture through it succeeds. The answer is cached per host in
``home/encoders.json`` for a day (``CACHE_MAX_AGE_S``), so a transcode does not pay the
trials each time. A different ffmpeg (path or version line), candidate list or VAAPI
device tries again at once; a new GPU driver is seen when the day is over, or at once
with ``refresh=True``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from boz.errors import ToolFailed, ToolMissing, ToolStalled
from boz.media.probe import tool_missing
from boz.media.profiles import SOFTWARE_ENCODERS as SOFTWARE
from boz.process import run_lines
from boz.settings import Settings

HARDWARE_APIS = ("nvenc", "qsv", "vaapi")  # the order a profile asking for hardware gets
# Hardware encoders refuse frames under a minimum size that varies by GPU, so the trial
# picture is larger than software would need.
TRIAL_SOURCE = "testsrc=size=320x240:rate=10:duration=1"
# Ten small frames take well under a second; only a stuck driver or device gets near this,
# even on a machine busy with transcodes.
TRIAL_TIMEOUT_S = 60.0
CACHE_FILE = "encoders.json"
CACHE_MAX_AGE_S = 24 * 3600.0
# One trial run at a time in a process: a caller that finds one running waits for its
# answer (the drive flow starts them early, the first transcode may ask meanwhile).
_TRYING = threading.Lock()

# x264's preset names (libx265 takes the same) in the other encoders' terms.
_NVENC_PRESETS = {
    "ultrafast": "p1", "superfast": "p1", "veryfast": "p2", "faster": "p3", "fast": "p3",
    "medium": "p4", "slow": "p5", "slower": "p6", "veryslow": "p7", "placebo": "p7",
}  # fmt: skip
_QSV_PRESETS = {"ultrafast": "veryfast", "superfast": "veryfast", "placebo": "veryslow"}
_SVT_PRESETS = {  # 0 (slowest) to 13
    "ultrafast": 12, "superfast": 11, "veryfast": 10, "faster": 9, "fast": 8,
    "medium": 7, "slow": 6, "slower": 5, "veryslow": 4, "placebo": 2,
}  # fmt: skip
_TAGGED = re.compile(r"^\[[^\]]+ @ 0x[0-9a-fA-F]+\]\s*")


@dataclass(frozen=True)
class Trials:
    """The encoders that passed their trial on this host (in the order tried), and for
    each one that did not, the reason in one line: what ``choose`` needs to explain a
    fallback, and what the host reports."""

    usable: tuple[str, ...]
    reasons: Mapping[str, str]


@dataclass(frozen=True)
class EncoderChoice:
    encoder: str
    hardware: bool
    fallback_reason: str | None = None  # why a profile asking for hardware got software


def _api(encoder: str) -> str | None:
    api = encoder.rpartition("_")[2]
    return api if api in HARDWARE_APIS else None


def device_args(encoder: str, *, vaapi_device: str) -> list[str]:
    """Global ffmpeg options the encoder needs: the device that frames are uploaded to.

    ffmpeg takes global options anywhere on its command line (ffmpeg-python's
    ``global_args`` puts them last), and ``-vaapi_device`` also names the device for
    filters, as the upload filter of ``video_options`` needs."""
    api = _api(encoder)
    if api == "vaapi":
        return ["-vaapi_device", vaapi_device]
    if api == "qsv":
        return ["-init_hw_device", "qsv=hw", "-filter_hw_device", "hw"]
    return []


def _upload_filters(encoder: str) -> list[str]:
    """VAAPI and QSV encode frames in GPU memory; NVENC and software take decoded frames.
    QSV needs a fixed pool of GPU frames, hence the extra frames."""
    api = _api(encoder)
    if api == "vaapi":
        return ["format=pix_fmts=nv12", "hwupload"]
    if api == "qsv":
        return ["format=pix_fmts=nv12", "hwupload=extra_hw_frames=64"]
    return []


def _reason(stderr: str, returncode: int) -> str:
    """One line saying why: the first message a component signed (``[h264_nvenc @ 0x…]
    Cannot load libcuda.so.1``) says more than ffmpeg's closing summary, which is the
    fallback."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    signed = [_TAGGED.sub("", line) for line in lines if _TAGGED.match(line)]
    if signed:
        return signed[0]
    return lines[-1] if lines else f"ffmpeg exited with status {returncode}"


def trial(ffmpeg: str, encoder: str, *, vaapi_device: str, timeout_s: float) -> str | None:
    """Encode one second of a generated picture with ``encoder`` and throw it away.

    None when it worked, else the reason in one line; a trial that runs past
    ``timeout_s`` is killed and fails with that reason. Raises ToolMissing when
    ``ffmpeg`` itself cannot be run."""
    filters = _upload_filters(encoder)
    args = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error",
        *device_args(encoder, vaapi_device=vaapi_device),
        "-f", "lavfi", "-i", TRIAL_SOURCE,
        *(["-vf", ",".join(filters)] if filters else []),
        "-c:v", encoder, "-f", "null", "-",
    ]  # fmt: skip
    try:
        done = run_lines(
            args,
            on_line=lambda line: None,
            stall_seconds=timeout_s,
            timeout_seconds=timeout_s,
            missing=tool_missing("ffmpeg", "BOZ_FFMPEG"),
        )
    except ToolStalled as exc:
        return str(exc)
    return None if done.returncode == 0 else _reason(done.stderr, done.returncode)


def ffmpeg_version(ffmpeg: str) -> str:
    """ffmpeg's first ``-version`` line, which names its build."""
    lines: list[str] = []
    done = run_lines(
        [ffmpeg, "-version"],
        on_line=lines.append,
        stall_seconds=TRIAL_TIMEOUT_S,
        timeout_seconds=TRIAL_TIMEOUT_S,
        missing=tool_missing("ffmpeg", "BOZ_FFMPEG"),
    )
    if done.returncode != 0 or not lines:
        raise ToolFailed(f"{ffmpeg} -version failed: {_reason(done.stderr, done.returncode)}")
    return lines[0].strip()


def usable_encoders(settings: Settings, *, refresh: bool = False) -> Trials:
    """Try every candidate (``settings.hardware_encoders``, then the software encoder of
    each codec), or take this host's cached answer while it is still valid."""
    with _TRYING:
        return _usable_encoders(settings, refresh=refresh)


def _usable_encoders(settings: Settings, *, refresh: bool) -> Trials:
    candidates = list(dict.fromkeys([*settings.hardware_encoders, *SOFTWARE.values()]))
    key = {
        "ffmpeg": shutil.which(settings.ffmpeg) or settings.ffmpeg,
        "version": ffmpeg_version(settings.ffmpeg),
        "vaapi_device": settings.vaapi_device,
        "candidates": candidates,
    }
    path = settings.home / CACHE_FILE
    cache = _read_cache(path)
    entry = cache.get(settings.host_name)
    if not refresh and isinstance(entry, dict) and _valid(entry, key):
        return Trials(tuple(entry["usable"]), dict(entry["reasons"]))
    reasons: dict[str, str] = {}
    for encoder in candidates:
        reason = trial(
            settings.ffmpeg, encoder, vaapi_device=settings.vaapi_device, timeout_s=TRIAL_TIMEOUT_S
        )
        if reason is not None:
            reasons[encoder] = reason
    found = Trials(tuple(e for e in candidates if e not in reasons), reasons)
    cache[settings.host_name] = {
        **key, "checked_at": time.time(), "usable": list(found.usable), "reasons": reasons,
    }  # fmt: skip
    _write_cache(path, cache)
    return found


def _valid(entry: dict[str, object], key: Mapping[str, object]) -> bool:
    age = time.time() - float(entry.get("checked_at", 0))  # type: ignore[arg-type]
    return all(entry.get(k) == v for k, v in key.items()) and 0 <= age < CACHE_MAX_AGE_S


def _read_cache(path: Path) -> dict[str, object]:
    """The cache only saves time: an unreadable one is as good as none."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, cache: Mapping[str, object]) -> None:
    """Whole or not at all, as hosts sharing a home may read it meanwhile (two writers at
    once keep one's entry; the other host tries again next time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(cache, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def choose(
    codec: str, hardware: bool, usable: Sequence[str], reasons: Mapping[str, str]
) -> EncoderChoice:
    """The encoder for ``codec``: with ``hardware``, the first usable of NVENC, QSV and
    VAAPI; otherwise, or when none works, the software one, saying why in one line.

    Raises ToolMissing when the software encoder does not work either (an ffmpeg built
    without it)."""
    software = SOFTWARE[codec]
    fallback = None
    if hardware:
        candidates = [f"{codec}_{api}" for api in HARDWARE_APIS]
        found = next((e for e in candidates if e in usable), None)
        if found is not None:
            return EncoderChoice(found, hardware=True)
        why = "; ".join(
            f"{e}: {reasons.get(e, 'not in BOZ_HARDWARE_ENCODERS')}" for e in candidates
        )
        fallback = f"no usable hardware encoder for {codec}: {why}"
    if software not in usable:
        raise ToolMissing(
            f"{software} does not work with this ffmpeg ({reasons.get(software, 'not tried')}): "
            f"install an ffmpeg built with it, or choose another codec in the profile"
        )
    return EncoderChoice(software, hardware=False, fallback_reason=fallback)


def video_options(
    choice: EncoderChoice, quality: int, preset: str | None
) -> tuple[dict[str, object], list[str]]:
    """The video encoder's ffmpeg output options (``c:v`` included), and the filters that
    must end the video's filter chain, after any of the source's own (empty for software
    and NVENC). Each filter is ``name`` or ``name=key=value[:key=value]``, a valid
    ffmpeg filter that is also ffmpeg-python's ``.filter(name, key=value)``.

    ``quality`` is CRF for software, NVENC's ``-cq``, QSV's ``-global_quality`` and
    VAAPI's constant ``-qp``. ``preset`` is an x264 name (ultrafast … placebo), mapped to
    the encoder's own scale; a name the map lacks passes as is (NVENC's ``p5``, SVT-AV1's
    ``6``); None keeps the encoder's default, and VAAPI has no presets. The device the
    hardware encoders need is ``device_args``'s, which the caller adds as global options.
    The sample format is the caller's, which knows the source's bit depth, except with
    VAAPI and QSV: their filters make 8-bit frames in GPU memory, so no ``pix_fmt``."""
    encoder = choice.encoder
    api = _api(encoder)
    if api == "nvenc":
        # NVENC's default 2 Mb/s would cap the constant quality: no bitrate target.
        options: dict[str, object] = {"c:v": encoder, "rc": "vbr", "cq": quality, "b:v": 0}
        presets: Mapping[str, object] = _NVENC_PRESETS
    elif api == "qsv":
        options, presets = {"c:v": encoder, "global_quality": quality}, _QSV_PRESETS
    elif api == "vaapi":
        options, presets, preset = {"c:v": encoder, "qp": quality}, {}, None
    else:
        options = {"c:v": encoder, "crf": quality}
        presets = _SVT_PRESETS if encoder == "libsvtav1" else {}
    if preset is not None:
        options["preset"] = presets.get(preset, preset)
    return options, _upload_filters(encoder)
