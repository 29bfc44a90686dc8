"""Before the first rip: can this host write the library and staging, and is there room?

Without it a read-only library is found at organize, after an hour of ripping and encoding,
and a full disk half way through a disc. Both checks are cheap and certain to matter, so
they run once per disc, for the titles about to be ripped.

Space is what the selected titles need at most: staging holds every rip (a rip waits there
until its title is filed) and one transcoded file at a time, the library every title's
output. When both folders are on one filesystem the output is moved into the library by a
link, so it is counted once there: every rip plus every output.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from boz.errors import LibraryUnwritable, NoSpace
from boz.media.profiles import Profile
from boz.models import Title
from boz.settings import Settings

GB = 1e9


@dataclass(frozen=True)
class _Folder:
    path: Path
    setting: str
    need_bytes: int


def check(
    settings: Settings, titles: Sequence[Title], profile: Profile, *, library: bool = True
) -> None:
    """LibraryUnwritable or NoSpace, one line naming the folder and its setting, when
    ``titles`` (the ones about to be ripped) cannot be ripped, encoded with ``profile`` and
    filed on this host. ``library`` False: other hosts transcode and file them (a transcode
    deployment), so this host checks its staging only."""
    rips = sum(t.size_bytes for t in titles)
    outputs = [profile.expected_bytes(t.size_bytes) for t in titles]
    staging = _Folder(settings.staging_dir, "BOZ_STAGING", rips + max(outputs, default=0))
    _writable(staging, settings.host_name)
    if not library:
        _room(staging.path, f"BOZ_STAGING {staging.path}", staging.need_bytes, "BOZ_STAGING")
        return
    filed = _Folder(settings.library_dir, "BOZ_LIBRARY", sum(outputs))
    _writable(filed, settings.host_name)
    if staging.path.stat().st_dev == filed.path.stat().st_dev:
        where = f"BOZ_STAGING {staging.path} and BOZ_LIBRARY {filed.path} (one filesystem)"
        _room(filed.path, where, rips + sum(outputs), "either setting")
    else:
        for f in (staging, filed):
            _room(f.path, f"{f.setting} {f.path}", f.need_bytes, f.setting)


def _writable(folder: _Folder, host: str) -> None:
    """Create the folder if need be, then a file in it: only a write proves a write (a
    read-only mount, a root-squashed NAS or an ACL can each refuse what the mode allows)."""
    probe = folder.path / f".boz-write-test-{host}-{os.getpid()}"
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise LibraryUnwritable(
            f"{folder.setting} {folder.path} cannot be written on host {host} "
            f"({exc.strerror or exc}): make it writable for this user or set {folder.setting}"
        ) from exc


def _room(path: Path, where: str, need: int, setting: str) -> None:
    free = shutil.disk_usage(path).free
    if need > free:
        raise NoSpace(
            f"{where}: the selected titles need {need / GB:.1f} GB and {free / GB:.1f} GB "
            f"is free; free space or point {setting} at a larger disk"
        )
