"""What the operator asks for, what the preview proposes and what the operator decides."""

from __future__ import annotations

from pydantic import BaseModel, Field

from boz.models.disc import Disc, DiscKind, DiscStatus, Title


class RipRequest(BaseModel):
    """Options given when a rip starts (CLI flags or deployment parameters)."""

    show: str | None = None
    season: int | None = Field(default=None, ge=0)
    first_episode: int | None = Field(default=None, ge=1)
    movie_title: str | None = None
    year: int | None = Field(default=None, ge=1870, le=2200)
    library: str | None = Field(default=None, description="library folder for this run")
    auto_approve: bool = Field(default=False, description="approve the proposal without pausing")
    again: bool = Field(default=False, description="rip a disc that was ripped before")
    profile: str | None = Field(
        default=None, description="transcode profile; none: each transcode host's BOZ_PROFILE"
    )


class Decision(BaseModel):
    """The operator's answer to a preview; every field defaults to the proposal."""

    approve: bool = Field(default=True, description="false rejects the disc: nothing is ripped")
    titles: list[int] = Field(default_factory=list, description="title indices to rip")
    kind: DiscKind = DiscKind.unknown
    show: str | None = None
    season: int | None = Field(default=None, ge=0)
    first_episode: int | None = Field(default=None, ge=1)
    movie_title: str | None = None
    year: int | None = Field(default=None, ge=1870, le=2200)


class StoredDecision(BaseModel):
    """A decision on a disc already in the database: ripping needs no new read of the disc."""

    disc_id: int
    decision: Decision


class PlannedTitle(Title):
    destination: str | None = Field(default=None, description="path inside the library")
    in_library: bool = False


class Preview(BaseModel):
    disc: Disc
    titles: list[PlannedTitle]
    notes: list[str] = Field(default_factory=list)

    @property
    def ripped_before(self) -> bool:
        """The disc was ripped completely in an earlier run: ripping again must be asked for."""
        return self.disc.status is DiscStatus.done

    @property
    def selected(self) -> list[PlannedTitle]:
        return [t for t in self.titles if t.selected]

    @property
    def to_rip(self) -> list[PlannedTitle]:
        return [t for t in self.titles if t.selected and not t.in_library]

    def decision(self) -> Decision:
        """The proposal as a decision, as ``--yes`` would accept it."""
        d = self.disc
        first = min((n for t in self.selected for n in t.episodes), default=None)
        return Decision(
            approve=True,
            titles=[t.index for t in self.selected],
            kind=d.kind,
            show=d.show,
            season=d.season,
            first_episode=first,
            movie_title=d.movie_title,
            year=d.year,
        )
