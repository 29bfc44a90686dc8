"""The preview with TheTVDB (a local fake speaking its v4 shapes): names, runtimes, orders,
double episodes, and the offline fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_tvdb import DEFAULT_KEY, FakeEpisode, FakeSeries, FakeTVDB

from boz.db.engine import open_database
from boz.metadata.guide import tvdb_guide
from boz.models import RipRequest
from boz.pipeline import detect, preview
from boz.settings import Settings

TESTS = Path(__file__).resolve().parent
FRASIER = TESTS / "fixtures" / "thediscdb" / "series" / "Frasier (1993)" / "2005-season6dvd"
NAMES = {19: "IQ", 20: "Dr. Nora", 21: "When a Man Loves Two Women", 22: "Visions of Daphne",
         23: "Shutout in Seattle (1)", 24: "Shutout in Seattle (2)"}  # fmt: skip


@pytest.fixture
def tvdb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeTVDB]:
    monkeypatch.setenv("BOZ_MAKEMKVCON", str(TESTS / "fakes" / "makemkvcon"))
    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(tmp_path / "fake"))
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(FRASIER / "disc04.txt"))
    aired = [FakeEpisode(6, n, NAMES.get(n, f"Episode {n}"), runtime=22) for n in range(1, 25)]
    with FakeTVDB() as server:
        server.add_series(FakeSeries(77811, "Frasier", 1993, [], aired))
        yield server


def _preview(settings: Settings, **request: object) -> preview.Preview:  # type: ignore[name-defined]
    db = open_database(settings.db_url)
    disc = detect.detect(db, settings, "disc:0")
    assert disc.id is not None
    return preview.propose(db, disc.id, RipRequest(show="Frasier", season=6, **request),
                           min_seconds=600, library=settings.library_dir,
                           guide=tvdb_guide(settings, db))  # fmt: skip


def test_names_year_and_a_double_episode_from_runtimes(tvdb: FakeTVDB) -> None:
    settings = Settings(tvdb_api_key=DEFAULT_KEY, tvdb_base_url=tvdb.url)
    shown = _preview(settings, first_episode=19)
    assert [t.episodes for t in shown.titles] == [[19], [20], [21], [22], [23, 24], []]
    assert shown.titles[4].destination == (
        "TV/Frasier (1993)/Season 06/Frasier (1993) - S06E23-E24 - "
        "Shutout in Seattle (1) & Shutout in Seattle (2).mkv"
    )
    assert (
        shown.titles[0].destination
        == "TV/Frasier (1993)/Season 06/Frasier (1993) - S06E19 - IQ.mkv"
    )
    calls = tvdb.count()
    _preview(settings, first_episode=19)  # the season is cached in the database
    assert tvdb.count() == calls


def test_library_ids_put_thetvdbs_series_id_in_the_show_folder(tvdb: FakeTVDB) -> None:
    settings = Settings(tvdb_api_key=DEFAULT_KEY, tvdb_base_url=tvdb.url, library_ids=True)
    db = open_database(settings.db_url)
    shown = preview.Planner.for_settings(settings, db).propose(
        detect.detect(db, settings, "disc:0").id or 0,
        RipRequest(show="Frasier", season=6, first_episode=19),
    )
    assert shown.disc.tvdb_id == 77811
    assert shown.titles[0].destination == (
        "TV/Frasier (1993) [tvdbid-77811]/Season 06/Frasier (1993) - S06E19 - IQ.mkv"
    )


def test_dvd_order_is_a_setting_per_season(tvdb: FakeTVDB) -> None:
    aired = [FakeEpisode(6, n, f"Aired {n}", runtime=22) for n in range(1, 25)]
    dvd = [FakeEpisode(6, n, f"DVD {n}", runtime=22) for n in range(1, 25)]
    tvdb.add_series(FakeSeries(77811, "Frasier", 1993, [], aired, dvd))
    settings = Settings(tvdb_api_key=DEFAULT_KEY, tvdb_base_url=tvdb.url,
                        tvdb_dvd_order=["Frasier/6"])  # fmt: skip
    shown = _preview(settings, first_episode=19)
    assert shown.titles[0].episode_names == ["DVD 19"]


def test_without_a_key_or_with_thetvdb_down_the_preview_still_completes(tvdb: FakeTVDB) -> None:
    offline = _preview(Settings(), first_episode=19)
    # TheTVDB cannot say: the double-length finale is two episodes
    assert [t.episodes for t in offline.titles] == [[19], [20], [21], [22], [23, 24], []]
    assert offline.titles[0].destination == "TV/Frasier/Season 06/Frasier - S06E19.mkv"
    assert any("TheTVDB" in n and "generic" in n for n in offline.notes)
    tvdb.stop()
    down = Settings(tvdb_api_key=DEFAULT_KEY, tvdb_base_url=tvdb.url, tvdb_timeout_seconds=1)
    shown = _preview(down)
    assert [t.episodes for t in shown.titles][:5] == [[19], [20], [21], [22], [23, 24]]
    notes = " ".join(shown.notes)
    assert "TheTVDB" in notes and DEFAULT_KEY not in notes


def test_a_movies_year_comes_from_thetvdb(tvdb: FakeTVDB, monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_tvdb import FakeMovie

    tvdb.add_movie(FakeMovie(1234, "27 Dresses", 2008, 111))
    movie = TESTS / "fixtures" / "thediscdb" / "movie" / "27 Dresses (2008)" / "2008-widescreen-dvd"
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(movie / "disc01.txt"))
    settings = Settings(tvdb_api_key=DEFAULT_KEY, tvdb_base_url=tvdb.url)
    db = open_database(settings.db_url)
    disc = detect.detect(db, settings, "disc:0")
    assert disc.id is not None
    guide = tvdb_guide(settings, db)
    shown = preview.propose(db, disc.id, RipRequest(movie_title="27 Dresses"), min_seconds=600,
                            library=settings.library_dir, guide=guide)  # fmt: skip
    assert shown.disc.year == 2008
    assert shown.titles[0].destination == "Movies/27 Dresses (2008)/27 Dresses (2008).mkv"
