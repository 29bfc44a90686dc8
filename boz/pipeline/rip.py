"""Rip: one title from the source into staging, verified before it counts as ripped.

A rip counts only once it is as long as its disc declared and demuxes cleanly: a damaged
read fails the title here (SourceDamaged), before anything is transcoded or filed. What the
check read (packet and stream counts, chapters, the real duration) stays with the rip's job
so the transcode does not demux the file again. A full disk is NoSpace, which is never
retried: a raw OSError would be.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.errors import NoSpace
from boz.media.analyze import measure_source
from boz.media.runner import ProgressCallback
from boz.media.verify import source_details, verify_source
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
                copied = source.rip(title, part, on_progress=on_progress)
            info = verify_source(
                part,
                declared_duration_s=title.duration_s,
                expected=copied,
                ffprobe=settings.ffprobe,
                title_label=f"title {title.index} ({title.name})",
                stall_seconds=settings.stall_seconds,
            )
            # Sampled here, once: the transcode (maybe on another host) decides from it.
            measured = measure_source(part, info.duration_s, settings)
            with db.session() as s:
                store.record_job_details(
                    s,
                    disc_id,
                    title_index,
                    JobKind.rip,
                    **source_details(info),
                    measured=measured.details(),
                )

        try:
            return staging.produce(target, read)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise NoSpace(
                f"BOZ_STAGING {root} is full on host {settings.host_name} ({exc.strerror}): "
                "free space there or set BOZ_STAGING"
            ) from exc

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
