"""TheTVDB metadata against the local fake server: names, orders, paging, cache, failures."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fake_tvdb import DEFAULT_KEY, FakeEpisode, FakeMovie, FakeSeries, FakeTVDB

from boz.db.engine import Database, make_engine, open_database
from boz.db.metadata_cache import MetadataCache
from boz.metadata import EpisodeInfo, Metadata, SeriesInfo
from boz.settings import Settings

TIMEOUT = 1.0
SECRET_KEY = "k3y-Zebra-9f1c-DO-NOT-LEAK"
SECRET_PIN = "pin-Quokka-7731"

# Firefly: FOX aired the episodes out of production order; the DVD set restores it.
FIREFLY_AIRED = ["The Train Job", "Bushwhacked", "Our Mrs. Reynolds", "Jaynestown", "Out of Gas"]
FIREFLY_DVD = ["Serenity", "The Train Job", "Bushwhacked", "Shindig", "Safe"]
FIREFLY_RUNTIME = {"Serenity": 86}


def firefly() -> FakeSeries:
    def episodes(names: list[str]) -> list[FakeEpisode]:
        return [
            FakeEpisode(1, n, name, FIREFLY_RUNTIME.get(name, 44), f"2002-09-{19 + n:02d}")
            for n, name in enumerate(names, start=1)
        ]

    return FakeSeries(78874, "Firefly", 2002, [], episodes(FIREFLY_AIRED), episodes(FIREFLY_DVD))


@pytest.fixture
def fake() -> Iterator[FakeTVDB]:
    with FakeTVDB() as server:
        yield server


@pytest.fixture
def db() -> Database:
    return open_database(Settings().db_url)


def settings_for(fake: FakeTVDB, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "tvdb_api_key": DEFAULT_KEY,
        "tvdb_base_url": fake.url,
        "tvdb_timeout_seconds": TIMEOUT,
    }
    values.update(overrides)
    return Settings(**values)


def metadata(fake: FakeTVDB, db: Database | None = None, **overrides: Any) -> Metadata:
    return Metadata(settings_for(fake, **overrides), MetadataCache(db) if db else None)


# -- what the preview asks ------------------------------------------------------------


def test_season_names_and_runtimes_in_aired_order(fake: FakeTVDB, db: Database) -> None:
    meta = metadata(fake, db)
    assert fake.log == []  # building it logs in nowhere

    show = meta.find_series("24")
    assert show == SeriesInfo(id=76290, name="24", year=2001)
    episodes = meta.season_episodes(show.id, 1)

    assert [(e.number, e.name) for e in episodes] == [
        (1, "12:00 A.M.-1:00 A.M."),
        (2, "1:00 A.M.-2:00 A.M."),
        (3, "2:00 A.M.-3:00 A.M."),
        (4, "3:00 A.M.-4:00 A.M."),
        (24, "11:00 P.M.-12:00 A.M."),
    ]
    assert [e.runtime_min for e in episodes] == [43, 43, 43, 43, None]  # null runtime kept
    assert episodes[0] == EpisodeInfo(
        season=1, number=1, name="12:00 A.M.-1:00 A.M.", runtime_min=43, aired="2001-11-06"
    )
    assert [e.name for e in meta.season_episodes(76290, 0)] == ["Placeholder special (season 0)"]
    assert meta.problems == []
    assert fake.requests["/login"] == 1


def test_dvd_order_differs_from_aired_order(fake: FakeTVDB, db: Database) -> None:
    fake.add_series(firefly())
    meta = metadata(fake, db)

    aired = meta.season_episodes(78874, 1)
    dvd = meta.season_episodes(78874, 1, order="dvd")

    assert [e.name for e in aired] == FIREFLY_AIRED
    assert [e.name for e in dvd] == FIREFLY_DVD
    assert [e.runtime_min for e in dvd][:2] == [86, 44]
    assert fake.requests["/series/78874/episodes/default"] == 1
    assert fake.requests["/series/78874/episodes/dvd"] == 1
    assert meta.problems == []


def test_dvd_order_that_the_series_lacks_is_a_problem_not_a_guess(
    fake: FakeTVDB, db: Database
) -> None:
    meta = metadata(fake, db)
    assert meta.season_episodes(76290, 1, order="dvd") == []
    assert meta.problems == ["TheTVDB: series 76290 has no dvd order (it has: official)"]
    assert fake.count("/series/76290/episodes") == 0

    assert meta.season_episodes(76290, 1, order="chronological") == []
    assert "unknown episode order 'chronological'" in meta.problems[-1]


def test_paging_follows_links_next(fake: FakeTVDB, db: Database) -> None:
    fake.page_size = 2
    fake.add_series(
        FakeSeries(
            500,
            "Paged Show",
            2020,
            aired=[FakeEpisode(s, n, f"S{s}E{n}", 30) for s in (1, 2) for n in range(1, 4)],
        )
    )
    meta = metadata(fake, db)

    assert [e.name for e in meta.season_episodes(500, 2)] == ["S2E1", "S2E2", "S2E3"]
    assert [line for line in fake.log if "/episodes/" in line] == [
        "GET /series/500/episodes/default?page=0",
        "GET /series/500/episodes/default?page=1",
        "GET /series/500/episodes/default?page=2",
    ]
    # Season 1 came with the same pages: no new request.
    assert [e.name for e in meta.season_episodes(500, 1)] == ["S1E1", "S1E2", "S1E3"]
    assert fake.count("/series/500/") == 3


def test_missing_season_is_reported(fake: FakeTVDB, db: Database) -> None:
    meta = metadata(fake, db)
    assert meta.season_episodes(76290, 9) == []
    assert meta.problems == ["TheTVDB: series 76290 has no season 9 episodes in default order"]


def test_search_prefers_an_exact_title_over_the_ranking(fake: FakeTVDB, db: Database) -> None:
    fake.add_series(FakeSeries(900, "Firefly Lane", 2021))
    fake.add_series(firefly())
    meta = metadata(fake, db)

    assert meta.find_series("FIREFLY") == SeriesInfo(id=78874, name="Firefly", year=2002)
    assert meta.find_series("Twenty Four") == SeriesInfo(id=76290, name="24", year=2001)
    assert "GET /search?query=FIREFLY&type=series" in fake.log
    assert meta.find_series("No Such Show") is None
    assert meta.problems == ["TheTVDB: no series called 'No Such Show'"]


def test_movie_name_and_year(fake: FakeTVDB, db: Database) -> None:
    fake.add_movie(FakeMovie(901, "Dune", 1984, 137))
    fake.add_movie(FakeMovie(902, "Dune", 2021, 155))
    meta = metadata(fake, db)

    assert meta.find_movie("howl's moving castle", None) == ("Howl's Moving Castle", 2004)
    assert meta.find_movie("Dune", 2021) == ("Dune", 2021)
    assert meta.find_movie("Dune", 1984) == ("Dune", 1984)
    assert "GET /search?query=Dune&type=movie&year=2021" in fake.log
    assert meta.find_movie("Dune", 1999) is None
    assert meta.problems == ["TheTVDB: no movie called 'Dune' from 1999"]


# -- cache ------------------------------------------------------------------------------


def test_second_instance_on_the_same_database_makes_no_request(
    fake: FakeTVDB, database_url: str
) -> None:
    fake.add_series(firefly())
    first = metadata(fake, open_database(database_url))
    expected = first.season_episodes(78874, 1, order="dvd")
    show = first.find_series("Firefly")
    before = sum(fake.requests.values())

    other_host = Database(make_engine(database_url))  # the next disc, maybe elsewhere
    try:
        second = metadata(fake, other_host)
        assert second.season_episodes(78874, 1, order="dvd") == expected
        assert second.find_series("Firefly") == show
        assert sum(fake.requests.values()) == before  # not even a login
        assert second.problems == []
    finally:
        other_host.engine.dispose()


def test_cache_answers_while_tvdb_is_down_and_without_a_key(fake: FakeTVDB, db: Database) -> None:
    expected = metadata(fake, db).season_episodes(76290, 1)
    fake.stop()

    offline = metadata(fake, db, tvdb_api_key=None)
    assert offline.season_episodes(76290, 1) == expected
    assert offline.problems == []


def test_stale_cache_entries_are_fetched_again(fake: FakeTVDB, database_url: str) -> None:
    db = open_database(database_url)
    metadata(fake, db).season_episodes(76290, 1)
    metadata(fake, db, tvdb_cache_days=0).season_episodes(76290, 1)  # refreshes the entry
    assert metadata(fake, db).season_episodes(76290, 1)
    assert fake.requests["/series/76290/episodes/default"] == 2


# -- offline fallback -------------------------------------------------------------------


def test_no_key_makes_no_request(fake: FakeTVDB, db: Database) -> None:
    meta = metadata(fake, db, tvdb_api_key=None)

    assert meta.find_series("24") is None
    assert meta.season_episodes(76290, 1) == []
    assert meta.find_movie("Dune", None) is None
    assert fake.log == []
    assert meta.problems == [
        "TheTVDB: no API key (set BOZ_TVDB_API_KEY or BOZ_TVDB_SECRET_BLOCK); "
        "continuing without TheTVDB for this run"
    ]


def test_bad_key_is_one_problem_and_one_login(fake: FakeTVDB, db: Database) -> None:
    meta = metadata(fake, db, tvdb_api_key="wrong-key")

    assert meta.find_series("24") is None
    assert meta.season_episodes(76290, 1) == []
    assert fake.requests == {"/login": 1}
    assert meta.problems == [
        f"TheTVDB: cannot log in at {fake.url}: refused (HTTP 401: InvalidAPIKey: apikey "
        "invalid); check the API key; continuing without TheTVDB for this run"
    ]


def test_pin_is_sent_when_set(db: Database) -> None:
    with FakeTVDB(pin="1234") as fake:
        without = metadata(fake, db)
        assert without.find_series("24") is None
        assert "HTTP 400: InvalidValueType: pin required" in without.problems[0]
        assert "BOZ_TVDB_PIN" in without.problems[0]

        with_pin = metadata(fake, db, tvdb_pin="1234")
        assert with_pin.find_series("24") == SeriesInfo(id=76290, name="24", year=2001)
        assert fake.logins == [
            {"apikey": DEFAULT_KEY},
            {"apikey": DEFAULT_KEY, "pin": "1234"},
        ]


def test_server_down(fake: FakeTVDB, db: Database) -> None:
    fake.stop()
    meta = metadata(fake, db)

    started = time.monotonic()
    assert meta.season_episodes(76290, 1) == []
    assert meta.find_series("24") is None
    assert time.monotonic() - started < TIMEOUT
    assert len(meta.problems) == 1
    assert meta.problems[0].startswith(f"TheTVDB: cannot log in at {fake.url}: unreachable (")
    assert "refused" in meta.problems[0].lower()


@pytest.mark.parametrize("slow_paths", ["", "/series/"])
def test_slow_server_is_given_up_after_the_timeout(
    fake: FakeTVDB, db: Database, slow_paths: str
) -> None:
    fake.mode, fake.mode_paths, fake.slow_seconds = "slow", slow_paths, 10 * TIMEOUT
    meta = metadata(fake, db)

    started = time.monotonic()
    assert meta.season_episodes(76290, 1) == []
    assert time.monotonic() - started < TIMEOUT + 1
    assert f"no answer within {TIMEOUT:g} s" in meta.problems[0]
    # Given up for the run: the next lookup does not wait again.
    started = time.monotonic()
    assert meta.find_series("24") is None
    assert time.monotonic() - started < 0.5
    assert len(meta.problems) == 1


def test_server_errors(fake: FakeTVDB, db: Database) -> None:
    fake.mode = "error"
    meta = metadata(fake, db)
    assert meta.find_series("24") is None
    assert meta.problems == [
        f"TheTVDB: cannot log in at {fake.url}: refused (HTTP 500: fake TheTVDB: internal "
        "error (mode error)); continuing without TheTVDB for this run"
    ]

    fake.mode_paths = "/series/"  # login and search work, episodes fail
    meta = metadata(fake, db)
    assert meta.find_series("24") == SeriesInfo(id=76290, name="24", year=2001)
    assert meta.season_episodes(76290, 1) == []
    assert meta.problems == [
        "TheTVDB: episodes of series 76290 (default order) failed: HTTP 500: "
        "fake TheTVDB: internal error (mode error)"
    ]
    fake.mode = "ok"  # a per-request failure is not cached and not fatal for the run
    assert len(meta.season_episodes(76290, 1)) == 5


def test_invalid_json(fake: FakeTVDB, db: Database) -> None:
    fake.mode, fake.mode_paths = "bad_json", "/series/"
    meta = metadata(fake, db)
    assert meta.season_episodes(76290, 1) == []
    assert meta.problems == [
        "TheTVDB: episodes of series 76290 (default order) failed: "
        "HTTP 200 with a body that is not JSON"
    ]

    fake.mode_paths = ""
    meta = metadata(fake, db)
    assert meta.find_series("24") is None
    assert "HTTP 200 with a body that is not JSON" in meta.problems[0]


def test_expired_token_logs_in_again_on_the_next_lookup(fake: FakeTVDB, db: Database) -> None:
    meta = metadata(fake, db)
    assert meta.find_series("24") is not None
    fake.expire_tokens()

    assert meta.season_episodes(76290, 1) == []
    assert meta.problems == [
        "TheTVDB: episodes of series 76290 (default order) refused, "
        "session expired (HTTP 401: Unauthorized)"
    ]
    assert len(meta.season_episodes(76290, 1)) == 5
    assert fake.requests["/login"] == 2


# -- secrets -----------------------------------------------------------------------------


def test_key_and_pin_never_leak(
    db: Database, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeTVDB(api_key=SECRET_KEY, pin=SECRET_PIN) as fake:
        good = metadata(fake, db, tvdb_api_key=SECRET_KEY, tvdb_pin=SECRET_PIN)
        assert good.season_episodes(76290, 1)
        fake.mode = "error"
        good.find_series("anything")
        bad = metadata(fake, db, tvdb_api_key=SECRET_KEY + "-old", tvdb_pin=SECRET_PIN)
        bad.find_series("24")
        fake.mode = "slow"
        slow = metadata(fake, db, tvdb_api_key=SECRET_KEY, tvdb_pin=SECRET_PIN)
        slow.find_movie("Dune", None)
        assert fake.logins[0] == {"apikey": SECRET_KEY, "pin": SECRET_PIN}  # it was used

    everything = "\n".join(
        [
            caplog.text,
            *capfd.readouterr(),
            *(line for m in (good, bad, slow) for line in m.problems),
            *(repr(m) for m in (good, bad, slow)),
            repr(good.settings),
            str(good.settings),
        ]
    )
    assert len(good.problems + bad.problems + slow.problems) == 3
    assert "TheTVDB" in caplog.text  # the problems were logged
    for secret in (SECRET_KEY, SECRET_PIN):
        assert secret not in everything


def test_key_from_a_prefect_secret_block(
    fake: FakeTVDB, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    loaded: list[str] = []

    def load(name: str, **kwargs: Any) -> SimpleNamespace:
        loaded.append(name)
        if name != "tvdb-key":
            raise ValueError(f"Unable to find block document named {name}")
        return SimpleNamespace(get=lambda: DEFAULT_KEY)

    monkeypatch.setattr(Secret, "load", load)

    meta = metadata(fake, db, tvdb_api_key=None, tvdb_secret_block="tvdb-key")
    assert loaded == []  # lazily: nothing asked yet
    assert meta.find_series("24") == SeriesInfo(id=76290, name="24", year=2001)
    assert loaded == ["tvdb-key"]

    missing = metadata(fake, db, tvdb_api_key=None, tvdb_secret_block="nope")
    assert missing.find_series("Firefly") is None  # not cached yet
    assert missing.problems == [
        "TheTVDB: cannot read the API key from Prefect Secret block 'nope' (ValueError: "
        "Unable to find block document named nope); continuing without TheTVDB for this run"
    ]

    metadata(fake, db, tvdb_secret_block="nope").find_movie("Dune", 2021)  # key set: no block
    assert loaded == ["tvdb-key", "nope"]
