"""One Prefect task per pipeline step: detect, preview, rip, transcode, organize.

Caching is off on purpose: idempotency comes from the job rows in the domain
database, which every host shares, not from Prefect's result cache. Each task takes
IDs and this host's settings (built by its own flow run, never sent across hosts).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from boz.db import store
from boz.db.engine import open_database
from boz.media.encoders import usable_encoders
from boz.media.profiles import resolve
from boz.models import Decision, Disc, Preview, RipRequest, Title
from boz.pipeline import detect, organize, preflight, rip, transcode
from boz.pipeline.preview import Planner
from boz.progress import Progress, step_label
from boz.render import preview_text
from boz.settings import Settings
from boz.tasks.progress import StepReporter, artifact_key, reporting
from boz.tasks.runtime import current_runner, drive_slot, transient_only

_retrying = {"retries": 2, "retry_delay_seconds": 3, "retry_condition_fn": transient_only}


@contextlib.contextmanager
def _progress(
    settings: Settings, disc_id: int, title_index: int, step: str, position: tuple[int, int] | None
) -> Iterator[StepReporter]:
    """The step's progress artifact: a rip counts the title's bytes (MB/s), a transcode
    its seconds (times real time). ``position`` (2, 3) shows as "2 of 3": only the flow
    knows a title's place in its run."""
    with open_database(settings.db_url).session() as s:
        title = next(t for t in store.get_disc(s, disc_id).titles if t.index == title_index)
    label = step_label(step, title_index, position)
    if step == "rip":
        progress = Progress.of_bytes(label, title.size_bytes)
    else:
        progress = Progress.of_media(label, title.duration_s)
    with reporting(progress, artifact_key(disc_id, title_index, step)) as report:
        yield report


@task(name="detect", cache_policy=NONE, **_retrying)
def detect_disc(source: str, settings: Settings) -> Disc:
    return detect.detect(open_database(settings.db_url), settings, source)


@task(name="preview", cache_policy=NONE, **_retrying)
def preview_disc(disc_id: int, request: RipRequest, settings: Settings) -> Preview:
    proposal = Planner.for_settings(settings, open_database(settings.db_url)).propose(
        disc_id, request
    )
    get_run_logger().info("preview\n%s", preview_text(proposal))
    return proposal


@task(name="decide", cache_policy=NONE, **_retrying)
def decide_disc(disc_id: int, decision: Decision, settings: Settings) -> Preview:
    """The operator's decision on a stored preview (from ``boz approve`` after a timeout)."""
    return Planner.for_settings(settings, open_database(settings.db_url)).decide(disc_id, decision)


@task(name="preflight", cache_policy=NONE)
def preflight_titles(titles: list[Title], settings: Settings, profile: str | None) -> None:
    """Before the first rip. Another host's transcodes file the titles with a deployment,
    so this host checks the library only when it files them itself."""
    preflight.check(
        settings,
        titles,
        resolve(settings, profile),
        library=not settings.transcode_deployment,
    )


@task(name="rip", cache_policy=NONE, **_retrying)
def rip_title(
    disc_id: int, title_index: int, settings: Settings, position: tuple[int, int] | None = None
) -> Path:
    with _progress(settings, disc_id, title_index, "rip", position) as report:
        return rip.rip_title(
            open_database(settings.db_url),
            settings,
            disc_id,
            title_index,
            current_runner(settings),
            on_progress=report,
            drive_slot=drive_slot(settings),
        )


@task(name="transcode", cache_policy=NONE, **_retrying)
def encode_title(
    disc_id: int,
    title_index: int,
    settings: Settings,
    profile: str | None = None,
    position: tuple[int, int] | None = None,
) -> Path:
    trials = usable_encoders(settings)  # once: the host reports them, the plan chooses
    with _progress(settings, disc_id, title_index, "transcode", position) as report:
        return transcode.transcode_title(
            open_database(settings.db_url),
            settings,
            disc_id,
            title_index,
            current_runner(settings, encoders=trials.usable),
            on_progress=report,
            profile=profile,
            log=get_run_logger().info,
            trials=trials,
        )


@task(name="organize", cache_policy=NONE, **_retrying)
def organize_title(disc_id: int, title_index: int, settings: Settings) -> Path:
    placed = organize.organize_title(
        open_database(settings.db_url), settings, disc_id, title_index, current_runner(settings)
    )
    if placed.note:
        get_run_logger().warning("title %d: %s", title_index, placed.note)
    else:
        get_run_logger().info("title %d -> %s", title_index, placed.path)
    return placed.path
