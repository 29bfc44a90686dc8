"""A proposal's confidence, on constructed layouts of each kind of doubt (pure), and the
``--auto`` levels that act on it."""

from __future__ import annotations

import pytest

from boz.models import AutoApprove, Confidence, Disc, DiscKind, PlannedTitle, Preview, TitleRole
from boz.pipeline.confidence import Evidence, assess
from boz.settings import Settings

EP, EXTRA, MAIN = TitleRole.episode, TitleRole.extra, TitleRole.main_feature


def _tv(
    lengths_min: list[tuple[float, TitleRole, list[int]]], show: str | None = "Show"
) -> Preview:
    titles = [
        PlannedTitle(index=i, name=f"t{i}", duration_s=m * 60, size_bytes=1, role=role,
                     selected=role in (EP, MAIN), episodes=eps)
        for i, (m, role, eps) in enumerate(lengths_min)
    ]  # fmt: skip
    disc = Disc(id=1, label="L", fingerprint="f", source="s", kind=DiscKind.tv, show=show,
                season=1, titles=titles)  # fmt: skip
    return Preview(disc=disc, titles=titles)


def _movie(lengths_min: list[tuple[float, TitleRole]], title: str | None = "Film") -> Preview:
    titles = [
        PlannedTitle(index=i, name=f"t{i}", duration_s=m * 60, size_bytes=1, role=role,
                     selected=role is MAIN)
        for i, (m, role) in enumerate(lengths_min)
    ]  # fmt: skip
    disc = Disc(id=1, label="L", fingerprint="f", source="s", kind=DiscKind.movie,
                movie_title=title, titles=titles)  # fmt: skip
    return Preview(disc=disc, titles=titles)


FOUR_ALIKE = [(44, EP, [1]), (45, EP, [2]), (44.5, EP, [3]), (43.8, EP, [4]), (5, EXTRA, [])]
TYPED = Evidence(named_by_operator=True)


@pytest.mark.parametrize(
    ("proposal", "evidence", "level", "reason"),
    [
        (_tv(FOUR_ALIKE), TYPED, Confidence.strong, "no doubt found"),
        (_tv(FOUR_ALIKE), Evidence(), Confidence.medium, "show name read off the disc label"),
        (_tv(FOUR_ALIKE, show=None), TYPED, Confidence.weak, "no show name"),
        (_tv([(44, EP, [1]), (52, EP, [2]), (44, EP, [3])]), TYPED, Confidence.medium,
         "episode lengths differ by up to 18%"),
        (_tv([(44, EP, [1]), (44, EP, [2])]), TYPED, Confidence.medium,
         "only 2 episode-length titles and no earlier disc or TheTVDB"),
        (_tv([(44, EP, [1]), (44, EP, [2])]), Evidence(True, typical_from="earlier discs"),
         Confidence.strong, "episode length from earlier discs"),
        (_tv(FOUR_ALIKE), Evidence(True, doubles=1), Confidence.medium,
         "1 title(s) taken for two episodes"),
        (_tv(FOUR_ALIKE), Evidence(True, reordered=True), Confidence.medium,
         "episode order from TheTVDB runtimes, not the disc"),
        (_tv([*FOUR_ALIKE[:3], (44, EXTRA, [])]), TYPED, Confidence.medium,
         "title 3 is episode-length but not taken"),
        (_tv([*FOUR_ALIKE[:3], (44, EXTRA, [])]), Evidence(True, unlike=frozenset({3})),
         Confidence.strong, "no doubt found"),  # its subtitles or bitrate set it apart
        (_tv([*FOUR_ALIKE, (58, EXTRA, [])]), TYPED, Confidence.medium,
         "title 5 runs 58 min, between one and two episodes: a long episode or an extended "
         "cut?"),
        (_tv([*FOUR_ALIKE, (58, EXTRA, [])]), Evidence(True, unlike=frozenset({5})),
         Confidence.strong, "no doubt found"),
        (_tv(FOUR_ALIKE), Evidence(known="from TheDiscDB: Show (2001), r/disc01"),
         Confidence.strong, "from TheDiscDB: Show (2001), r/disc01"),
        (_tv(FOUR_ALIKE), Evidence(known="from TheDiscDB: x", known_doubt="numbers taken"),
         Confidence.medium, "numbers taken"),
        (_tv([(5, EXTRA, [])]), TYPED, Confidence.weak, "no title selected"),
        (_tv(FOUR_ALIKE), Evidence(True, first_disc=True, label_disc=1), Confidence.strong,
         "no doubt found"),
        (_tv(FOUR_ALIKE), Evidence(True, first_disc=True, label_disc=2), Confidence.medium,
         "no earlier disc of this season known and the label says disc 2: numbers start at E01"),
        (_tv(FOUR_ALIKE), Evidence(True, first_disc=True), Confidence.medium,
         "no earlier disc of this season known and the label gives no disc number: numbers "
         "start at E01"),
        (_movie([(121, MAIN), (12, EXTRA)]), TYPED, Confidence.strong, "no doubt found"),
        (_movie([(121, MAIN), (12, EXTRA)]), Evidence(), Confidence.medium,
         "movie title read off the disc label"),
        (_movie([(121, MAIN), (96, EXTRA)]), TYPED, Confidence.medium,
         "title 1 runs 79% of the feature"),
        (_movie([(121, MAIN)], title=None), TYPED, Confidence.weak, "no movie title"),
    ],
)  # fmt: skip
def test_every_doubt_lowers_the_confidence_and_says_why(
    proposal: Preview, evidence: Evidence, level: Confidence, reason: str
) -> None:
    sure = assess(proposal, evidence)
    assert sure.level is level
    assert reason in sure.reasons


def test_an_unknown_disc_is_weak() -> None:
    unknown = _tv(FOUR_ALIKE)
    unknown.disc.kind = DiscKind.unknown
    assert assess(unknown, TYPED).level is Confidence.weak


@pytest.mark.parametrize(
    ("auto", "accepted"),
    [
        (AutoApprove.off, []),
        (AutoApprove.strong, [Confidence.strong]),
        (AutoApprove.medium, [Confidence.medium, Confidence.strong]),
        (AutoApprove.any, [None, Confidence.weak, Confidence.medium, Confidence.strong]),
    ],
)
def test_auto_levels_approve_at_or_above_their_level(
    auto: AutoApprove, accepted: list[Confidence | None]
) -> None:
    levels: list[Confidence | None] = [None, *Confidence]
    assert [level for level in levels if auto.accepts(level)] == accepted


@pytest.mark.parametrize(
    ("value", "level"),
    [("strong", AutoApprove.strong), ("true", AutoApprove.any), ("false", AutoApprove.off),
     ("MEDIUM", AutoApprove.medium)],
)  # fmt: skip
def test_watch_auto_approve_takes_levels_and_the_old_true_false(
    value: str, level: AutoApprove, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOZ_WATCH_AUTO_APPROVE", value)
    assert Settings().watch_auto_approve is level
