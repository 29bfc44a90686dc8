"""A disc and its titles as the pipeline sees them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class DiscKind(StrEnum):
    movie = "movie"
    tv = "tv"
    unknown = "unknown"


class DiscStatus(StrEnum):
    detected = "detected"
    awaiting_approval = "awaiting_approval"
    approved = "approved"
    ripping = "ripping"
    transcoding = "transcoding"
    done = "done"
    rejected = "rejected"
    failed = "failed"


class PreviewStatus(StrEnum):
    none = "none"
    proposed = "proposed"
    approved = "approved"
    rejected = "rejected"


class TitleRole(StrEnum):
    episode = "episode"
    main_feature = "main_feature"
    extra = "extra"
    play_all = "play_all"
    duplicate = "duplicate"
    skipped = "skipped"


class ExtraKind(StrEnum):
    """The kinds of extra that Plex and Jellyfin both read, each from its own subfolder."""

    featurette = "featurette"
    deleted_scene = "deleted_scene"
    behind_the_scenes = "behind_the_scenes"
    interview = "interview"
    trailer = "trailer"
    other = "other"


class Stream(BaseModel):
    """One track of a title as MakeMKV reports it (SINFO)."""

    index: int
    kind: str = Field(description="video, audio, subtitles (MakeMKV's type, lower case)")
    codec: str | None = None
    language: str | None = Field(default=None, description="ISO 639-2 code, e.g. eng")
    flags: int = Field(default=0, description="MakeMKV AP_AVStreamFlag bits")

    @property
    def forced(self) -> bool:
        return bool(self.flags & 4096)

    @property
    def commentary(self) -> bool:
        return bool(self.flags & 3)


class Title(BaseModel):
    id: int | None = None
    index: int
    name: str = Field(description="file name of the title in its source")
    duration_s: float
    size_bytes: int
    chapters: int = 0
    segment_count: int = 0
    segment_map: str | None = Field(default=None, description="MakeMKV segments, e.g. 1-11,12")
    source_file: str | None = Field(default=None, description="playlist or title id, 00800.mpls")
    output_file: str | None = Field(default=None, description="MakeMKV's file name, B1_t00.mkv")
    angle: int | None = None
    streams: list[Stream] = Field(default_factory=list)
    video_streams: int = 0
    audio_streams: int = 0
    subtitle_streams: int = 0
    role: TitleRole | None = None
    selected: bool = False
    episodes: list[int] = Field(default_factory=list)
    episode_names: list[str] = Field(default_factory=list, description="from TheTVDB, if known")
    extra_kind: ExtraKind | None = Field(default=None, description="for extras; None: other")
    known_name: str | None = Field(default=None, description="TheDiscDB's name for the title")


class Disc(BaseModel):
    id: int | None = None
    label: str
    fingerprint: str
    source: str
    kind: DiscKind = DiscKind.unknown
    status: DiscStatus = DiscStatus.detected
    preview_status: PreviewStatus = PreviewStatus.none
    error: str | None = None
    show: str | None = None
    season: int | None = None
    movie_title: str | None = None
    year: int | None = None
    tvdb_id: int | None = Field(default=None, description="TheTVDB's series or movie id")
    approval_flow_run_id: str | None = None
    scan_minlength: int | None = None
    drive_id: int | None = None
    first_seen: datetime | None = None
    updated: datetime | None = None
    titles: list[Title] = Field(default_factory=list)
