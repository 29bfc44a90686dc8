"""Transcode: re-encode a ripped title's video, keeping every audio and subtitle stream.

It may run on another host than the rip: the ripped file is found through its job row,
relative to this host's BOZ_STAGING.
"""

from __future__ import annotations

from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.errors import StepNotDone
from boz.media.commands import transcode_args
from boz.media.probe import probe
from boz.media.runner import ProgressCallback, run_ffmpeg
from boz.media.verify import verify_output
from boz.models import JobKind
from boz.pipeline import staging
from boz.pipeline.jobs import Runner, run_job
from boz.settings import Settings


def staged_input(
    db: Database, settings: Settings, disc_id: int, title_index: int, kind: JobKind
) -> Path:
    """The file the step ``kind`` left in staging for this title."""
    with db.session() as s:
        relative = store.job_output(s, disc_id, title_index, kind)
    if relative is None:
        raise StepNotDone(f"title {title_index} of disc {disc_id} has no {kind.value} yet")
    root = staging.root(settings.staging_dir, settings.host_name)
    return staging.find(root, relative, settings.host_name, f"the {kind.value} file")


def transcode_title(
    db: Database,
    settings: Settings,
    disc_id: int,
    title_index: int,
    runner: Runner,
    on_progress: ProgressCallback | None = None,
) -> Path:
    root = staging.root(settings.staging_dir, settings.host_name)
    target = staging.staged_file(root, disc_id, title_index, "transcoded")

    def make(part: Path) -> None:
        ripped = staged_input(db, settings, disc_id, title_index, JobKind.rip)
        source = probe(ripped, ffprobe=settings.ffprobe, count_packets=True)
        args = transcode_args(
            ripped,
            part,
            ffmpeg_path=settings.ffmpeg,
            encoder=settings.video_encoder,
            crf=settings.crf,
            preset=settings.x264_preset,
        )
        run_ffmpeg(
            args,
            stall_seconds=settings.stall_seconds,
            expected_duration_s=source.duration_s,
            on_progress=on_progress,
        )
        verify_output(part, source, ffprobe=settings.ffprobe, video_streams=1)

    return run_job(
        db,
        disc_id=disc_id,
        title_index=title_index,
        kind=JobKind.transcode,
        runner=runner,
        root=root,
        work=lambda: staging.produce(target, make),
        later={JobKind.organize: settings.library_dir},
    )
