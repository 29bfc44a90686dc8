"""Organize: put a finished title into the library under its Plex/Jellyfin name.

A file lands whole or not at all: it is first moved (or copied, across filesystems)
to a hidden temporary name in the destination folder, then hard-linked to its final
name, which fails instead of replacing a file that is already there. Nothing is ever
overwritten; a different file at the destination is a conflict the operator resolves.
"""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
import uuid
from pathlib import Path, PurePosixPath

from boz.db import store
from boz.db.engine import Database
from boz.errors import LibraryConflict, NeedsDecision
from boz.models import DiscStatus, JobKind, Preview
from boz.pipeline import lifecycle
from boz.pipeline.jobs import Runner, run_job
from boz.pipeline.naming import destination
from boz.pipeline.preview import build_preview
from boz.pipeline.staging import clean_disc, clean_title
from boz.pipeline.transcode import staged_input
from boz.settings import Settings


def place(staged: Path, library: Path, relative: PurePosixPath) -> Path:
    """Move ``staged`` to ``library/relative`` without ever replacing an existing file."""
    target = library.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return _already_there(staged, target)
    temp = target.with_name(f".{target.stem[:80]}.{uuid.uuid4().hex[:8]}.boz-part")
    _move(staged, temp)
    try:
        _link_no_replace(temp, target)
    except FileExistsError:
        _move(temp, staged)  # give the file back rather than lose it
        return _already_there(staged, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def _already_there(staged: Path, target: Path) -> Path:
    if target.stat().st_size == staged.stat().st_size and filecmp.cmp(
        staged, target, shallow=False
    ):
        staged.unlink()
        return target
    raise LibraryConflict(f"{target} already exists and differs; not overwriting it")


def _move(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copyfile(source, target)
        with open(target, "rb") as f:
            os.fsync(f.fileno())
        source.unlink()


def _link_no_replace(temp: Path, target: Path) -> None:
    try:
        os.link(temp, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        # No hard links here (some network shares): rename, after checking once more.
        if target.exists():
            raise FileExistsError(target) from exc
        os.rename(temp, target)


def organize_title(
    db: Database,
    settings: Settings,
    disc_id: int,
    title_index: int,
    runner: Runner,
) -> Path:
    with db.session() as s:
        disc = store.get_disc(s, disc_id)
    title = next(t for t in disc.titles if t.index == title_index)
    relative = destination(disc, title)
    if relative is None:
        raise NeedsDecision(f"disc {disc.label}: title {title_index} has no library name yet")
    library = settings.library_dir

    def work() -> Path:
        transcoded = staged_input(db, settings, disc_id, title_index, JobKind.transcode)
        return place(transcoded, library, relative)

    placed = run_job(
        db,
        disc_id=disc_id,
        title_index=title_index,
        kind=JobKind.organize,
        runner=runner,
        root=library,
        work=work,
    )
    clean_title(settings.staging_dir, disc_id, title_index)
    with db.session() as s:
        done = store.disc_status(s, disc_id) is DiscStatus.done
    if done:
        clean_disc(settings.staging_dir, disc_id)
    return placed


def disc_outcome(db: Database, disc_id: int, library: Path) -> Preview:
    """The disc as its jobs left it, with what is in the library now."""
    with db.session() as s:
        lifecycle.roll_up(s, disc_id)
        return build_preview(s, disc_id, library)
