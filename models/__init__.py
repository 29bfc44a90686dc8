"""Pydantic models: the domain's API between the database, the pipeline, flows and the CLI.

ORM rows never leave ``boz.db``; everything else speaks these models.
"""

from boz.models.disc import (
    Disc,
    DiscKind,
    DiscStatus,
    ExtraKind,
    PreviewStatus,
    Stream,
    Title,
    TitleRole,
)
from boz.models.host import Host
from boz.models.job import Job, JobKind, JobStatus
from boz.models.plan import (
    AutoApprove,
    Confidence,
    Decision,
    PlannedTitle,
    Preview,
    RipRequest,
    Role,
    StoredDecision,
    TitleChoice,
)
from boz.models.season import Season

__all__ = [
    "AutoApprove",
    "Confidence",
    "Decision",
    "Disc",
    "DiscKind",
    "DiscStatus",
    "ExtraKind",
    "Host",
    "Job",
    "JobKind",
    "JobStatus",
    "PlannedTitle",
    "Preview",
    "PreviewStatus",
    "RipRequest",
    "Role",
    "Season",
    "StoredDecision",
    "Stream",
    "Title",
    "TitleChoice",
    "TitleRole",
]
