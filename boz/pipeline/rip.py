"""Rip: copy one title from the source into staging, verified against the source."""

from __future__ import annotations

from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.media.probe import probe
from boz.media.verify import verify_output
from boz.models import JobKind
from boz.pipeline.jobs import Runner, run_job
from boz.pipeline.staging import produce, staged_file
from boz.settings import Settings
from boz.sources.folder import open_source


def rip_title(
    db: Database, settings: Settings, disc_id: int, title_index: int, runner: Runner
) -> Path:
    with db.session() as s:
        spec = store.get_disc(s, disc_id).source
    target = staged_file(settings.staging_dir, disc_id, title_index, "rip")

    def work() -> Path:
        source = open_source(spec)

        def make(part: Path) -> None:
            original = source.rip(
                title_index, part, ffmpeg=settings.ffmpeg, stall_seconds=settings.stall_seconds
            )
            expected = probe(original, ffprobe=settings.ffprobe, count_packets=True)
            verify_output(part, expected, ffprobe=settings.ffprobe)

        return produce(target, make)

    return run_job(
        db, disc_id=disc_id, title_index=title_index, kind=JobKind.rip, runner=runner, work=work
    )
