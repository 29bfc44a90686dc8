"""Where titles come from: a folder of title files, or a disc read through makemkvcon.

Every source can name itself (label, fingerprint), list its titles and rip one title
to a file; the pipeline needs nothing else from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from boz.errors import SourceNotFound
from boz.media.probe import MediaInfo
from boz.media.runner import ProgressCallback
from boz.models import Title
from boz.settings import Settings

MAKEMKV_SPEC = re.compile(r"^(disc|dev|iso|file):")


class DiscSource(Protocol):
    spec: str
    minlength: int | None

    @property
    def label(self) -> str: ...

    def fingerprint(self) -> str: ...

    def read_titles(self) -> list[Title]: ...

    def rip(
        self, title: Title, target: Path, *, on_progress: ProgressCallback | None
    ) -> MediaInfo | None:
        """Rip ``title`` to ``target``; returns what ``target`` must hold when the source
        knows it (a stream copy of a file), for the rip's check to compare."""
        ...


def normalize_spec(spec: str) -> str:
    """``disc:0``, ``dev:/dev/sr0``, ``iso:/x.iso``, ``file:/x/VIDEO_TS`` stay as they are;
    an ISO file, a DVD/Blu-ray folder structure or a device path becomes its MakeMKV form;
    anything else is a folder of title files (made absolute)."""
    if MAKEMKV_SPEC.match(spec):
        return spec
    path = Path(spec).expanduser()
    if spec.startswith("/dev/"):
        return f"dev:{spec}"
    if path.suffix.lower() == ".iso" and path.is_file():
        return f"iso:{path.resolve()}"
    if path.is_dir() and any((path / d).is_dir() for d in ("VIDEO_TS", "BDMV")):
        return f"file:{path.resolve()}"
    return str(path.resolve()) if path.exists() else spec


def open_source(spec: str, settings: Settings, *, minlength: int | None = None) -> DiscSource:
    from boz.sources.folder import FolderSource
    from boz.sources.makemkv.source import MakeMKVSource

    if not spec.strip():  # Path("") is the current folder: never rip that by accident
        raise SourceNotFound(
            "no source given: name a folder of titles, disc:N, dev:/dev/sr0 or iso:FILE"
        )
    spec = normalize_spec(spec)
    if MAKEMKV_SPEC.match(spec):
        return MakeMKVSource(spec, settings, minlength=minlength)
    return FolderSource(Path(spec), settings)
