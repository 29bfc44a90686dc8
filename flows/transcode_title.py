"""The transcode host's flow: one ripped title, transcoded and filed in the library."""

from __future__ import annotations

from prefect import flow, get_run_logger

from boz.errors import JobHeld
from boz.settings import Settings
from boz.tasks.steps import encode_title, organize_title


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
    try:
        encode_title(disc_id, title_index, settings, profile, position)
        return str(organize_title(disc_id, title_index, settings))
    except JobHeld as held:  # a second hand-over of the title: the live one files it
        get_run_logger().info("%s", held)
        return str(held)
