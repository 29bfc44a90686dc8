"""How sure a proposal is: ``strong``, ``medium`` or ``weak``, with the reasons.

An unattended drive host (``boz rip --auto strong``, ``BOZ_WATCH_AUTO_APPROVE=strong``)
rips only what it is sure of and asks about the rest, so ``strong`` must never be wrong:
every doubt the rules know of lowers it, and the reasons say which. Pure: it reads the
proposal and what the classification saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from boz.models import Confidence, DiscKind, Preview, TitleRole
from boz.pipeline.classify import ALIKE, EPISODE_TOLERANCE

SEGMENT_S = (8 * 60, 15 * 60)
"""Episodes of 8 to 15 minutes are segments of a half-hour cartoon (11-minute pairs): sets
number them by segment or by pair, and a play-all may join any two."""
RUNNER_UP = 0.7
"""A movie disc whose second-longest title reaches 70 % of the feature (an extended cut,
a documentary, a second special) may have its feature wrong."""


@dataclass(frozen=True)
class Evidence:
    """What the proposal rests on, beyond the titles themselves."""

    named_by_operator: bool = False  # --show/--movie typed, not read off the label
    typical_from: str | None = None  # "earlier discs", "TheTVDB", or None: this disc alone
    doubles: int = 0  # titles taken for two episodes
    reordered: bool = False  # TheTVDB's runtimes changed the disc's order
    order_unsure: bool = False  # the disc's structure gives no one order
    first_disc: bool | None = None  # numbers start at E01 with no earlier disc: is it disc 1?
    label_disc: int | None = None  # the disc number the label gives, if any
    known: str | None = None  # the TheDiscDB record the plan was taken from
    known_doubt: str | None = None  # why its numbers could not be used as they are
    unlike: frozenset[int] = frozenset()  # extras whose bitrate or subtitles set them apart


@dataclass
class Assessment:
    level: Confidence
    reasons: list[str] = field(default_factory=list)

    def lower(self, to: Confidence, reason: str) -> None:
        if to.rank < self.level.rank:
            self.level = to
        self.reasons.append(reason)


def assess(proposal: Preview, evidence: Evidence) -> Assessment:
    """The proposal's confidence and every reason that lowered it (or, when strong, what
    it rests on)."""
    disc = proposal.disc
    result = Assessment(Confidence.strong)
    if disc.kind is DiscKind.unknown:
        result.lower(Confidence.weak, "not known whether it is a movie or TV")
        return result
    if not proposal.selected:
        result.lower(Confidence.weak, "no title selected")
        return result
    if evidence.known is not None:
        # A record of this exact layout says what each title is: nothing left to guess,
        # unless its numbers had to give way.
        result.reasons.append(evidence.known)
        if evidence.known_doubt:
            result.lower(Confidence.medium, evidence.known_doubt)
        return result
    if disc.kind is DiscKind.tv:
        _tv(proposal, evidence, result)
    else:
        _movie(proposal, evidence, result)
    if result.level is Confidence.strong:
        result.reasons.append("no doubt found")
    return result


def _named(name: str | None, what: str, evidence: Evidence, result: Assessment) -> None:
    """A show or movie name is sure only when the operator typed it."""
    if not name:
        result.lower(Confidence.weak, f"no {what}")
    elif not evidence.named_by_operator:
        result.lower(Confidence.medium, f"{what} read off the disc label")


def _tv(proposal: Preview, evidence: Evidence, result: Assessment) -> None:
    _named(proposal.disc.show, "show name", evidence, result)
    episodes = [t for t in proposal.selected if t.role is TitleRole.episode]
    if not episodes:
        result.lower(Confidence.weak, "no title looks like an episode")
        return
    singles = sorted(t.duration_s for t in episodes if len(t.episodes) <= 1) or [
        t.duration_s / 2 for t in episodes
    ]
    middle = singles[len(singles) // 2]
    spread = max(abs(d - middle) for d in singles) / middle
    if spread > ALIKE:
        result.lower(Confidence.medium, f"episode lengths differ by up to {spread:.0%}")
    if evidence.typical_from is None and len(episodes) < 3:
        result.lower(
            Confidence.medium,
            f"only {len(episodes)} episode-length titles and no earlier disc or TheTVDB",
        )
    elif evidence.typical_from:
        result.reasons.append(f"episode length from {evidence.typical_from}")
    if evidence.first_disc and evidence.label_disc != 1:
        said = (
            f"the label says disc {evidence.label_disc}"
            if evidence.label_disc
            else ("the label gives no disc number")
        )
        result.lower(
            Confidence.medium,
            f"no earlier disc of this season known and {said}: numbers start at E01",
        )
    if evidence.doubles:
        result.lower(Confidence.medium, f"{evidence.doubles} title(s) taken for two episodes")
    if evidence.reordered:
        result.lower(Confidence.medium, "episode order from TheTVDB runtimes, not the disc")
    if evidence.order_unsure:
        result.lower(Confidence.medium, "the disc's structure leaves the episode order open")
    if SEGMENT_S[0] <= middle < SEGMENT_S[1]:
        result.lower(
            Confidence.medium,
            f"{middle / 60:.0f}-minute episodes: segments may be numbered in pairs",
        )
    others = [
        t for t in proposal.titles if t.role is TitleRole.extra and t.index not in evidence.unlike
    ]
    near = [t for t in others if abs(t.duration_s - middle) <= EPISODE_TOLERANCE * middle]
    if near:
        result.lower(Confidence.medium, f"title {near[0].index} is episode-length but not taken")
    longer = [t for t in others if middle < t.duration_s < 2 * middle and t not in near]
    if longer:
        result.lower(
            Confidence.medium,
            f"title {longer[0].index} runs {longer[0].duration_s / 60:.0f} min, between one "
            "and two episodes: a long episode or an extended cut?",
        )


def _movie(proposal: Preview, evidence: Evidence, result: Assessment) -> None:
    _named(proposal.disc.movie_title, "movie title", evidence, result)
    mains = [t for t in proposal.titles if t.role is TitleRole.main_feature]
    if not mains:
        result.lower(Confidence.weak, "no main feature")
        return
    main = mains[0]
    rivals = [
        t for t in proposal.titles
        if t.index != main.index and t.role in (TitleRole.extra, TitleRole.main_feature)
        and t.duration_s >= RUNNER_UP * main.duration_s
    ]  # fmt: skip
    if rivals:
        result.lower(
            Confidence.medium,
            f"title {rivals[0].index} runs {rivals[0].duration_s / main.duration_s:.0%} of "
            "the feature",
        )
