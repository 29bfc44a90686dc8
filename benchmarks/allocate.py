"""Episode-number allocation under contention, on SQLite and on PostgreSQL.

N processes (separate engines, as separate hosts or `boz` commands would have) each
allocate numbers for M discs of 1-3 titles in one season, one short transaction per
disc through ``Database.session()`` as a preview does, all starting together. Prints,
per database and run, the latency of one allocation (p50, p99, max), how many numbers
were handed out twice (must be 0), the throughput, and the machine's load average (the
figures mean little on a machine busy with other work). SQLite is a file in a temporary
directory; PostgreSQL is a throwaway server started the way the tests start theirs.
On PostgreSQL a proposal's numbers come in one statement that is its own transaction
(``seasons.append_alone``; ``assign`` in the session when it holds some); a second row is the
floor: that same statement through psycopg alone (no SQLAlchemy, no session), in the
same run.

    .venv/bin/python benchmarks/allocate.py [--processes 8] [--allocations 125] [--runs 1]
        [--database sqlite --database postgresql]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from servers import postgresql

from boz.db import seasons, store
from boz.db.engine import Database, make_engine, open_database
from boz.models import Title

SHOW, SEASON = "Bench Show", 1
DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Result:
    database: str
    latencies_ms: list[float]
    numbers: list[int]
    seconds: float
    load: float

    def row(self) -> str:
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        duplicates = len(self.numbers) - len(set(self.numbers))
        rate = len(self.latencies_ms) / self.seconds
        return (
            f"| {self.database} | {cuts[49]:.1f} | {cuts[98]:.1f} | {max(self.latencies_ms):.1f} "
            f"| {duplicates} | {rate:.0f} | {self.load:.1f} |"
        )


def _discs(db: Database, count: int, seed: int) -> list[tuple[int, list[int]]]:
    """``count`` discs of 1-3 titles each, with their title ids."""
    pick = random.Random(seed)
    discs = []
    with db.session() as s:
        for n in range(count):
            disc_id = store.find_or_create_disc(s, label=f"D{n}", fingerprint=f"fp{n}",
                                                source=f"/discs/{n}")  # fmt: skip
            titles = [
                Title(index=i, name=f"t{i}", duration_s=2400, size_bytes=1)
                for i in range(pick.randint(1, 3))
            ]
            store.save_titles(s, disc_id, titles)
            ids = [t.id for t in store.get_disc(s, disc_id).titles if t.id is not None]
            discs.append((disc_id, ids))
    return discs


def _allocate(url: str, discs: list[tuple[int, list[int]]], start: Barrier, results: Queue) -> None:
    """One process's allocations as a proposal makes them, each timed from opening the
    session to its commit."""
    db = Database(make_engine(url))
    with db.session() as s:
        store.list_seasons(s)  # connected before the start line, so all begin together
    start.wait(timeout=120)
    latencies, numbers = [], []
    for disc_id, title_ids in discs:
        began = time.perf_counter()
        with db.session() as s:
            counts = [1] * len(title_ids)
            got = seasons.append_alone(db.engine, disc_id=disc_id, show=SHOW, season=SEASON,
                                       title_ids=title_ids, counts=counts)  # fmt: skip
            got = got or seasons.assign(s, disc_id=disc_id, show=SHOW, season=SEASON,
                                        title_ids=title_ids)  # fmt: skip
        latencies.append((time.perf_counter() - began) * 1000)
        numbers += [n for tid in title_ids for n in got[tid]]
    db.engine.dispose()
    results.put((latencies, numbers))


def _allocate_raw(
    url: str, discs: list[tuple[int, list[int]]], start: Barrier, results: Queue
) -> None:
    """The floor on PostgreSQL: the same function boz calls (migration 0007), a statement
    that is its own transaction, through psycopg alone."""
    import psycopg

    plain = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        start.wait(timeout=120)
        latencies, numbers = [], []
        for disc_id, title_ids in discs:
            began = time.perf_counter()
            got = conn.execute(
                "SELECT slot_number FROM boz_append_episodes(%s, %s, %s, %s)",
                (disc_id, SHOW, SEASON, title_ids),
            ).fetchall()
            latencies.append((time.perf_counter() - began) * 1000)
            numbers += [n for (n,) in got]
    results.put((latencies, numbers))


def run(
    database: str, url: str, processes: int, allocations: int, seed: int, *, raw: bool = False
) -> Result:
    db = open_database(url)
    discs = _discs(db, processes * allocations, seed)
    db.engine.dispose()
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(processes + 1), spawn.Queue()
    target = _allocate_raw if raw else _allocate
    workers = [
        spawn.Process(target=target, args=(url, discs[w::processes], start, results))
        for w in range(processes)
    ]
    for w in workers:
        w.start()
    start.wait(timeout=120)
    began = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in workers]
    seconds = time.perf_counter() - began
    for w in workers:
        w.join(timeout=30)
    latencies = [ms for got, _ in outcomes for ms in got]
    numbers = [n for _, got in outcomes for n in got]
    if sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
        raise RuntimeError(f"{database}: numbers were skipped")
    return Result(database, latencies, numbers, seconds, os.getloadavg()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--allocations", type=int, default=125, help="per process")
    parser.add_argument("--runs", type=int, default=1, help="fresh database each run")
    parser.add_argument("--database", choices=DATABASES, action="append")
    opts = parser.parse_args()
    wanted = opts.database or list(DATABASES)

    print(f"{opts.processes} processes x {opts.allocations} allocations of 1-3 episodes")
    print("| database | p50 ms | p99 ms | max ms | duplicates | allocations/s | load |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="boz-bench-") as tmp:
        if "sqlite" in wanted:
            for n in range(opts.runs):
                url = f"sqlite:///{Path(tmp) / f'run{n}.db'}"
                print(run("sqlite", url, opts.processes, opts.allocations, n).row(), flush=True)
        if "postgresql" in wanted:
            with postgresql() as server:
                for n in range(opts.runs):
                    url = server.create_database("boz_bench")
                    result = run("postgresql", url, opts.processes, opts.allocations, n)
                    print(result.row(), flush=True)
                    url = server.create_database("boz_bench")
                    floor = run("postgresql, psycopg alone", url, opts.processes,
                                opts.allocations, n, raw=True)  # fmt: skip
                    print(floor.row(), flush=True)


if __name__ == "__main__":
    main()
