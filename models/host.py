"""A host as operators see it: what it does, whether it is there, and how it has done."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Host(BaseModel):
    name: str
    roles: list[str] = Field(default_factory=list, description="drive, transcode")
    status: Literal["online", "offline"]
    last_heartbeat: datetime | None = None
    drives: list[str] = Field(default_factory=list)
    encoders: list[str] = Field(default_factory=list)
    workers: list[str] = Field(default_factory=list, description="Prefect workers, pool/name")
    jobs_done: int = 0
    transcode_speed: float | None = Field(
        default=None, description="mean transcode speed, times real time"
    )
