"""Library paths in Plex/Jellyfin naming, made safe for any filesystem a library sits on.

``Movies/Title (Year)/Title (Year).mkv`` and ``TV/Show (Year)/Season 01/Show (Year) -
S01E09.mkv``. Names are cleaned in layers: characters Windows/Samba cannot hold are
replaced, control characters and leading/trailing dots and spaces removed, and each
component is cut to a byte length every filesystem accepts.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from boz.models import Disc, DiscKind, Title, TitleRole

MAX_COMPONENT_BYTES = 240
_ILLEGAL = re.compile(r'[<>"/\\|?*\x00-\x1f\x7f]')


def clean(name: str, *, fallback: str = "Untitled") -> str:
    name = unicodedata.normalize("NFC", name)
    name = name.replace(":", " -")
    name = _ILLEGAL.sub(" ", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name or fallback


def _fit(stem: str, suffix: str = "") -> str:
    """Cut ``stem`` so that stem + suffix fits MAX_COMPONENT_BYTES, on a character boundary."""
    budget = MAX_COMPONENT_BYTES - len(suffix.encode())
    data = stem.encode()[:budget]
    return data.decode(errors="ignore").rstrip(" .") + suffix


def _with_year(name: str, year: int | None) -> str:
    return f"{clean(name)} ({year})" if year else clean(name)


def episode_code(season: int, episodes: list[int]) -> str:
    code = f"S{season:02d}E{episodes[0]:02d}"
    return code + (f"-E{episodes[-1]:02d}" if len(episodes) > 1 else "")


def destination(disc: Disc, title: Title) -> PurePosixPath | None:
    """Where ``title`` goes inside the library, or None while the disc lacks a name."""
    if not title.selected:
        return None
    if disc.kind is DiscKind.movie and disc.movie_title:
        base = _with_year(disc.movie_title, disc.year)
        folder = PurePosixPath("Movies", _fit(base))
    elif disc.kind is DiscKind.tv and disc.show and disc.season is not None:
        base = _with_year(disc.show, disc.year)
        folder = PurePosixPath("TV", _fit(base), f"Season {disc.season:02d}")
        if title.role is TitleRole.episode and title.episodes:
            name = f"{base} - {episode_code(disc.season, title.episodes)}"
            if title.episode_names:
                name += " - " + clean(" & ".join(title.episode_names))
            return folder / _fit(name, ".mkv")
    else:
        return None
    if title.role is TitleRole.main_feature:
        return folder / _fit(base, ".mkv")
    return folder / "Extras" / _fit(f"{base} - Extra t{title.index:02d}", ".mkv")
