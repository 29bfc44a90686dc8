"""Organize: put a finished title into the library under its Plex/Jellyfin name.

Placement is built so that a kill at any instant leaves the library in a state the
rerun recognises. The staged file stays where it is until the job is recorded done:
it is hard-linked (or, across filesystems, copied, synced and checked) to one hidden
temporary name per title, ``.<final name>.boz-part``, which every attempt removes first
and every failure removes last; the temporary file is then linked to its final name,
which fails rather than replace anything. So the library holds nothing, the temporary
file, or the whole final file, and the last is recognised as this title's: same inode,
same bytes, the identity (size and SHA-256) recorded in the job before linking, or the
same stream packets (a transcode run again differs only in its container header).

A different file at the final name is a collision, settled by ``BOZ_COLLISION``:
``skip`` keeps it and leaves this title out (the job is done, its details say why),
``keep-both`` places this title as ``<name> - copy N.mkv`` (Plex and Jellyfin read
the text after `` - `` as a version label of the same movie or episode), ``replace``
moves the old file aside to ``.<final name>.boz-old`` until the new one is in place,
and a rerun after a kill puts it back or finishes the replacement.

Names need 10 bytes beyond naming.MAX_COMPONENT_BYTES (``.`` and ``.boz-part``, or
`` - copy 99``), inside the 255 bytes a filesystem allows.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from boz.db import store
from boz.db.engine import Database
from boz.errors import (
    LibraryConflict,
    LibraryUnwritable,
    NeedsDecision,
    NoSpace,
    OutputInvalid,
    ToolFailed,
)
from boz.media.probe import media_url
from boz.media.runner import run_ffmpeg
from boz.models import DiscStatus, JobKind, Preview
from boz.pipeline import lifecycle
from boz.pipeline.jobs import Runner, run_job
from boz.pipeline.naming import destination
from boz.pipeline.preview import build_preview
from boz.pipeline.staging import clean_disc, clean_title
from boz.pipeline.transcode import staged_input
from boz.settings import Settings

Collision = Literal["skip", "keep-both", "replace"]
MAX_COPIES = 99
CHUNK = 1 << 20
_FULL = (errno.ENOSPC, errno.EDQUOT)
_UNWRITABLE = (errno.EACCES, errno.EROFS, errno.EPERM)
_NO_LINKS = (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK)


class Outcome(StrEnum):
    placed = "placed"
    already_there = "already there"
    skipped = "skipped"
    kept_both = "kept both"
    replaced = "replaced"


@dataclass(frozen=True)
class Identity:
    """A file's size and SHA-256: what the title's library file must be."""

    size: int
    sha256: str

    def details(self) -> dict[str, object]:
        return {"size": self.size, "sha256": self.sha256}

    @classmethod
    def from_details(cls, found: object) -> Identity | None:
        if not isinstance(found, Mapping):
            return None
        size, digest = found.get("size"), found.get("sha256")
        if isinstance(size, int) and isinstance(digest, str):
            return cls(size, digest)
        return None


@dataclass(frozen=True)
class Placed:
    path: Path
    outcome: Outcome
    note: str | None = None


def place(
    staged: Path,
    library: Path,
    relative: PurePosixPath,
    *,
    collision: Collision = "skip",
    known: Identity | None = None,
    record: Callable[[Identity], None] = lambda identity: None,
    ffmpeg: str = "ffmpeg",
    stall_seconds: float = 120.0,
) -> Placed:
    """Put ``staged`` at ``library/relative`` (or settle the collision); ``staged`` is
    left for the caller to remove once it has recorded the outcome.

    ``known``: the identity an earlier attempt recorded through ``record``, which is
    called before the file gets its final name."""
    target = library.joinpath(*relative.parts)
    folder = target.parent
    temp = folder / f".{target.name}.boz-part"
    ours = _Ours(staged, known, ffmpeg, stall_seconds)
    with _library_errors(folder, staged.name):
        folder.mkdir(parents=True, exist_ok=True)
        temp.unlink(missing_ok=True)
        try:
            return _place(target, temp, collision, ours, record)
        finally:
            temp.unlink(missing_ok=True)


def _place(
    target: Path, temp: Path, collision: Collision, ours: _Ours, record: Callable[[Identity], None]
) -> Placed:
    aside = target.with_name(f".{target.name}.boz-old")
    _settle_replace(target, aside, ours)
    if not target.exists():
        return Placed(_put(ours, temp, target, record), Outcome.placed)
    if ours(target):
        return Placed(target, Outcome.already_there)
    if collision == "skip":
        note = (
            f"{target} already holds a different file: kept it and left this title out "
            "(BOZ_COLLISION=skip; keep-both or replace would place it)"
        )
        return Placed(target, Outcome.skipped, note)
    if collision == "keep-both":
        return _keep_both(target, temp, ours, record)
    _stage(ours, temp, record)
    os.rename(target, aside)
    try:
        _link_no_replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):  # else the next attempt puts it back
            _link_no_replace(aside, target)
            aside.unlink(missing_ok=True)  # a rename in place of the link took it
        raise
    aside.unlink()
    note = f"{target} held a different file: replaced it (BOZ_COLLISION=replace)"
    return Placed(target, Outcome.replaced, note)


def _settle_replace(target: Path, aside: Path, ours: _Ours) -> None:
    """An old file a killed replacement moved aside: back in place unless the new one
    made it there."""
    if not aside.exists():
        return
    if not target.exists():
        _link_no_replace(aside, target)
    elif not (aside.samefile(target) or ours(target)):
        raise LibraryConflict(
            f"{target.parent} holds both {target.name} and {aside.name} (the file an "
            "interrupted replacement moved aside): keep one of them under the first name, "
            "delete the other and run again"
        )
    aside.unlink(missing_ok=True)  # a rename in place of the link took it


def _keep_both(target: Path, temp: Path, ours: _Ours, record: Callable[[Identity], None]) -> Placed:
    for n in range(2, MAX_COPIES + 1):
        copy = target.with_name(f"{target.stem} - copy {n}{target.suffix}")
        if not copy.exists():
            _put(ours, temp, copy, record)
        elif not ours(copy):
            continue
        note = f"{target} held a different file: placed this title as {copy.name}"
        return Placed(copy, Outcome.kept_both, note)
    raise LibraryConflict(
        f"{target} and {MAX_COPIES - 1} copies of it are different files: "
        "clear some of them and run again"
    )


def _put(ours: _Ours, temp: Path, final: Path, record: Callable[[Identity], None]) -> Path:
    _stage(ours, temp, record)
    try:
        _link_no_replace(temp, final)
    except FileExistsError as exc:
        raise LibraryConflict(
            f"{final} appeared while this title was being placed: run again"
        ) from exc
    return final


def _stage(ours: _Ours, temp: Path, record: Callable[[Identity], None]) -> None:
    """The staged file at ``temp`` (linked, or copied and checked), its identity recorded."""
    try:
        os.link(ours.staged, temp)
        identity = ours.identity
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        identity = _copy(ours.staged, temp)
    record(identity)


def _copy(staged: Path, temp: Path) -> Identity:
    """Across filesystems: copy, sync, then read the copy back before it may be linked."""
    digest = hashlib.sha256()
    with staged.open("rb") as src, temp.open("xb") as dst:
        _copy_into(src, dst, digest)
        dst.flush()
        os.fsync(dst.fileno())
        size = os.fstat(src.fileno()).st_size
    identity = Identity(size, digest.hexdigest())
    if temp.stat().st_size != size or _sha256(temp) != identity.sha256:
        raise OutputInvalid(
            f"the copy of {staged.name} in {temp.parent} differs from the staged file; "
            "it was removed and will be copied again"
        )
    return identity


def _copy_into(src: BinaryIO, dst: BinaryIO, digest: hashlib._Hash) -> None:
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        dst.write(chunk)


def _link_no_replace(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        # No hard links here (some network shares): rename, after checking once more.
        if target.exists():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), target) from exc
        os.rename(source, target)


class _Ours:
    """Whether a file in the library is this title's, cheapest test first."""

    def __init__(self, staged: Path, known: Identity | None, ffmpeg: str, stall: float) -> None:
        self.staged = staged
        self.known = known
        self._ffmpeg = ffmpeg
        self._stall = stall

    @cached_property
    def identity(self) -> Identity:
        return Identity(self.staged.stat().st_size, _sha256(self.staged))

    @cached_property
    def _streams(self) -> str | None:
        return _stream_hashes(self.staged, self._ffmpeg, self._stall)

    def __call__(self, found: Path) -> bool:
        there, mine = found.stat(), self.staged.stat()
        if os.path.samestat(there, mine):
            return True
        sizes = {mine.st_size, *([self.known.size] if self.known else [])}
        if there.st_size in sizes:
            digest = _sha256(found)
            if self.known and digest == self.known.sha256:
                return True
            if there.st_size == mine.st_size and digest == self.identity.sha256:
                return True
        streams = self._streams
        return streams is not None and _stream_hashes(found, self._ffmpeg, self._stall) == streams


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stream_hashes(path: Path, ffmpeg: str, stall_seconds: float) -> str | None:
    """SHA-256 of each stream's packets (container headers, tags and chapters aside);
    None when ffmpeg cannot read the file, which is then no copy of ours."""
    with tempfile.TemporaryDirectory(prefix="boz-streamhash-") as tmp:
        out = Path(tmp) / "streams.txt"
        args = [ffmpeg, "-i", media_url(path), "-map", "0", "-map", "-0:t"]
        args += ["-c", "copy", "-f", "streamhash", media_url(out)]
        try:
            run_ffmpeg(args, stall_seconds=stall_seconds)
        except ToolFailed:
            return None
        return out.read_text()


@contextlib.contextmanager
def _library_errors(folder: Path, what: str) -> Iterator[None]:
    """A full or read-only library as the error a user acts on (neither passes on retry)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL:
            raise NoSpace(
                f"no space for {what} in the library folder {folder} ({exc.strerror}): "
                "free space there and run again"
            ) from exc
        if exc.errno in _UNWRITABLE:
            raise LibraryUnwritable(
                f"this host cannot write in the library folder {folder} ({exc.strerror}): "
                f"make it writable for uid {os.geteuid()} (mounted read-write), or set "
                "BOZ_LIBRARY to a folder it can write"
            ) from exc
        raise


def organize_title(
    db: Database,
    settings: Settings,
    disc_id: int,
    title_index: int,
    runner: Runner,
) -> Placed:
    """The title in the library, or left out by the collision policy (``note`` says why),
    once; a rerun after the job is done returns what it recorded."""
    with db.session() as s:
        disc = store.get_disc(s, disc_id)
    title = next(t for t in disc.titles if t.index == title_index)
    relative = destination(disc, title, ids=settings.library_ids)
    if relative is None:
        raise NeedsDecision(f"disc {disc.label}: title {title_index} has no library name yet")
    library = settings.library_dir

    def record(**details: object) -> None:
        with db.session() as s:
            store.record_job_details(s, disc_id, title_index, JobKind.organize, **details)

    def work() -> Path:
        transcoded = staged_input(db, settings, disc_id, title_index, JobKind.transcode)
        with db.session() as s:
            earlier = store.job_details(s, disc_id, title_index, JobKind.organize)
        placed = place(
            transcoded,
            library,
            relative,
            collision=settings.collision,
            known=Identity.from_details(earlier.get("staged")),
            record=lambda identity: record(staged=identity.details()),
            ffmpeg=settings.ffmpeg,
            stall_seconds=settings.stall_seconds,
        )
        record(outcome=placed.outcome.value, note=placed.note)
        return placed.path

    path = run_job(
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
    with db.session() as s:
        details = store.job_details(s, disc_id, title_index, JobKind.organize)
    outcome = details.get("outcome", Outcome.placed)
    note = details.get("note")
    return Placed(path, Outcome(outcome), note if isinstance(note, str) else None)


def disc_outcome(db: Database, disc_id: int, library: Path, *, ids: bool = False) -> Preview:
    """The disc as its jobs left it, with what is in the library now."""
    with db.session() as s:
        lifecycle.roll_up(s, disc_id)
        return build_preview(s, disc_id, library, ids=ids)
