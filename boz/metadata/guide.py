"""A season's episode guide for the preview: names, runtimes, the series year; a movie's year.

The preview takes any ``Guide`` so it stays free of HTTP; ``tvdb_guide`` builds one over
TheTVDB (cached in the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from boz.db.engine import Database
from boz.db.metadata_cache import MetadataCache
from boz.metadata.tvdb import EpisodeInfo, Metadata
from boz.settings import Settings


@dataclass
class SeasonGuide:
    series: str
    year: int | None
    episodes: dict[int, EpisodeInfo] = field(default_factory=dict)
    series_id: int | None = None  # TheTVDB's, for a [tvdbid-N] folder

    def runtime_s(self, number: int) -> float | None:
        info = self.episodes.get(number)
        return info.runtime_min * 60.0 if info and info.runtime_min else None

    def name(self, number: int) -> str | None:
        info = self.episodes.get(number)
        return info.name if info else None

    def typical_s(self) -> float | None:
        runtimes = sorted(r for n in self.episodes if (r := self.runtime_s(n)))
        return runtimes[len(runtimes) // 2] if runtimes else None


class Guide(Protocol):
    problems: list[str]

    def __call__(self, show: str, season: int) -> SeasonGuide | None: ...

    def movie_year(self, title: str, year: int | None) -> int | None: ...


@dataclass
class TVDBGuide:
    """``(show, season) -> SeasonGuide`` over TheTVDB; its ``problems`` say what failed."""

    metadata: Metadata
    dvd_order: frozenset[str]

    @property
    def problems(self) -> list[str]:
        return self.metadata.problems

    def __call__(self, show: str, season: int) -> SeasonGuide | None:
        series = self.metadata.find_series(show)
        if series is None:
            return None
        order = "dvd" if f"{show.lower()}/{season}" in self.dvd_order else "default"
        episodes = self.metadata.season_episodes(series.id, season, order=order)
        return SeasonGuide(series.name, series.year, {e.number: e for e in episodes}, series.id)

    def movie_year(self, title: str, year: int | None) -> int | None:
        found = self.metadata.find_movie(title, year)
        return found[1] if found else None


def tvdb_guide(settings: Settings, db: Database) -> TVDBGuide:
    return TVDBGuide(
        Metadata(settings, MetadataCache(db)),
        frozenset(entry.lower() for entry in settings.tvdb_dvd_order),
    )
