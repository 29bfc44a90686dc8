"""Run one step on one title as a job row: skip it when done, claim it, record how it ended.

This is what makes every step idempotent and safe to run from several processes or hosts:
a retry, a rerun or a second flow run on the same disc finds the finished job (and its
output still in place) and does nothing; a job that a live holder is running is refused
(JobHeld); one whose holder died is taken over. After every change the disc's status is
rolled up from its jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from boz.db import claims, store
from boz.db.engine import Database
from boz.errors import BozError
from boz.models import JobKind
from boz.pipeline import lifecycle


@dataclass(frozen=True)
class Runner:
    """Who runs the work: this host and process, the Prefect flow run if there is one, and
    whether a failure now is final (no retry left), which decides what the disc shows."""

    host: str
    flow_run_id: str | None = None
    pid: int = field(default_factory=os.getpid)
    last_attempt: bool = True
    lease_seconds: float = 60.0
    run_ended: claims.RunEnded = claims.never_ended
    encoders: tuple[str, ...] = ()

    @property
    def holder(self) -> claims.Holder:
        return claims.Holder(host=self.host, pid=self.pid, run=self.flow_run_id)


def _final(exc: BaseException, runner: Runner) -> bool:
    """Only transient tool failures are retried (the tasks' retry condition says the same)."""
    transient = exc.transient if isinstance(exc, BozError) else isinstance(exc, Exception)
    return runner.last_attempt or not transient


def run_job(
    db: Database,
    *,
    disc_id: int,
    title_index: int,
    kind: JobKind,
    runner: Runner,
    root: Path,
    work: Callable[[], Path],
    later: Mapping[JobKind, Path] | None = None,
) -> Path:
    """``work()`` once for this title and kind; its output must lie under ``root``.

    ``later`` (later steps and their roots): a title already past this step needs it no
    more, though its file is gone (organize cleans staging; a rerun may have planned the
    title a moment before)."""
    holder = runner.holder
    with db.session() as s:
        host_id = store.heartbeat(s, runner.host, [kind.value], runner.encoders)
        job_id, done = store.claim_job(
            s,
            disc_id=disc_id,
            title_index=title_index,
            kind=kind,
            root=root,
            host_id=host_id,
            holder=holder,
            lease_seconds=runner.lease_seconds,
            run_ended=runner.run_ended,
            later=later or {},
        )
        if done is not None:
            return done
        lifecycle.roll_up(s, disc_id)

    def renew() -> None:
        with db.session() as s:
            store.renew_job(s, job_id, holder, runner.lease_seconds)

    try:
        with claims.kept(renew, runner.lease_seconds):
            output = work()
    except BaseException as exc:
        with db.session() as s:
            reason = str(exc) or type(exc).__name__
            store.fail_job(s, job_id, reason, final=_final(exc, runner), holder=holder)
            lifecycle.roll_up(s, disc_id)
        raise
    with db.session() as s:
        store.finish_job(s, job_id, output, root, holder)
        lifecycle.roll_up(s, disc_id)
    return output
