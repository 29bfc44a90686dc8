"""Retention: forget the history of finished discs, never what keeps numbers unique.

A TV disc that holds episode numbers stays (its row and titles are what the numbers
belong to, and what a re-inserted disc is recognised by, so it is never given new
numbers); only its jobs go. A finished disc that holds none (a movie, a rejected disc)
goes whole. Discs still in flight or failed (a retry needs their jobs) are not touched;
season counters never are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from boz.db.tables import DiscRow, EpisodeRow, JobRow
from boz.errors import BadOption
from boz.models import DiscStatus

FINISHED = (DiscStatus.done, DiscStatus.rejected)
_AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def age(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``."""
    found = _AGE.match(text)
    if not found:
        raise BadOption(
            f"--older-than {text!r}: give a number of hours, days or weeks: 12h, 30d, 2w"
        )
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


@dataclass
class Pruned:
    discs: list[str] = field(default_factory=list)  # "3 SOME_LABEL (done)"
    kept_discs: int = 0  # finished, hold episode numbers: only their jobs went
    jobs: int = 0


def prune(session: Session, before: datetime, *, dry_run: bool = False) -> Pruned:
    """Remove what finished before ``before``; with ``dry_run``, only say what would go."""
    holds_numbers = exists().where(EpisodeRow.disc_id == DiscRow.id)
    old = (DiscRow.status.in_(FINISHED), DiscRow.updated_at < before)
    gone = session.execute(
        select(DiscRow.id, DiscRow.label, DiscRow.status).where(*old, ~holds_numbers)
        .order_by(DiscRow.id)
    ).all()  # fmt: skip
    kept = session.scalars(select(DiscRow.id).where(*old, holds_numbers)).all()
    ids = [d.id for d in gone] + list(kept)
    jobs = session.scalar(select(func.count()).where(JobRow.disc_id.in_(ids))) or 0
    result = Pruned([f"{d.id} {d.label} ({d.status.value})" for d in gone], len(kept), jobs)
    if not dry_run and ids:
        session.execute(delete(JobRow).where(JobRow.disc_id.in_(ids)))
        # Titles go with their disc (ON DELETE CASCADE); these discs hold no episodes.
        session.execute(delete(DiscRow).where(DiscRow.id.in_([d.id for d in gone])))
    return result
