"""Named transcode profiles: what a title becomes, chosen per run or per deployment.

A profile says what to make (codec, quality, size, which languages to keep); how to make
it on this host (which encoder, which filters the source needs) is decided at transcode
time from the host's usable encoders and what the source analysis found.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Codec = Literal["h264", "hevc", "av1", "copy"]


class Profile(BaseModel):
    codec: Codec = Field(default="h264", description="copy: remux only, no re-encode")
    hardware: bool = Field(
        default=False, description="use a usable hardware encoder for the codec, else software"
    )
    quality: int = Field(default=20, ge=0, le=63, description="CRF (software) or CQ (hardware)")
    preset: str = Field(default="medium", description="the encoder's speed/size trade-off")
    max_height: int | None = Field(default=None, gt=0, description="scale down above this")
    audio_languages: list[str] = Field(
        default_factory=list, description="ISO 639-2 codes to keep; empty: all"
    )
    subtitle_languages: list[str] = Field(
        default_factory=list, description="ISO 639-2 codes to keep; empty: all"
    )

    def expected_bytes(self, source_bytes: int) -> int:
        """An upper bound of the output's size, for the free-space check before a rip:
        a remux is the source's size; an encode of a disc's video is rarely larger."""
        return source_bytes
