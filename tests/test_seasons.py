"""Season counters on a real SQLite file (BEGIN IMMEDIATE), the way the pipeline uses them."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from boz.db import seasons, store
from boz.db.engine import Database, make_engine
from boz.db.migrate import upgrade
from boz.errors import EpisodeConflict
from boz.models import Title


@pytest.fixture
def db(tmp_path: Path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'boz.db'}")
    upgrade(engine)
    return Database(engine)


def _disc(db: Database, name: str, titles: int = 3) -> tuple[int, list[int]]:
    with db.session() as s:
        disc_id = store.find_or_create_disc(s, label=name, fingerprint=name, source=f"/{name}")
        store.save_titles(
            s, disc_id,
            [Title(index=i, name=f"t{i}", duration_s=60, size_bytes=i) for i in range(titles)],
        )  # fmt: skip
        ids = [t.id for t in store.get_disc(s, disc_id).titles]
    return disc_id, [i for i in ids if i is not None]


def _assign(db: Database, disc: tuple[int, list[int]], first: int | None = None) -> list[int]:
    with db.session() as s:
        got = seasons.assign(s, disc_id=disc[0], show="Show", season=1, title_ids=disc[1],
                             first_episode=first)  # fmt: skip
    return [n for tid in disc[1] for n in got[tid]]


def _counter(db: Database) -> int:
    with db.session() as s:
        return store.list_seasons(s)[0].last_episode_assigned


def test_disc_two_continues_and_a_second_preview_keeps_numbers(db: Database) -> None:
    one, two = _disc(db, "D1"), _disc(db, "D2")
    assert _assign(db, one) == [1, 2, 3]
    assert _assign(db, two) == [4, 5, 6]
    assert _assign(db, one) == [1, 2, 3]  # previewed again: same numbers, nothing new
    assert _counter(db) == 6


def test_release_gives_back_only_the_top_of_the_season(db: Database) -> None:
    one, two = _disc(db, "D1"), _disc(db, "D2")
    _assign(db, one)
    _assign(db, two)
    with db.session() as s:
        seasons.release(s, one[0])  # a gap at 1..3: disc 2 keeps 4..6
    assert _counter(db) == 6
    with db.session() as s:
        seasons.release(s, two[0])
    assert _counter(db) == 0


def test_operator_override_moves_the_counter_and_conflicts_are_refused(db: Database) -> None:
    one, two, three = _disc(db, "D1"), _disc(db, "D2"), _disc(db, "D3", titles=2)
    assert _assign(db, one, first=10) == [10, 11, 12]
    assert _counter(db) == 12
    assert _assign(db, two) == [13, 14, 15]
    with pytest.raises(EpisodeConflict, match="E11, E12 already belong"):
        _assign(db, three, first=11)
    assert _counter(db) == 15  # the refused allocation changed nothing


def test_concurrent_previews_never_share_a_number(db: Database) -> None:
    discs = [_disc(db, f"D{n}") for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda d: _assign(db, d), discs))
    numbers = sorted(n for r in results for n in r)
    assert numbers == list(range(1, 25))
    assert _counter(db) == 24
