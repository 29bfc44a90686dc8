"""Named transcode profiles: what a title becomes, chosen per run or per deployment.

A profile says what to make (codec, quality, size, which languages to keep); how to make
it on this host (which encoder, which filters the source needs) is decided at transcode
time from the host's usable encoders and what the source analysis found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, model_validator

from boz.errors import BadProfile
from boz.media.probe import MediaInfo, StreamInfo

if TYPE_CHECKING:
    from boz.settings import Settings

Codec = Literal["h264", "hevc", "av1", "copy"]

# The encoder every Debian ffmpeg has for each codec.
SOFTWARE_ENCODERS: dict[Codec, str] = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1"}

# ISO 639-2 has two codes for twenty languages: discs and MakeMKV write the bibliographic
# one (fre, ger), people often write the terminologic one (fra, deu). Either matches both.
_TERMINOLOGIC = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho",
    "cze": "ces", "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu",
    "gre": "ell", "ice": "isl", "mac": "mkd", "mao": "mri", "may": "msa",
    "per": "fas", "rum": "ron", "slo": "slk", "tib": "bod", "wel": "cym",
}  # fmt: skip


class Profile(BaseModel):
    codec: Codec = Field(default="h264", description="copy: remux only, no re-encode")
    hardware: bool = Field(
        default=False, description="use a usable hardware encoder for the codec, else software"
    )
    quality: int = Field(
        default=20, ge=0, le=63, description="CRF (software) or CQ (hardware); h264/hevc: 0-51"
    )
    preset: str | None = Field(
        default=None,
        description="the encoder's own speed/size trade-off (x264/x265: ultrafast..veryslow, "
        "SVT-AV1: 0-13); none: the encoder's default",
    )
    max_height: int | None = Field(
        default=None, gt=0, multiple_of=2, description="scale down above this, keeping aspect"
    )
    audio_languages: list[str] = Field(
        default_factory=list, description="ISO 639-2 codes to keep; empty: all"
    )
    subtitle_languages: list[str] = Field(
        default_factory=list, description="ISO 639-2 codes to keep; empty: all"
    )

    @model_validator(mode="after")
    def _fits_codec(self) -> Profile:
        """Catch at load time what ffmpeg would only refuse mid-run (and then be retried)."""
        if self.codec in ("h264", "hevc") and self.quality > 51:
            raise ValueError(f"quality {self.quality} is above 51, the {self.codec} maximum")
        numeric = self.preset is not None and self.preset.lstrip("-").isdigit()
        if self.codec == "av1" and not self.hardware and self.preset is not None and not numeric:
            raise ValueError(f"SVT-AV1 presets are numbers (0-13), not {self.preset!r}")
        return self

    def expected_bytes(self, source_bytes: int) -> int:
        """An upper bound of the output's size, for the free-space check before a rip:
        a remux is the source's size; an encode of a disc's video is rarely larger."""
        return source_bytes


BUILT_IN = ("default", "copy")


def resolve(settings: Settings, name: str | None = None) -> Profile:
    """The profile ``name`` (else the run's, ``settings.profile``): one defined in settings
    wins over a built-in of the same name."""
    name = name or settings.profile
    if name in settings.profiles:
        return settings.profiles[name]
    if name == "copy":
        return Profile(codec="copy")
    if name == "default":
        return _from_encoder_settings(settings)
    known = ", ".join(sorted({*BUILT_IN, *settings.profiles}))
    raise BadProfile(
        f"no transcode profile {name!r}: use one of {known}, or define it in BOZ_PROFILES "
        "or under [profiles] in config.toml"
    )


def _from_encoder_settings(settings: Settings) -> Profile:
    """The built-in default keeps what BOZ_VIDEO_ENCODER, BOZ_CRF and BOZ_X264_PRESET meant
    before profiles existed."""
    encoder = settings.video_encoder
    software = {name: codec for codec, name in SOFTWARE_ENCODERS.items()}
    codec = software.get(encoder) or next(
        (c for c in ("h264", "hevc", "av1") if encoder.startswith(f"{c}_")), None
    )
    if codec is None:
        raise BadProfile(
            f"BOZ_VIDEO_ENCODER {encoder!r} is not an h264, hevc or av1 encoder: set it to "
            "libx264, libx265 or libsvtav1, or define a profile"
        )
    # x264's preset names are x265's too; SVT-AV1 numbers its presets, so it keeps its own.
    preset = settings.x264_preset if codec in ("h264", "hevc") else None
    return Profile(
        codec=codec, hardware=encoder not in software, quality=settings.crf, preset=preset
    )


@dataclass(frozen=True)
class KeptStreams:
    """The source streams an output carries, in source order; ``notes`` say where the
    profile's language choice was not followed."""

    video: StreamInfo
    audio: tuple[StreamInfo, ...]
    subtitles: tuple[StreamInfo, ...]
    notes: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[StreamInfo, ...]:
        return (self.video, *self.audio, *self.subtitles)


def kept_streams(profile: Profile, source: MediaInfo) -> KeptStreams:
    """The main video stream, and the audio and subtitle streams in the profile's languages.

    A stream without a language tag is kept (nothing says it is unwanted); a title whose
    every audio stream the choice would drop keeps them all, since a silent film is worse
    than one in the wrong language.
    """
    video = next(s for s in source.streams if s.kind == "video")
    audio = tuple(s for s in source.streams if s.kind == "audio")
    subtitles = tuple(s for s in source.streams if s.kind == "subtitle")
    kept_audio = _in_languages(audio, profile.audio_languages)
    notes: list[str] = []
    if audio and not kept_audio:
        wanted = ", ".join(profile.audio_languages)
        notes.append(f"no audio stream in {wanted}: kept all {len(audio)}")
        kept_audio = audio
    return KeptStreams(
        video=video,
        audio=kept_audio,
        subtitles=_in_languages(subtitles, profile.subtitle_languages),
        notes=tuple(notes),
    )


def _in_languages(streams: tuple[StreamInfo, ...], languages: list[str]) -> tuple[StreamInfo, ...]:
    if not languages:
        return streams
    wanted = {_canonical(code) for code in languages}
    return tuple(
        s
        for s in streams
        if s.language is None or s.language.lower() == "und" or _canonical(s.language) in wanted
    )


def _canonical(code: str) -> str:
    code = code.strip().lower()
    return _TERMINOLOGIC.get(code, code)
