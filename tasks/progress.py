"""The rip and transcode steps' progress as Prefect progress artifacts, and reading it back.

A progress artifact holds a percent and a markdown description; the description carries
the rest (speed, time left, the title's place in the run), so one artifact per attempt
says it all and is updated in place, never re-created. Its key (disc, title, step) puts
the steps on the Artifacts page with their history. Whichever host runs the step, anyone
with the API sees it: ``boz rip`` draws its terminal bars from these artifacts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterType,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import Artifact
from prefect.client.schemas.sorting import ArtifactSort

from boz.progress import Progress, Throttle


def artifact_key(disc_id: int, title_index: int, step: str) -> str:
    return f"disc-{disc_id}-title-{title_index}-{step}"


class StepReporter:
    """An ``on_progress`` callback for one attempt of a step: a log line every tenth, and
    the artifact, created at the tool's first report (a step skipped as done leaves none)
    and then updated at most as often as ``throttle`` lets through."""

    def __init__(
        self,
        progress: Progress,
        key: str,
        logger: logging.Logger | logging.LoggerAdapter[Any],
        throttle: Throttle | None = None,
    ) -> None:
        self.progress = progress
        self.key = key
        self.logger = logger
        self.throttle = throttle or Throttle()
        self.artifact_id: UUID | None = None
        self.logged_tenth = -1
        self.publishing = True

    def __call__(self, fraction: float) -> None:
        self.progress.record(fraction)
        tenth = int(self.progress.fraction * 10)
        if tenth > self.logged_tenth:
            self.logged_tenth = tenth
            self.logger.info("%s", self.progress.describe())
        if self.throttle.due(self.progress.fraction):
            self._publish(self.progress.describe())

    def finish(self) -> None:
        """The step succeeded: its artifact says done, even if the tool's last report fell
        short of the end."""
        if self.artifact_id is not None:
            self(1.0)

    def fail(self) -> None:
        if self.artifact_id is not None:
            self._publish(f"{self.progress.label}: stopped at {self.progress.percent}%")

    def _publish(self, description: str) -> None:
        if not self.publishing:
            return
        percent = round(self.progress.fraction * 100, 1)
        try:
            if self.artifact_id is None:
                self.artifact_id = create_progress_artifact(
                    progress=percent, key=self.key, description=description
                )
            else:
                update_progress_artifact(
                    self.artifact_id, progress=percent, description=description
                )
        except Exception as exc:  # progress is for watching: it never fails a rip
            self.publishing = False
            self.logger.warning("%s: progress no longer shown in Prefect: %s", self.key, exc)


@contextlib.contextmanager
def reporting(progress: Progress, key: str) -> Iterator[StepReporter]:
    """Report a step's progress from inside its task run; done or stopped at its end."""
    reporter = StepReporter(progress, key, get_run_logger())
    try:
        yield reporter
    except Exception:
        reporter.fail()
        raise
    reporter.finish()


@dataclass(frozen=True)
class StepProgress:
    task_run_id: UUID
    percent: float
    description: str


def runs_progress(client: SyncPrefectClient, tag: str) -> list[StepProgress]:
    """The latest progress of every step in the flow runs tagged ``tag`` and their child
    runs (in this process or deployment runs on other hosts), oldest first."""
    tagged = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag]))
    )
    if not tagged:
        return []
    parents = [run.id for run in tagged]
    children = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=parents))
    )
    runs = list(dict.fromkeys([*parents, *(run.id for run in children)]))
    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(
            type=ArtifactFilterType(any_=["progress"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=runs),
        ),
        sort=ArtifactSort.CREATED_DESC,
    )
    latest: dict[UUID, Artifact] = {}  # a retry's artifact replaces the attempt's before it
    for artifact in artifacts:
        latest.setdefault(artifact.task_run_id or artifact.id, artifact)
    return [
        StepProgress(step, float(artifact.data or 0), artifact.description or "")
        for step, artifact in reversed(latest.items())
    ]
