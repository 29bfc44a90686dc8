"""What the operator asks for, what the preview proposes and what the operator decides."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from boz.models.disc import Disc, DiscKind, DiscStatus, ExtraKind, Title, TitleRole

MAX_EPISODE = 999
"""The highest episode number a decision may give: SxxEyyy, as Plex and Jellyfin parse it.
A typo such as 99999 would otherwise move a season's counter for good."""


class Confidence(StrEnum):
    weak = "weak"
    medium = "medium"
    strong = "strong"

    @property
    def rank(self) -> int:
        return list(Confidence).index(self)


class AutoApprove(StrEnum):
    """Which proposals a run approves by itself (``--auto``, ``BOZ_WATCH_AUTO_APPROVE``)."""

    off = "off"
    strong = "strong"
    medium = "medium"
    any = "any"

    def accepts(self, level: Confidence | None) -> bool:
        if self is AutoApprove.off:
            return False
        if self is AutoApprove.any:
            return True
        return level is not None and level.rank >= Confidence(self.value).rank


class RipRequest(BaseModel):
    """Options given when a rip starts (CLI flags or deployment parameters)."""

    show: str | None = None
    season: int | None = Field(default=None, ge=0)
    first_episode: int | None = Field(default=None, ge=1)
    movie_title: str | None = None
    year: int | None = Field(default=None, ge=1870, le=2200)
    library: str | None = Field(default=None, description="library folder for this run")
    auto_approve: bool = Field(default=False, description="approve the proposal without pausing")
    auto: AutoApprove = Field(
        default=AutoApprove.off,
        description="approve the proposal only at or above this confidence, else pause",
    )
    again: bool = Field(default=False, description="rip a disc that was ripped before")
    profile: str | None = Field(
        default=None, description="transcode profile; none: each transcode host's BOZ_PROFILE"
    )


class Role(StrEnum):
    """What the operator can make of a title (the proposal's play-all and duplicate titles
    are skipped ones)."""

    episode = "episode"
    main_feature = "main_feature"
    extra = "extra"
    skip = "skip"


class TitleChoice(BaseModel):
    """One title of the operator's answer: what it is and, for an episode, its numbers.

    Numbers give the episodes' order and how many each title holds (two for a double
    episode); the run of them starts at the decision's ``first_episode``.
    """

    title: int = Field(ge=0)
    role: Role = Field(default=Role.skip, description="skip: not ripped")
    extra_kind: ExtraKind = Field(default=ExtraKind.other, description="for an extra")
    episodes: list[int] = Field(
        default_factory=list, description="for an episode: two numbers for a double"
    )

    @property
    def selected(self) -> bool:
        return self.role is not Role.skip


class Decision(BaseModel):
    """The operator's answer to a preview; every field defaults to the proposal."""

    approve: bool = Field(default=True, description="false rejects the disc: nothing is ripped")
    titles: list[TitleChoice] = Field(
        default_factory=list, description="each title's role; a title left out is skipped"
    )
    kind: DiscKind = DiscKind.unknown
    show: str | None = None
    season: int | None = Field(default=None, ge=0)
    first_episode: int | None = Field(default=None, ge=1, le=MAX_EPISODE)
    movie_title: str | None = None
    year: int | None = Field(default=None, ge=1870, le=2200)

    @property
    def selected(self) -> list[int]:
        return [c.title for c in self.titles if c.selected]


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
    confidence: Confidence | None = Field(
        default=None, description="how sure a proposal is; None: not a fresh proposal"
    )
    reasons: list[str] = Field(default_factory=list, description="what set the confidence")

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
            titles=[_choice(t) for t in self.titles],
            kind=d.kind,
            show=d.show,
            season=d.season,
            first_episode=first,
            movie_title=d.movie_title,
            year=d.year,
        )


def _choice(title: PlannedTitle) -> TitleChoice:
    """A proposed title as the operator's form shows it."""
    role = (
        {
            TitleRole.episode: Role.episode,
            TitleRole.main_feature: Role.main_feature,
            TitleRole.extra: Role.extra,
        }.get(title.role)
        if title.selected
        else None
    )  # type: ignore[arg-type]
    return TitleChoice(
        title=title.index,
        role=role or Role.skip,
        extra_kind=title.extra_kind or ExtraKind.other,
        episodes=list(title.episodes),
    )
