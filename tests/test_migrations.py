"""The Alembic migrations on both backends: a SQLite file and the session's PostgreSQL."""

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from boz.db.engine import make_engine, open_database
from boz.db.migrate import alembic_config, upgrade
from boz.db.tables import SCHEMA_REVISION, Base, DriveRow
from boz.errors import DatabaseError

TABLES = {"hosts", "drives", "discs", "titles", "jobs", "tv_seasons", "tv_episodes"}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_one_head_and_dated_revision_files(engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    for rev in script.walk_revisions():
        assert Path(rev.path).name[:8].isdigit()  # files are named by date, then slug
    upgrade(engine)
    with engine.connect() as conn:  # and the database records that head
        assert MigrationContext.configure(conn).get_current_heads() == tuple(script.get_heads())
    assert script.get_current_head() == SCHEMA_REVISION  # what tables.py says it describes


# A new process opens the database, then says whether it had to load Alembic.
OPENS = """
import sys
from boz.db.engine import open_database
open_database(sys.argv[1])
print("alembic" in sys.modules)
"""


def test_a_database_at_the_newest_revision_opens_without_alembic(database_url: str) -> None:
    """Every boz command opens the database; only one that is behind pays for Alembic."""

    def opened_with_alembic() -> bool:
        done = subprocess.run([sys.executable, "-c", OPENS, database_url], check=True,
                              capture_output=True, text=True)  # fmt: skip
        return done.stdout.strip() == "True"

    assert opened_with_alembic()  # new: migrated
    assert not opened_with_alembic()
    engine = make_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "0006")
    finally:
        engine.dispose()
    assert opened_with_alembic()  # one revision behind: upgraded again
    assert not opened_with_alembic()


def test_a_database_that_does_not_answer_is_tried_once(tmp_path: Path) -> None:
    """A host that takes connections and never speaks PostgreSQL: one attempt, one line,
    and Alembic is not loaded to try again."""
    attempts = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def hang_up() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return  # the test closed the listener
                attempts.append(conn)
                conn.close()

        threading.Thread(target=hang_up, daemon=True).start()
        with pytest.raises(DatabaseError) as error:
            open_database(f"postgresql+psycopg://boz@127.0.0.1:{port}/boz")
    message = str(error.value)
    assert message.startswith(
        f"cannot open the database at postgresql+psycopg://boz@127.0.0.1:{port}/boz: "
    )
    assert "\n" not in message
    assert len(attempts) == 1


def test_upgrade_from_empty_matches_the_models(engine: Engine) -> None:
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
        assert diff == []
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        else:
            # PostgreSQL always enforces foreign keys and logs ahead; what the season
            # counters rely on is READ COMMITTED, whatever the server's default.
            assert conn.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
            assert inspect(conn).get_enums() == []  # enums are stored as strings
    with pytest.raises(IntegrityError), engine.begin() as conn:  # foreign keys enforced
        conn.execute(insert(DriveRow).values(host_id=999, device="/dev/sr0", status="idle"))


def test_downgrade_to_empty_and_back(engine: Engine) -> None:
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    if engine.dialect.name == "postgresql":  # nothing left behind outside the tables
        assert inspect(engine).get_sequence_names() == []
        assert inspect(engine).get_enums() == []
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
