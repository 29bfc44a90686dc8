"""What every task needs from Prefect: who is running, whether this attempt is the last,
which runs have ended, when a failure is worth a retry, and the drive's concurrency slot."""

from __future__ import annotations

import contextlib
import functools
from contextlib import AbstractContextManager
from uuid import UUID

from prefect import Task, get_client, get_run_logger
from prefect.client.schemas.objects import TaskRun
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.exceptions import ObjectNotFound
from prefect.runtime import flow_run
from prefect.states import State

from boz.deployments.setup import ensure_drive_limit
from boz.drives.limits import drive_limit_name
from boz.errors import BozError
from boz.models import Disc
from boz.pipeline import run_labels
from boz.pipeline.jobs import Runner
from boz.pipeline.rip import DriveSlot
from boz.settings import Settings


def run_ended(run_id: str) -> bool:
    """Whether a Prefect flow run is over (crashed, failed, cancelled or completed): its
    claims are free to take. An unreachable API answers no: leases still expire."""
    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(run_id)).state
    except ObjectNotFound:
        return True
    except Exception:
        return False
    return state is not None and state.is_final()


def current_runner(settings: Settings, *, encoders: tuple[str, ...] = ()) -> Runner:
    ctx = TaskRunContext.get()
    last = ctx is None or ctx.task_run.run_count > ctx.task.retries
    return Runner(
        host=settings.host_name,
        flow_run_id=flow_run.get_id(),
        last_attempt=last,
        lease_seconds=settings.job_lease_seconds,
        run_ended=run_ended,
        encoders=encoders,
    )


def transient_only(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry tool failures and stalls; a missing folder or a conflict will not fix itself."""
    try:
        state.result(raise_on_failure=True)
    except BozError as exc:
        return exc.transient
    except Exception:
        return True
    return False


@functools.cache
def _drive_limit_made(name: str) -> None:
    """Created on first use (``boz setup`` does it too), asked once per process."""
    ensure_drive_limit(name)


def drive_slot(settings: Settings) -> DriveSlot:
    """The drive's slot around a read: strict (a missing limit is an error, never a silent
    pass), with a lease that a killed rip lets lapse so the drive is free again in about
    two minutes."""

    def slot(source: str) -> AbstractContextManager[object]:
        name = drive_limit_name(settings.host_name, source)
        if name is None:
            return contextlib.nullcontext()
        _drive_limit_made(name)
        return concurrency(name, occupy=1, strict=True, lease_duration=settings.drive_lease_seconds)

    return slot


def label_run(disc: Disc, host: str, name: str | None = None) -> list[str]:
    """Name this flow run after what it files and add the disc's tags (kept: the tags it
    was started with, which the CLI's progress bars follow); the tags for its steps."""
    tags = run_labels.run_tags(disc, host)
    try:
        with get_client(sync_client=True) as client:
            run_id = UUID(flow_run.get_id())
            started = client.read_flow_run(run_id).tags
            client.update_flow_run(run_id, name=name or run_labels.run_name(disc),
                                   tags=sorted({*started, *tags}))  # fmt: skip
    except Exception as exc:  # a name is not worth a failed rip: the run goes on unnamed
        get_run_logger().warning("could not name this run: %s", exc)
    return tags
