"""What every task needs from Prefect: who is running, and when a failure is worth a retry."""

from __future__ import annotations

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.runtime import flow_run
from prefect.states import State

from boz.errors import BozError
from boz.pipeline.jobs import Runner


def current_runner() -> Runner:
    return Runner(flow_run_id=flow_run.get_id())


def transient_only(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry tool failures and stalls; a missing folder or a conflict will not fix itself."""
    try:
        state.result(raise_on_failure=True)
    except BozError as exc:
        return exc.transient
    except Exception:
        return True
    return False
