"""Library paths in Plex/Jellyfin naming, legal on any filesystem a library sits on.

The layout, in the form both servers document::

    TV/Show (Year) [tvdbid-N]/Season 01/Show (Year) - S01E05-E06 - Name.mkv
    TV/Show (Year)/Season 00/Show (Year) - S00E01.mkv          (specials)
    TV/Show (Year)/Featurettes/Name.mkv                         (extras)
    Movies/Title (Year)/Title (Year).mkv
    Movies/Title (Year)/Deleted Scenes/Name.mkv                 (extras)

**Extras** go into the kind folders that both servers read (never ``Extras/``, which Plex
ignores). A show's extras sit in the show folder: Jellyfin reads extras folders in the
series folder and in season folders (jellyfin.org/docs/general/server/media/shows,
"Extras"), Plex at show, season and episode level, but only its mobile apps show the
season and episode levels (support.plex.tv/articles/local-files-for-tv-show-trailers-
and-extras). Jellyfin reads ``Other`` since 10.9 (jellyfin/jellyfin#9773). An extra is
named by TheTVDB, else by MakeMKV's title name if that says something about this title
alone (not ``B1_t03`` or ``title_t03``, nor the volume name every title of a DVD
carries), else ``Extra d<disc id>t03``: the show folder is shared by every disc of the
show, so a generic name carries the disc (and never the word "disc", which both servers
read as a part of a stacked file). Two extras of a disc whose names would meet get
`` t03`` appended.

**Ids.** ``[tvdbid-N]`` is Jellyfin's form for a series folder
(jellyfin.org/docs/general/server/metadata/identifiers; TheTVDB ids are for shows only
there). Plex reads ids only in curly braces (``{tvdb-N}``), and its naming guide has it
ignore text in square brackets (support.plex.tv/articles/naming-and-organizing-your-
tv-show-files), so the square form helps Jellyfin and does not confuse Plex. File names
keep ``Show (Year)`` without the id.

**Legal everywhere.** Names are cleaned in layers, as for a Samba or Windows share even on
Linux: ``:`` becomes `` -``, ``<>"/\\|?*`` and control characters become spaces, runs of
whitespace one space, leading and trailing dots and spaces go, Windows device names
(``CON``, ``com1.mkv`` ...) get a ``_``, and an empty name is ``Untitled``. Lengths are
counted in UTF-8 bytes and cut on a character boundary:

- a component is at most 255 - 32 = 223 bytes: 255 is the limit of ext4, NTFS (in UTF-16
  units, never more than UTF-8 bytes) and SMB; the 32 left over hold what organize adds
  (``.<name>.boz-part`` beside the file, ``<name> - copy N`` on a collision: 20 bytes
  at most) with room to spare;
- a show's or movie's name is cut to 150 bytes, so every file of a show lands in one
  folder whatever its episode code or name;
- the whole library-relative path is at most 400 bytes: with a library path of up to
  600 bytes it stays within macOS's 1024-byte PATH_MAX (the tightest common SMB client)
  and far within Linux's 4096. Typical names stay well under Windows' 260 characters
  (MAX_PATH) too; only very long show and episode names need a client with long paths.

Cuts take the episode (or extra) name first; the show's name is cut only by its own
150-byte limit; the ``SxxEyy`` code, the `` t03`` tag and ``.mkv`` are never cut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath

from boz.models import Disc, DiscKind, ExtraKind, Title, TitleRole
from boz.sources.folder import VIDEO_SUFFIXES

FILESYSTEM_COMPONENT_BYTES = 255
TEMP_NAME_MARGIN = 32
MAX_COMPONENT_BYTES = FILESYSTEM_COMPONENT_BYTES - TEMP_NAME_MARGIN
MAX_NAME_BYTES = 150
MAX_PATH_BYTES = 400
FALLBACK = "Untitled"

EXTRA_FOLDERS = {
    ExtraKind.featurette: "Featurettes",
    ExtraKind.deleted_scene: "Deleted Scenes",
    ExtraKind.behind_the_scenes: "Behind The Scenes",
    ExtraKind.interview: "Interviews",
    ExtraKind.trailer: "Trailers",
    ExtraKind.other: "Other",
}

_ILLEGAL = frozenset('<>"/\\|?*')
_RESERVED = re.compile(r"CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³]", re.I)
_GENERIC = re.compile(r"(?:title|[a-z]\d*)?[ _]?t?\d+", re.I)  # title_t03, B1_t03, t03, 00800


def clean(name: str, *, fallback: str = FALLBACK) -> str:
    """``name`` with only characters Windows and Samba accept, trimmed, or ``fallback``."""
    name = unicodedata.normalize("NFC", name).replace(":", " -")
    kept = (" " if c in _ILLEGAL or unicodedata.category(c) in ("Cc", "Cs") else c for c in name)
    return " ".join("".join(kept).split()).strip(" .") or fallback


def _unreserved(component: str) -> str:
    """Windows reads ``CON``, ``nul.txt`` or ``COM1 .mkv`` as a device, whatever follows."""
    base = component.split(".", 1)[0].rstrip(" ")
    if _RESERVED.fullmatch(base):
        return f"{base}_{component[len(base) :]}"
    return component


def _cut(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-8 bytes, on a character boundary."""
    return text.encode()[:limit].decode(errors="ignore").rstrip(" .")


def show_key(show: str) -> str:
    """The name the library knows a show by: its folder's name without year or id.

    Season counters are keyed by it, so spellings that land in one folder (``*`` and
    ``?`` both land in ``Untitled``) count one season. Movie titles are cut the same way.
    """
    return _unreserved(_cut(clean(show), MAX_NAME_BYTES))


def _with_year(name: str, year: int | None) -> str:
    return f"{show_key(name)} ({year})" if year else show_key(name)


def episode_code(season: int, episodes: list[int]) -> str:
    code = f"S{season:02d}E{episodes[0]:02d}"
    return code + (f"-E{episodes[-1]:02d}" if len(episodes) > 1 else "")


def _fits(path: PurePosixPath) -> bool:
    return len(str(path).encode()) <= MAX_PATH_BYTES and all(
        len(part.encode()) <= MAX_COMPONENT_BYTES for part in path.parts
    )


def _fit(build: Callable[[str], PurePosixPath], name: str) -> PurePosixPath:
    """``build`` with the longest start of ``name`` that keeps the path within limits."""
    kept, low, high = "", 1, len(name)
    while low <= high:
        middle = (low + high) // 2
        if _fits(build(name[:middle].rstrip(" ."))):
            kept, low = name[:middle].rstrip(" ."), middle + 1
        else:
            high = middle - 1
    return build(kept)


def _mkv(stem: str) -> str:
    return _unreserved(f"{stem.rstrip(' .') or FALLBACK}.mkv")


def _is_extra(disc: Disc, title: Title) -> bool:
    if not title.selected:
        return False
    if disc.kind is DiscKind.movie:
        return title.role is not TitleRole.main_feature
    return not (title.role is TitleRole.episode and title.episodes)


def _source_stem(title: Title) -> str:
    path = PurePosixPath(title.name)
    return path.stem if path.suffix.lower() in VIDEO_SUFFIXES else title.name


def _extra_name(disc: Disc, title: Title) -> str:
    """TheTVDB's name, else TheDiscDB's, else MakeMKV's if it is this title's own, else a
    generic one."""
    if title.episode_names:
        return clean(" & ".join(title.episode_names))
    if title.known_name and title.known_name.strip():
        return clean(title.known_name)
    stem = _source_stem(title)
    shared = any(t.index != title.index and _source_stem(t) == stem for t in disc.titles)
    if stem.strip() and not shared and not _GENERIC.fullmatch(stem.strip()):
        return clean(stem)
    tag = f"t{title.index:02d}"
    return f"Extra {tag}" if disc.id is None else f"Extra d{disc.id}{tag}"


def _extra(disc: Disc, title: Title, parent: PurePosixPath) -> PurePosixPath:
    folder = parent / EXTRA_FOLDERS[title.extra_kind or ExtraKind.other]

    def plain(t: Title) -> PurePosixPath:
        return _fit(lambda n: folder / _mkv(n), _extra_name(disc, t))

    mine = plain(title).name.casefold()
    neighbours = [
        t
        for t in disc.titles
        if t.index != title.index
        and _is_extra(disc, t)
        and (t.extra_kind or ExtraKind.other) is (title.extra_kind or ExtraKind.other)
    ]
    if any(plain(t).name.casefold() == mine for t in neighbours):
        tag = f" t{title.index:02d}"
        return _fit(lambda n: folder / _mkv(f"{n}{tag}"), _extra_name(disc, title))
    return plain(title)


def destination(disc: Disc, title: Title, *, ids: bool = False) -> PurePosixPath | None:
    """Where ``title`` goes inside the library, or None while the disc lacks a name.

    ``ids`` puts ``[tvdbid-N]`` in a show's folder when the disc knows TheTVDB's id.
    """
    if not title.selected:
        return None
    if disc.kind is DiscKind.movie and disc.movie_title:
        base = _with_year(disc.movie_title, disc.year)
        folder = PurePosixPath("Movies", base)
        if title.role is TitleRole.main_feature:
            return folder / _mkv(base)
    elif disc.kind is DiscKind.tv and disc.show and disc.season is not None:
        base = _with_year(disc.show, disc.year)
        named = f"{base} [tvdbid-{disc.tvdb_id}]" if ids and disc.tvdb_id else base
        folder = PurePosixPath("TV", named)
        if title.role is TitleRole.episode and title.episodes:
            stem = f"{base} - {episode_code(disc.season, title.episodes)}"
            season = folder / f"Season {disc.season:02d}"
            names = clean(" & ".join(title.episode_names), fallback="")
            return _fit(lambda n: season / _mkv(f"{stem} - {n}" if n else stem), names)
    else:
        return None
    return _extra(disc, title, folder)
