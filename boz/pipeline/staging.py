"""Where a disc's titles wait between steps, and how a step's file appears there whole.

Every host mounts the same ``BOZ_STAGING`` (a NAS when rips and transcodes run on
different hosts), each wherever it likes: job rows store staged files relative to it.
Every step writes ``<name>.part`` and renames it when the tool finished and the result
passed verification, so a killed step leaves a ``.part`` file, never a file that looks
finished.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from boz.errors import StagingUnreachable


def root(staging: Path, host: str) -> Path:
    try:
        staging.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StagingUnreachable(
            f"BOZ_STAGING {staging} is not reachable from host {host} ({exc.strerror}): "
            "mount the shared staging folder there or set BOZ_STAGING"
        ) from exc
    return staging


def disc_dir(staging: Path, disc_id: int) -> Path:
    return staging / f"disc-{disc_id:05d}"


def staged_file(staging: Path, disc_id: int, title_index: int, step: str) -> Path:
    return disc_dir(staging, disc_id) / f"t{title_index:02d}.{step}.mkv"


def find(staging: Path, relative: str, host: str, what: str) -> Path:
    """A file an earlier step (perhaps on another host) left in staging."""
    path = staging / relative
    if not path.is_file():
        raise StagingUnreachable(
            f"{what} {relative} is not in BOZ_STAGING {staging} on host {host}: every host "
            "must mount the same staging folder"
        )
    return path


def produce(target: Path, make: Callable[[Path], None]) -> Path:
    """Call ``make(part)`` then rename ``part`` to ``target``; remove ``part`` on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        make(part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def clean_title(staging: Path, disc_id: int, title_index: int) -> None:
    """The title's files only: the disc's next title may be ripping into its folder."""
    for f in disc_dir(staging, disc_id).glob(f"t{title_index:02d}.*"):
        f.unlink(missing_ok=True)


def clean_disc(staging: Path, disc_id: int) -> None:
    """The disc's folder, once every title is in the library (removing it as soon as it was
    empty raced the next rip, which had just made it)."""
    with contextlib.suppress(OSError):  # a title left in staging, e.g. after a conflict
        disc_dir(staging, disc_id).rmdir()
