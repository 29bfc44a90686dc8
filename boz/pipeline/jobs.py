"""Run one step on one title as a job row: skip it when done, record who ran it and how it ended.

This is what makes every step idempotent: a retry, a rerun or a second flow run on the
same disc finds the finished job (and its output still in place) and does nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.models import JobKind


@dataclass(frozen=True)
class Runner:
    """Who runs the work: this host, and the Prefect flow run if there is one."""

    flow_run_id: str | None = None
    host: str = field(default_factory=socket.gethostname)


def run_job(
    db: Database,
    *,
    disc_id: int,
    title_index: int,
    kind: JobKind,
    runner: Runner,
    work: Callable[[], Path],
) -> Path:
    with db.session() as s:
        title_id = store.title_id(s, disc_id, title_index)
        done = store.finished_output(s, title_id, kind)
        if done is not None:
            return done
        host_id = store.heartbeat(s, runner.host, [kind.value])
        job_id = store.start_job(
            s,
            disc_id=disc_id,
            title_id=title_id,
            kind=kind,
            host_id=host_id,
            flow_run_id=runner.flow_run_id,
        )
    try:
        output = work()
    except BaseException as exc:
        with db.session() as s:
            store.fail_job(s, job_id, str(exc) or type(exc).__name__)
        raise
    with db.session() as s:
        store.finish_job(s, job_id, output)
    return output
