"""Transcode: re-encode a ripped title's video, keeping every audio and subtitle stream."""

from __future__ import annotations

from pathlib import Path

from boz.db.engine import Database
from boz.media.commands import transcode_args
from boz.media.probe import probe
from boz.media.runner import ProgressCallback, run_ffmpeg
from boz.media.verify import verify_output
from boz.models import JobKind
from boz.pipeline.jobs import Runner, run_job
from boz.pipeline.staging import produce, staged_file
from boz.settings import Settings


def transcode_title(
    db: Database,
    settings: Settings,
    disc_id: int,
    title_index: int,
    ripped: Path,
    runner: Runner,
    on_progress: ProgressCallback | None = None,
) -> Path:
    target = staged_file(settings.staging_dir, disc_id, title_index, "transcoded")

    def make(part: Path) -> None:
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
        work=lambda: produce(target, make),
    )
