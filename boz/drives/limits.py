"""The name of a drive's Prefect global concurrency limit: one read per drive, everywhere.

Prefect names may not contain ``/``, so a device is named by its last part:
``dev:/dev/sr0`` on host ``ripper1`` is ``drive:ripper1:sr0``; MakeMKV's ``disc:0`` is
``drive:ripper1:disc0``. Images and folders are no drive and have no limit.
"""

from __future__ import annotations

from pathlib import PurePosixPath


def drive_limit_name(host: str, source: str) -> str | None:
    kind, _, where = source.partition(":")
    if kind == "dev" and where:
        return f"drive:{host}:{PurePosixPath(where).name}"
    if kind == "disc" and where:
        return f"drive:{host}:disc{where}"
    return None
