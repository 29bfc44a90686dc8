"""TheDiscDB's discs in the domain database: imported once, looked up at every preview.

A lookup reads the rows that share the disc's longest title (one indexed query) and
checks each title by title; the import replaces a record by its path, so importing a
newer copy of the repository twice never duplicates a disc.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from boz.db.engine import Database
from boz.db.tables import KnownDiscRow
from boz.errors import NoDiscData
from boz.metadata.thediscdb import (
    KnownDisc,
    KnownTitle,
    TitleKey,
    anchor,
    layout_hash,
    read_repository,
)
from boz.models import DiscKind


@dataclass(frozen=True)
class Match:
    disc: KnownDisc
    titles: list[KnownTitle]  # lined up with the scanned titles


def save(session: Session, discs: Iterable[KnownDisc]) -> int:
    """Store ``discs``, each replacing the record of the same path; how many were stored."""
    stored = 0
    for disc in discs:
        session.execute(delete(KnownDiscRow).where(KnownDiscRow.path == disc.path))
        session.add(
            KnownDiscRow(
                path=disc.path,
                kind=disc.kind,
                name=disc.name,
                year=disc.year,
                release=disc.release,
                anchor=anchor(disc.keys),
                layout=layout_hash(disc.keys),
                titles=[[*t.key, t.type, t.name, t.season, list(t.episodes)] for t in disc.titles],
            )
        )
        stored += 1
    return stored


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(KnownDiscRow)) or 0


def _disc(row: KnownDiscRow) -> KnownDisc:
    titles = tuple(
        KnownTitle((int(s), int(b), str(m), str(f)), type, name, season, tuple(episodes))  # type: ignore[arg-type]
        for s, b, m, f, type, name, season, episodes in row.titles
    )
    return KnownDisc(row.path, row.kind, row.name, row.year, row.release, titles)


def find(session: Session, keys: Sequence[TitleKey], minlength: int) -> list[Match]:
    """Every record whose layout is the scanned one (``keys``, read with ``minlength``)."""
    found = anchor(keys)
    if found is None:
        return []
    rows = session.scalars(
        select(KnownDiscRow).where(KnownDiscRow.anchor == found).order_by(KnownDiscRow.path)
    )
    matches = []
    for row in rows:
        disc = _disc(row)
        lined_up = disc.matches(keys, minlength)
        if lined_up is not None:
            matches.append(Match(disc, lined_up))
    return matches


@dataclass(frozen=True)
class Imported:
    stored: int
    tv: int
    movies: int
    skipped: list[str]
    total: int  # records in the index afterwards


def import_repository(db: Database, path: Path) -> Imported:
    """Index every disc under ``path`` in one transaction: a failed import leaves the
    index as it was."""
    if not path.is_dir():
        raise NoDiscData(f"{path} is not a folder: give a clone of TheDiscDB/data or its data/")
    discs: list[KnownDisc] = []
    skipped: list[str] = []
    for found in read_repository(path):
        if isinstance(found, KnownDisc):
            discs.append(found)
        else:
            skipped.append(str(found))
    if not discs:
        raise NoDiscData(
            f"{path} holds no disc of TheDiscDB's layout "
            "(<series|movie>/<Name (Year)>/<release>/discNN.txt with discNN.json beside it)"
        )
    with db.session() as s:
        stored = save(s, discs)
        total = count(s)
    tv = sum(d.kind is DiscKind.tv for d in discs)
    return Imported(stored, tv, stored - tv, skipped, total)
