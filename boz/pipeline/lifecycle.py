"""A disc's life: which run owns it, and what its titles' jobs add up to.

Rips run on the drive host and transcodes on other hosts, each step a job row of its
own; the disc's status is derived from those rows here, and only here, so every reader
(``boz discs``, the watcher, the preview) sees one answer:

- ``ripping`` while a selected title is not ripped yet,
- ``transcoding`` while only transcodes and organizes remain,
- ``done`` when every selected title is in the library,
- ``failed``, naming the title and the reason, when one of its steps failed for good.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from boz.db import claims, store
from boz.db.engine import Database
from boz.models import DiscStatus, JobKind, JobStatus

if TYPE_CHECKING:
    from boz.pipeline.jobs import Runner


def status_of(
    selected: list[int], jobs: list[tuple[int, JobKind, JobStatus, str | None]]
) -> tuple[DiscStatus, str | None]:
    """The disc's status and error from its selected titles' jobs."""
    state = {(index, kind): (status, error) for index, kind, status, error in jobs}
    for index, kind, status, error in jobs:
        if status is JobStatus.failed:
            return DiscStatus.failed, f"title {index}: {kind.value} failed: {error}"
    done = JobStatus.done

    def finished(index: int, kind: JobKind) -> bool:
        return state.get((index, kind), (None, None))[0] is done

    if all(finished(i, JobKind.organize) for i in selected):
        return DiscStatus.done, None
    if any(not finished(i, JobKind.rip) and not finished(i, JobKind.organize) for i in selected):
        return DiscStatus.ripping, None
    return DiscStatus.transcoding, None


def roll_up(session: Session, disc_id: int) -> DiscStatus:
    status, error = status_of(*store.selected_jobs(session, disc_id))
    store.set_disc_status(session, disc_id, status, error=error)
    return status


def fail(db: Database, disc_id: int, reason: str) -> None:
    """A failure outside the jobs (preview, approval); a job's own failure, already rolled
    up with its title and step, is kept as the more precise reason."""
    with db.session() as s:
        if store.disc_status(s, disc_id) is not DiscStatus.failed:
            store.set_disc_status(s, disc_id, DiscStatus.failed, error=reason)


def drive_free(db: Database, disc_id: int, *, ripped: bool) -> None:
    """The disc's last rip ended: its drive (if a watcher registered it) is free to take
    the next disc while the titles transcode; ``ripped`` (every rip succeeded) tells the
    watcher it may eject."""
    with db.session() as s:
        drive = store.get_disc(s, disc_id).drive_id
        if drive is not None:
            store.set_drive_status(s, drive, "ripped" if ripped else "idle")
        if ripped:
            roll_up(s, disc_id)


@contextlib.contextmanager
def owning(db: Database, disc_id: int, runner: Runner) -> Iterator[None]:
    """Hold the disc for one run, from its preview to its last rip (or its approval
    timeout); a second run on the same disc meanwhile gets DiscBusy, one whose holder
    died takes it over."""
    holder = runner.holder
    with db.session() as s:
        store.claim_disc(s, disc_id, holder, runner.lease_seconds, runner.run_ended)

    def renew() -> None:
        with db.session() as s:
            store.renew_disc(s, disc_id, holder, runner.lease_seconds)

    try:
        with claims.kept(renew, runner.lease_seconds):
            yield
    finally:
        with db.session() as s:
            store.release_disc(s, disc_id, holder)
