"""One unit of work on one title: a rip, a transcode or an organize."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class JobKind(StrEnum):
    rip = "rip"
    transcode = "transcode"
    organize = "organize"


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class Job(BaseModel):
    id: int
    kind: JobKind
    status: JobStatus
    disc_id: int
    title_id: int
    title_index: int
    host: str | None = None
    holder: str | None = Field(default=None, description="who runs it now, while running")
    flow_run_id: str | None = None
    output_path: str | None = None
    error: str | None = None
    attempts: int = 0
    created: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="what the step found and did (source checks, fit, placement)",
    )
