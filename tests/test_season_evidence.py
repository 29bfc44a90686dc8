"""What a season's earlier discs and TheTVDB tell the preview of the next disc, and where
one odd disc must not spoil the rest: constructed box sets through the real preview and
a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from boz.db import store
from boz.db.engine import Database
from boz.metadata.guide import SeasonGuide
from boz.metadata.tvdb import EpisodeInfo
from boz.models import RipRequest, Stream, Title, TitleRole
from boz.pipeline import preview
from boz.pipeline.classify import classify_tv

E, X = TitleRole.episode, TitleRole.extra
SHOW = RipRequest(show="Drama", season=1)


def _streams(subtitles: tuple[str, ...]) -> list[Stream]:
    return [Stream(index=0, kind="video"), Stream(index=1, kind="audio", language="eng")] + [
        Stream(index=i, kind="subtitles", language=lang) for i, lang in enumerate(subtitles, 2)
    ]


def _disc(db: Database, label: str, minutes: list[float], subtitles=("eng",)) -> int:  # type: ignore[no-untyped-def]
    titles = [
        Title(index=i, name=f"t{i:02d}.mkv", duration_s=m * 60, size_bytes=int(m * 60e6) + i,
              streams=_streams(subtitles))
        for i, m in enumerate(minutes)
    ]  # fmt: skip
    with db.session() as s:
        disc_id = store.find_or_create_disc(s, label=label, fingerprint=label, source=label)
        store.save_titles(s, disc_id, titles)
    return disc_id


@dataclass
class Guide:
    """TheTVDB's answer for one season, as the preview's Guide sees it."""

    runtimes_min: list[int]
    problems: list[str] = field(default_factory=list)

    def __call__(self, show: str, season: int) -> SeasonGuide:
        episodes = {
            n: EpisodeInfo(season=season, number=n, name=None, runtime_min=r, aired=None)
            for n, r in enumerate(self.runtimes_min, 1)
        }
        return SeasonGuide(show, 2004, episodes)

    def movie_year(self, title: str, year: int | None) -> int | None:
        return None


def _propose(db: Database, disc_id: int, guide: Guide | None = None):  # type: ignore[no-untyped-def]
    return preview.propose(db, disc_id, SHOW, min_seconds=600, library=Path("/library"),
                           guide=guide)  # type: ignore[arg-type]  # fmt: skip


def _episodes(shown) -> list[list[int]]:  # type: ignore[no-untyped-def]
    return [t.episodes for t in shown.titles if t.role is E]


def test_an_odd_first_disc_does_not_spoil_the_season(db: Database) -> None:
    """Disc 1 of a drama: two 45-minute episodes, an hour-long special and a 56-minute
    documentary. The episodes are the alike pair; and had disc 1 gone wrong, disc 2's six
    alike episodes outweigh two from one earlier disc."""
    one = _propose(db, _disc(db, "D1", [45.0, 45.5, 60.0, 56.0]))
    assert [t.role for t in one.titles] == [E, E, X, X]
    six = [
        Title(index=i, name="t", duration_s=2700 + i, size_bytes=2 * 10**9 + i) for i in range(6)
    ]
    found = classify_tv(six, min_seconds=600, typical_s=58 * 60, typical_weight=2)
    assert found.episode_order == list(range(6))
    assert "6 alike titles of 45 min here outweigh the 2 episode(s) of 58 min" in found.notes[0]
    heavier = classify_tv(six, min_seconds=600, typical_s=58 * 60, typical_weight=20)
    assert heavier.episode_order == []  # twenty episodes seen say otherwise


def test_thetvdb_wins_over_one_earlier_disc(db: Database) -> None:
    """Disc 1 held three hour-long specials, taken as episodes; disc 2's three 45-minute
    episodes do not outweigh them (three against three), but TheTVDB's runtimes do."""
    _propose(db, _disc(db, "D1", [58.0, 57.5, 56.8, 20.0]))
    alone = _propose(db, _disc(db, "D2a", [45.0, 44.5, 45.2, 12.0]))
    assert _episodes(alone) == []  # one disc's history, nothing to overrule it
    two = _propose(db, _disc(db, "D2", [45.0, 44.5, 45.2, 12.0]), Guide([45] * 12))
    assert _episodes(two) == [[4], [5], [6]]
    assert "episode length from TheTVDB" in two.reasons


def test_a_last_disc_of_extras_is_known_by_its_subtitles_or_by_a_complete_season(
    db: Database,
) -> None:
    """A sitcom's last disc: 25-minute featurettes after the finale, as long as episodes."""
    _propose(db, _disc(db, "D1", [22.0, 22.4, 21.8, 22.1]))
    _propose(db, _disc(db, "D2", [22.2, 21.9, 22.0, 22.3]))
    bare = _propose(db, _disc(db, "D3", [25.0, 24.1, 26.0], subtitles=()))
    assert _episodes(bare) == [] and [t.role for t in bare.titles] == [X, X, X]
    assert "none of the subtitles the episodes have" in " ".join(bare.notes)
    guide = Guide([22] * 12)
    _propose(db, _disc(db, "D4", [22.0, 22.4, 21.8, 22.1]), guide)  # E09-E12: the season is full
    last = _propose(db, _disc(db, "D5", [25.0, 24.1, 26.0]), guide)
    assert _episodes(last) == []
    assert any("earlier discs hold all 12 episodes TheTVDB lists" in n for n in last.notes)


@pytest.mark.parametrize(
    ("minutes", "extras_only"),
    [
        ([10.5, 12.8, 14.9], True),  # documentaries of a bonus disc
        ([10.2, 12.0, 12.3, 14.5], True),  # one pair alike by chance
        ([11.1, 11.0, 11.2, 11.1, 11.3, 11.1], False),  # cartoon segments run alike
        ([10.5, 14.9], False),  # two titles say too little
        ([22.0, 12.8, 14.9], False),  # an episode-length title among them
    ],
)
def test_a_disc_of_short_uneven_titles_is_a_disc_of_extras(
    minutes: list[float], extras_only: bool
) -> None:
    titles = [
        Title(index=i, name="t", duration_s=m * 60, size_bytes=10**9 + i)
        for i, m in enumerate(minutes)
    ]
    found = classify_tv(titles, min_seconds=600)
    assert (found.episode_order == []) is extras_only
    assert any("a disc of extras" in n for n in found.notes) is extras_only
