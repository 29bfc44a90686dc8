"""Season counters the way the pipeline uses them, on both backends: a real SQLite file
(BEGIN IMMEDIATE) and the session's PostgreSQL (SELECT ... FOR UPDATE on the season row).
"""

import multiprocessing
import queue
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest
from postgres import PostgresServer
from sqlalchemy import select

from boz.db import seasons, store
from boz.db.engine import Database, make_engine
from boz.db.migrate import upgrade
from boz.errors import EpisodeConflict
from boz.models import Title


def _disc(db: Database, name: str, titles: int = 3) -> tuple[int, list[int]]:
    with db.session() as s:
        disc_id = store.find_or_create_disc(s, label=name, fingerprint=name, source=f"/{name}")
        store.save_titles(
            s, disc_id,
            [Title(index=i, name=f"t{i}", duration_s=60, size_bytes=i) for i in range(titles)],
        )  # fmt: skip
        ids = [t.id for t in store.get_disc(s, disc_id).titles]
    return disc_id, [i for i in ids if i is not None]


def _assign(
    db: Database, disc: tuple[int, list[int]], first: int | None = None, *, hold_s: float = 0
) -> list[int]:
    with db.session() as s:
        got = seasons.assign(s, disc_id=disc[0], show="Show", season=1, title_ids=disc[1],
                             first_episode=first)  # fmt: skip
        time.sleep(hold_s)  # keep the transaction (and the season's lock) open a while
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


def test_a_proposals_numbers_on_postgresql_commit_on_their_own(db: Database) -> None:
    """On PostgreSQL the proposal's allocation is a statement that is its own transaction:
    the numbers stay with the disc when the preview's transaction then fails, and the disc
    gets no second run. Elsewhere it does nothing and ``assign`` allocates as before."""
    one, two = _disc(db, "D1"), _disc(db, "D2", titles=2)

    def alone(disc: tuple[int, list[int]], counts: list[int]) -> dict[int, list[int]]:
        return seasons.append_alone(db.engine, disc_id=disc[0], show="Show", season=1,
                                    title_ids=disc[1], counts=counts)  # fmt: skip

    postgresql = db.engine.dialect.name == "postgresql"
    with pytest.raises(RuntimeError, match="failed"), db.session() as s:
        got = alone(one, [1, 1, 1])
        store.update_disc(s, one[0], show="Show")  # the preview writes on, then fails
        raise RuntimeError("the preview failed after its allocation")
    assert got == (dict(zip(one[1], [[1], [2], [3]], strict=True)) if postgresql else {})
    assert alone(one, [1, 1, 1]) == {}  # held already (PostgreSQL): assign decides
    assert _assign(db, one) == [1, 2, 3]  # on PostgreSQL the numbers it held
    assert _counter(db) == 3
    two_numbers = {two[1][0]: [4], two[1][1]: [5, 6]}  # a double episode counts twice
    assert alone(two, [1, 2]) == (two_numbers if postgresql else {})
    assert _counter(db) == (6 if postgresql else 3)


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


@pytest.mark.parametrize("default", ["repeatable read", "serializable"])
def test_postgresql_allocation_does_not_depend_on_the_servers_isolation(
    postgres_server: PostgresServer, default: str
) -> None:
    """The row lock needs READ COMMITTED; a server defaulting to stricter isolation used to
    fail concurrent previews with "could not serialize access due to concurrent update"."""
    url = postgres_server.create_database(settings={"default_transaction_isolation": default})
    engine = make_engine(url)
    try:
        upgrade(engine)
        db = Database(engine)
        discs = [_disc(db, f"D{n}") for n in range(8)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda d: _assign(db, d, hold_s=0.02), discs))
        assert sorted(n for r in results for n in r) == list(range(1, 25))
        assert _counter(db) == 24
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


def _allocate_in_process(
    url: str, discs: list[tuple[int, list[int]]], start: Barrier, results: Queue
) -> None:
    """One host's worth of previews, in its own process with its own engine."""
    try:
        db = Database(make_engine(url))
        with db.session() as s:
            s.execute(select(1))  # connected before the start line, so all begin together
        start.wait(timeout=120)
        got = [(disc[0], _assign(db, disc, hold_s=0.02)) for disc in discs]
        again = [(disc[0], _assign(db, disc)) for disc in discs]  # previewed again
        assert again == got, f"a second preview changed numbers: {got} -> {again}"
        db.engine.dispose()
        results.put(got)
    except BaseException:
        results.put(traceback.format_exc())


def test_concurrent_processes_never_share_a_number(db: Database, database_url: str) -> None:
    workers, discs_each, titles = 4, 3, 3
    discs = [_disc(db, f"P{n}", titles=titles) for n in range(workers * discs_each)]
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(workers), spawn.Queue()
    procs = [
        spawn.Process(
            target=_allocate_in_process, args=(database_url, discs[w::workers], start, results)
        )
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=180) for _ in procs]
    except queue.Empty:
        pytest.fail(f"a worker died without a result: exit codes {[p.exitcode for p in procs]}")
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [o for o in outcomes if isinstance(o, str)]
    assert not errors, "\n".join(errors)
    held = dict(pair for o in outcomes for pair in o)
    assert sorted(held) == sorted(d[0] for d in discs)
    numbers = sorted(n for got in held.values() for n in got)
    total = workers * discs_each * titles
    assert numbers == list(range(1, total + 1))  # none shared, none skipped
    assert _counter(db) == total
    with db.session() as s:  # what each process was told is what the database holds
        for disc_id, got in held.items():
            assert [n for t in store.get_disc(s, disc_id).titles for n in t.episodes] == got
