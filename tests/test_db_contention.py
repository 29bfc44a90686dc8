"""The shared database under contention: many ``boz`` processes opening one fresh database,
and previews of one disc at once.

Every ``boz`` command migrates the database before its work, so hosts and commands that
start together all migrate at once. Each process here imports everything first and waits
at a start line, so that they really do reach the migration together.
"""

from __future__ import annotations

import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text

from boz.db import seasons, store
from boz.db.engine import Database, make_engine
from boz.db.migrate import alembic_config, upgrade
from boz.models import Title

PROCESSES = 8
READY_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 120.0
# Imports first (alembic loads the revision files itself), then waits for its start line.
OPEN = """
import sys
import alembic.command
from boz.db.engine import open_database
print("ready", flush=True)
sys.stdin.readline()
open_database(sys.argv[1])
"""


def _ready(proc: subprocess.Popen[str], deadline: float) -> bool:
    assert proc.stdout is not None
    readable, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
    return bool(readable) and proc.stdout.readline().strip() == "ready"


def _open_at_once(url: str) -> list[tuple[int, str]]:
    """Exit code and stderr of each process, all released together at the start line."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        not_ready = [p for p in procs if not _ready(p, deadline)]
        assert not not_ready, f"{len(not_ready)} processes never reached the start line"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        deadline = time.monotonic() + RUN_TIMEOUT_S
        outcomes = []
        for p in procs:
            _, err = p.communicate(timeout=max(0.0, deadline - time.monotonic()))
            outcomes.append((p.returncode, err))
        return outcomes
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


def test_processes_that_start_together_all_migrate_a_fresh_database(database_url: str) -> None:
    outcomes = _open_at_once(database_url)
    failed = [err.strip().splitlines()[-1] for code, err in outcomes if code != 0]
    assert not failed, f"{len(failed)} of {PROCESSES} failed: {failed}"
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert {"discs", "titles", "tv_seasons", "tv_episodes"} <= set(
                inspect(conn).get_table_names()
            )
            if engine.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_new_sqlite_file_opened_by_many_processes_at_once(database_url: str) -> None:
    """SQLite's races are narrower than PostgreSQL's (there, most processes failed with a
    duplicate ``alembic_version`` type), so a few rounds: a revision applied twice, when
    each revision had its own transaction, and "database is locked" from switching the
    new file to WAL each failed one round in several."""
    for round_ in range(3):
        url = database_url.replace("boz.db", f"boz-{round_}.db")
        outcomes = _open_at_once(url)
        failed = [err.strip().splitlines()[-1] for code, err in outcomes if code != 0]
        assert not failed, f"round {round_}: {len(failed)} of {PROCESSES} failed: {failed}"


def _disc(db: Database, label: str, titles: int) -> tuple[int, list[int]]:
    with db.session() as s:
        disc_id = store.find_or_create_disc(s, label=label, fingerprint=label, source=label)
        rows = [Title(index=i, name=f"t{i}", duration_s=60, size_bytes=1) for i in range(titles)]
        store.save_titles(s, disc_id, rows)
        return disc_id, [t.id for t in store.get_disc(s, disc_id).titles if t.id is not None]


# After the look at what the disc holds, before its episodes go in: the gap to widen.
SLOW_COUNTER_TRIGGER = """
CREATE FUNCTION slow_counter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$;
CREATE TRIGGER slow_counter BEFORE UPDATE ON tv_seasons
FOR EACH ROW EXECUTE FUNCTION slow_counter();
"""


def _preview(
    db: Database, disc_id: int, title_ids: list[int], *, alone: bool = False
) -> dict[int, list[int]]:
    """As a proposal does it (``alone``: on PostgreSQL the numbers come in a statement of
    their own first), or as a decision does, all in its transaction."""
    with db.session() as s:
        if alone and (
            got := seasons.append_alone(db.engine, disc_id=disc_id, show="Show", season=1,
                                        title_ids=title_ids, counts=[1] * len(title_ids))
        ):  # fmt: skip
            return got
        return seasons.assign(s, disc_id=disc_id, show="Show", season=1, title_ids=title_ids)


@pytest.mark.parametrize("alone", [True, False], ids=["proposal", "decision"])
def test_previews_of_one_disc_at_once_number_it_once(database_url: str, alone: bool) -> None:
    """The season's lock is taken last, so the disc's own lock is what keeps two previews
    of one disc from both finding it without numbers and both allocating: the gap between
    reading what the disc holds and moving the counter is widened here to show it."""
    engine = make_engine(database_url)

    @event.listens_for(engine, "before_cursor_execute")
    def _slow_counter(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "UPDATE tv_seasons" in statement:
            time.sleep(0.05)

    try:
        upgrade(engine)
        if engine.dialect.name == "postgresql":  # the counter moves inside one function call
            with engine.begin() as conn:
                conn.execute(text(SLOW_COUNTER_TRIGGER))
        db = Database(engine)
        first, disc = _disc(db, "D1", titles=1), _disc(db, "D2", titles=3)
        _preview(db, *first)  # the season exists: creating it would make the others wait
        start = threading.Barrier(PROCESSES)

        def preview(_: int) -> dict[int, list[int]]:
            start.wait(timeout=30)
            return _preview(db, *disc, alone=alone)

        with ThreadPoolExecutor(max_workers=PROCESSES) as pool:
            told = list(pool.map(preview, range(PROCESSES)))
        assert all(t == {tid: [n] for n, tid in enumerate(disc[1], 2)} for t in told)
        with db.session() as s:
            assert [(x.last_episode_assigned, x.episodes) for x in store.list_seasons(s)] == [
                (4, [1, 2, 3, 4])
            ]
    finally:
        engine.dispose()
