"""The transcode host's flow: one ripped title, transcoded and filed in the library."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from prefect import flow, get_run_logger, tags

from boz.db import store
from boz.db.engine import open_database
from boz.errors import JobHeld
from boz.pipeline import run_labels
from boz.settings import Settings
from boz.tasks.runtime import label_run
from boz.tasks.steps import encode_title, organize_title

# Set by the ripping process' hand-over in the context its child runs start from: the
# in-process transcode slots. None (a deployment's run, or titles in line): no limit here.
TURNS: ContextVar[threading.Semaphore | None] = ContextVar("transcode_turns", default=None)


@contextlib.contextmanager
def encode_turn(log: Callable[[str], object]) -> Iterator[None]:
    """Hold one of this process' transcode slots for the encode only. A flow run takes up
    to a second to end once its work is done (Prefect joins its heartbeat thread), so a
    slot held for the whole run would leave the cores idle for that second between
    titles; the next title's run is already started and waiting here instead."""
    turns = TURNS.get()
    if turns is None:
        yield
        return
    if not turns.acquire(blocking=False):
        log("waiting for a transcode slot")
        turns.acquire()
    try:
        yield
    finally:
        turns.release()


@flow(name="transcode_title", flow_run_name="transcode disc {disc_id} title {title_index}")
def transcode_title(
    disc_id: int,
    title_index: int,
    library: str | None = None,
    profile: str | None = None,
    position: tuple[int, int] | None = None,
) -> str:
    """IDs only cross hosts: this host's settings say where staging and the library are
    (``library`` is for runs in the ripping process itself, which may have been given one).
    ``profile`` names a transcode profile; none: this host's BOZ_PROFILE. ``position``
    (2, 3): the title's place in its disc's run, for the progress shown."""
    settings = Settings.with_library(library)
    with open_database(settings.db_url).session() as s:
        disc = store.get_disc(s, disc_id)
    title = next(t for t in disc.titles if t.index == title_index)
    name = f"{run_labels.run_name(disc)}: t{title_index:02d} -> {run_labels.target(disc, title)}"
    try:
        with tags(*label_run(disc, settings.host_name, name)):
            encode = encode_title.with_options(
                task_run_name=run_labels.step_name("transcode", disc, title)
            )
            with encode_turn(get_run_logger().info):
                encode(disc_id, title_index, settings, profile, position)
            organize = organize_title.with_options(
                task_run_name=run_labels.step_name("organize", disc, title)
            )
            return str(organize(disc_id, title_index, settings))
    except JobHeld as held:  # a second hand-over of the title: the live one files it
        get_run_logger().info("%s", held)
        return str(held)
