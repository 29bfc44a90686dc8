"""A consistent copy of the SQLite catalog while hosts keep using it.

Copying the file is not a backup: in WAL mode the newest transactions live in the
``-wal`` file beside it, and a copy taken during a write is torn. SQLite's online backup
API copies the database as one transaction sees it, whatever writers do meanwhile. The
copy is made in one step (``pages=-1``): a stepwise backup restarts each time another
connection writes, which on a busy catalog could never end. It is written under a
temporary name, checked with ``PRAGMA integrity_check`` and only then given its name, so
a backup that failed half way never looks like one. PostgreSQL has ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from boz.errors import BackupFailed


def backup(url: str, target: Path) -> int:
    """Copy the SQLite database at ``url`` to ``target`` (which must not exist); its size."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupFailed(
            f"boz db backup copies SQLite databases; {parsed.get_backend_name()} has its own "
            f"tools: pg_dump --format=custom --file={target} {parsed.database or 'DBNAME'}"
        )
    source = Path(parsed.database or "").expanduser()
    if not source.is_file():
        raise BackupFailed(f"no database at {source} (BOZ_DATABASE_URL): nothing to back up")
    if target.exists():
        raise BackupFailed(f"{target} exists: choose a new file name (a backup never overwrites)")
    part = target.with_name(f".{target.name}.part")
    try:
        _copy(source, part)
        os.replace(part, target)
    except (OSError, sqlite3.Error) as exc:
        raise BackupFailed(f"could not back up {source} to {target}: {exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    return target.stat().st_size


def _copy(source: Path, part: Path) -> None:
    part.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(part)) as dst,
    ):
        src.backup(dst, pages=-1)
        checked = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if checked != "ok":
            raise sqlite3.DatabaseError(f"the copy fails its integrity check: {checked}")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
