"""Rip: one title from the source into staging, verified before it counts as ripped."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.media.runner import ProgressCallback
from boz.models import JobKind
from boz.pipeline import staging
from boz.pipeline.jobs import Runner, run_job
from boz.settings import Settings
from boz.sources import open_source

DriveSlot = Callable[[str], AbstractContextManager[object]]


def no_drive_slot(source_spec: str) -> AbstractContextManager[object]:
    return contextlib.nullcontext()


def rip_title(
    db: Database,
    settings: Settings,
    disc_id: int,
    title_index: int,
    runner: Runner,
    on_progress: ProgressCallback | None = None,
    drive_slot: DriveSlot = no_drive_slot,
) -> Path:
    """``drive_slot(source)`` is held around the read only (one read per drive, everywhere),
    so the drive is free again as soon as the title is off the disc."""
    with db.session() as s:
        disc = store.get_disc(s, disc_id)
    title = next(t for t in disc.titles if t.index == title_index)
    root = staging.root(settings.staging_dir, settings.host_name)
    target = staging.staged_file(root, disc_id, title_index, "rip")

    def work() -> Path:
        # The same --minlength as the scan: MakeMKV's title numbers depend on it.
        source = open_source(disc.source, settings, minlength=disc.scan_minlength)

        def read(part: Path) -> None:
            with drive_slot(source.spec):
                source.rip(title, part, on_progress=on_progress)

        return staging.produce(target, read)

    return run_job(
        db,
        disc_id=disc_id,
        title_index=title_index,
        kind=JobKind.rip,
        runner=runner,
        root=root,
        work=work,
        later={JobKind.transcode: root, JobKind.organize: settings.library_dir},
    )
