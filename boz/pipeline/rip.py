"""Rip: one title from the source into staging, verified before it counts as ripped."""

from __future__ import annotations

from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.media.runner import ProgressCallback
from boz.models import JobKind
from boz.pipeline.jobs import Runner, run_job
from boz.pipeline.staging import produce, staged_file
from boz.settings import Settings
from boz.sources import open_source


def rip_title(
    db: Database,
    settings: Settings,
    disc_id: int,
    title_index: int,
    runner: Runner,
    on_progress: ProgressCallback | None = None,
) -> Path:
    with db.session() as s:
        disc = store.get_disc(s, disc_id)
    title = next(t for t in disc.titles if t.index == title_index)
    target = staged_file(settings.staging_dir, disc_id, title_index, "rip")

    def work() -> Path:
        # The same --minlength as the scan: MakeMKV's title numbers depend on it.
        source = open_source(disc.source, settings, minlength=disc.scan_minlength)
        return produce(target, lambda part: source.rip(title, part, on_progress=on_progress))

    return run_job(
        db, disc_id=disc_id, title_index=title_index, kind=JobKind.rip, runner=runner, work=work
    )
