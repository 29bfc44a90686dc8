"""Transcode: a ripped title made into what its profile says, fitted to the source.

It may run on another host than the rip: the ripped file is found through its job row,
relative to this host's BOZ_STAGING. What the source analysis found and what the profile
chose go into the job row before ffmpeg starts, so a failed encode still shows them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.errors import StepNotDone
from boz.media.analyze import Measured, SourceFit, analyze
from boz.media.commands import remux_args, transcode_args
from boz.media.encoders import EncoderChoice, Trials, choose, usable_encoders
from boz.media.probe import MediaInfo, probe
from boz.media.profiles import KeptStreams, Profile, kept_streams, resolve
from boz.media.runner import ProgressCallback, run_ffmpeg
from boz.media.verify import source_info_from_details, verify_output
from boz.models import JobKind
from boz.pipeline import staging
from boz.pipeline.jobs import Runner, run_job
from boz.settings import Settings

Log = Callable[[str], None]


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
    profile: str | None = None,
    log: Log | None = None,
    trials: Trials | None = None,
) -> Path:
    """Transcode with the profile named ``profile`` (default: the run's, BOZ_PROFILE);
    ``log`` gets one line per decision, for the run log."""
    root = staging.root(settings.staging_dir, settings.host_name)
    target = staging.staged_file(root, disc_id, title_index, "transcoded")
    name = profile or settings.profile

    def say(line: str) -> None:
        if log is not None:
            log(f"title {title_index}: {line}")

    def make(part: Path) -> None:
        ripped = staged_input(db, settings, disc_id, title_index, JobKind.rip)
        with db.session() as s:
            found = store.job_details(s, disc_id, title_index, JobKind.rip)
        # The rip's check demuxed it already; a rip without that record is probed here.
        source = source_info_from_details(found, ripped) or probe(
            ripped, ffprobe=settings.ffprobe, count_packets=True
        )
        measured = Measured.from_details(found.get("measured"))
        chosen = plan(settings, source, part, name, measured, trials)
        with db.session() as s:
            store.record_job_details(s, disc_id, title_index, JobKind.transcode, **chosen.details())
        for line in chosen.lines():
            say(line)
        began = time.monotonic()
        run_ffmpeg(
            chosen.args,
            stall_seconds=settings.stall_seconds,
            expected_duration_s=source.duration_s,
            expected_frames=chosen.expected.packets("video"),
            on_progress=on_progress,
            nice=settings.transcode_nice,  # the drive and the hand-overs must not wait on it
        )
        encoded = round(time.monotonic() - began, 2)  # the job's time, less what wraps it
        verify_output(
            part,
            chosen.expected,
            ffprobe=settings.ffprobe,
            ffmpeg=settings.ffmpeg,
            video_streams=1,
            decode=settings.verify_decode,
            stall_seconds=settings.stall_seconds,
        )
        with db.session() as s:
            store.record_job_details(
                s, disc_id, title_index, JobKind.transcode, encode_seconds=encoded
            )

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


@dataclass(frozen=True)
class Plan:
    """One title's transcode as decided: the ffmpeg command, what its output must hold,
    and the decisions behind them for the run log and the job row."""

    name: str
    profile: Profile
    source: MediaInfo
    kept: KeptStreams
    encoder: EncoderChoice | None  # None: a remux
    fit: SourceFit | None
    args: list[str]

    @property
    def expected(self) -> MediaInfo:
        return expected_output(self.source, self.kept, self.fit)

    def details(self) -> dict[str, object]:
        return {
            "profile": self.name,
            "encoder": self.encoder.encoder if self.encoder else "copy",
            "encoder_fallback": self.encoder.fallback_reason if self.encoder else None,
            "fit": self.fit.summary() if self.fit is not None else None,
            "notes": list(self.kept.notes),
        }

    def lines(self) -> list[str]:
        lines = [describe(self.name, self.profile, self.encoder, self.source, self.kept)]
        if self.encoder is not None and self.encoder.fallback_reason:
            lines.append(f"software encoder {self.encoder.encoder}: {self.encoder.fallback_reason}")
        lines.append(f"fit: {self.fit.describe()}" if self.fit else "fit: none (remux only)")
        return [*lines, *self.kept.notes]


def plan(
    settings: Settings,
    source: MediaInfo,
    target: Path,
    name: str | None = None,
    measured: Measured | None = None,
    trials: Trials | None = None,
) -> Plan:
    """Decide how ``source`` becomes ``target`` under the profile ``name`` (default: the
    run's) on this host: its encoder (from the host's trials), the source's fit (from
    ``measured``, the rip's sampling, when it covers this host's switches)."""
    name = name or settings.profile
    profile = resolve(settings, name)
    kept = kept_streams(profile, source)
    if profile.codec == "copy":
        args = remux_args(source, target, ffmpeg_path=settings.ffmpeg, profile=profile)
        return Plan(name, profile, source, kept, None, None, args)
    trials = trials or usable_encoders(settings)
    encoder = choose(profile.codec, profile.hardware, trials.usable, trials.reasons)
    fit = analyze(source.path, source.duration_s, settings, measured)
    args = transcode_args(
        source,
        target,
        ffmpeg_path=settings.ffmpeg,
        profile=profile,
        encoder=encoder,
        fit=fit,
        vaapi_device=settings.vaapi_device,
    )
    return Plan(name, profile, source, kept, encoder, fit, args)


def expected_output(source: MediaInfo, kept: KeptStreams, fit: SourceFit | None) -> MediaInfo:
    """What the output is verified against: the kept streams only, and as many video
    packets as the filters make frames of the source's (inverse telecine drops 1 in 5)."""
    packets = kept.video.packets
    if fit is not None and packets is not None:
        packets = fit.frames_out(packets)
    video = dataclasses.replace(kept.video, packets=packets)
    return dataclasses.replace(source, streams=(video, *kept.audio, *kept.subtitles))


def describe(
    name: str, profile: Profile, encoder: EncoderChoice | None, source: MediaInfo, kept: KeptStreams
) -> str:
    """The profile as applied, in one line: codec and encoder settings, streams kept."""
    if encoder is None:
        made = "remux"
    else:
        made = f"{profile.codec} via {encoder.encoder}, quality {profile.quality}"
        made += f", preset {profile.preset or 'default'}"
        if profile.max_height is not None:
            made += f", at most {profile.max_height} lines"
    audio = f"{len(kept.audio)} of {source.count('audio')} audio"
    subtitles = f"{len(kept.subtitles)} of {source.count('subtitle')} subtitle"
    return f"profile {name}: {made}; keeps {audio} and {subtitles} streams"
