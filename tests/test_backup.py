"""`boz db backup`: a consistent copy of the SQLite catalog while another process writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from helpers import run_boz

from boz.db import seasons, store
from boz.db.engine import open_database
from boz.models import Title
from boz.settings import Settings


def _discs_written(settings: Settings, stop: threading.Event, written: list[int]) -> None:
    """A busy host: discs, titles and episode numbers, one transaction after another."""
    db = open_database(settings.db_url)
    n = 0
    while not stop.is_set():
        n += 1
        with db.session() as s:
            disc_id = store.find_or_create_disc(s, label=f"D{n}", fingerprint=f"f{n}", source="/x")
            store.save_titles(s, disc_id, [Title(index=0, name="t0", duration_s=60, size_bytes=1)])
            [title] = store.get_disc(s, disc_id).titles
            assert title.id is not None
            seasons.assign(s, disc_id=disc_id, show="Show", season=1, title_ids=[title.id])
        written.append(n)


def test_a_backup_taken_while_a_host_writes_is_whole_and_consistent(
    boz_home: Path, tmp_path: Path
) -> None:
    settings = Settings()
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_discs_written, args=(settings, stop, written))
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.05)
        done = run_boz("db", "backup", str(tmp_path / "catalog.db"))
    finally:
        stop.set()
        writer.join()
    assert done.stdout.startswith(f"backed up {settings.db_url} to {tmp_path / 'catalog.db'} (")

    copy = sqlite3.connect(tmp_path / "catalog.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    discs = copy.execute("SELECT count(*) FROM discs").fetchone()[0]
    assert 20 <= discs <= len(written)
    # one transaction's view: every disc's episode is there, and the counter agrees
    last = copy.execute("SELECT last_episode_assigned FROM tv_seasons").fetchone()[0]
    assert last == discs == copy.execute("SELECT count(*) FROM titles").fetchone()[0]
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone()
    assert [p.name for p in tmp_path.glob("*catalog*")] == ["catalog.db"]  # no temporary left


def test_a_backup_never_overwrites_and_points_postgresql_to_pg_dump(
    boz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_boz("db", "upgrade")
    kept = tmp_path / "kept.db"
    kept.write_bytes(b"an older backup")
    refused = run_boz("db", "backup", str(kept), check=False)
    assert (refused.returncode, refused.stderr.strip()) == (
        1, f"boz: {kept} exists: choose a new file name (a backup never overwrites)"
    )  # fmt: skip
    assert kept.read_bytes() == b"an older backup"

    monkeypatch.setenv("BOZ_DATABASE_URL", "postgresql+psycopg://boz@db.example/boz")
    postgres = run_boz("db", "backup", str(tmp_path / "pg.dump"), check=False)
    assert postgres.returncode == 1
    assert postgres.stderr.strip() == (
        "boz: boz db backup copies SQLite databases; postgresql has its own tools: "
        f"pg_dump --format=custom --file={tmp_path / 'pg.dump'} boz"
    )
    assert not (tmp_path / "pg.dump").exists()
