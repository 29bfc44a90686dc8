"""TheDiscDB's data: what every title of a known disc is, read from a local copy of its
public repository (https://github.com/TheDiscDb/data, MIT).

Each disc there is a ``discNN.txt`` (the ``makemkvcon -r info`` output of the disc) and a
``discNN.json`` (what each title is: episode S01E05, the main movie, a featurette ...)
under ``data/<series|movie>/<Name (Year)>/<release>/``. A disc in the drive is matched by
its title layout — durations, sizes, segment maps and source files, what ``makemkvcon
info`` prints — so it finds its record without reading anything but the scan the
preview already has.

MakeMKV drops titles shorter than its ``--minlength`` and numbers the rest from 0, so a
record captured with another minlength lists more (or fewer) short titles than the disc
in the drive: both sides are compared above the higher of the two minlengths, in order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from boz.models import DiscKind, ExtraKind, Title, TitleRole
from boz.sources.makemkv.robot import RobotFormatError, parse_info

TitleKey = tuple[int, int, str, str]
"""Seconds, bytes, segment map, source file: a title as ``makemkvcon info`` shows it."""

KINDS = {"series": DiscKind.tv, "movie": DiscKind.movie}
EXTRA_KINDS = {
    "Featurette": ExtraKind.featurette,
    "DeletedScene": ExtraKind.deleted_scene,
    "Trailer": ExtraKind.trailer,
    "Interview": ExtraKind.interview,
    "BehindTheScenes": ExtraKind.behind_the_scenes,
}
_FOLDER = re.compile(r"^(?P<name>.*?)\s*\((?P<year>\d{4})\)$")


def title_key(title: Title) -> TitleKey:
    return (round(title.duration_s), title.size_bytes, title.segment_map or "",
            title.source_file or "")  # fmt: skip


def layout_hash(keys: Sequence[TitleKey]) -> str:
    payload = json.dumps([list(k) for k in keys], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def anchor(keys: Sequence[TitleKey]) -> str | None:
    """The longest title's hash: the one title every minlength keeps, so the index can
    find a record by it whatever the drive's minlength dropped."""
    return layout_hash([max(keys)]) if keys else None


@dataclass(frozen=True)
class KnownTitle:
    key: TitleKey
    type: str | None = None  # TheDiscDB's: Episode, MainMovie, Extra, DeletedScene ...
    name: str | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()

    @property
    def role(self) -> TitleRole | None:
        if self.type is None:
            return None
        if self.type == "Episode" and self.episodes:
            return TitleRole.episode
        if self.type == "MainMovie":
            return TitleRole.main_feature
        return TitleRole.extra

    @property
    def extra_kind(self) -> ExtraKind:
        return EXTRA_KINDS.get(self.type or "", ExtraKind.other)


@dataclass(frozen=True)
class KnownDisc:
    """One disc of one release, as TheDiscDB describes it."""

    path: str  # inside data/: series/24 (2001)/season-1/disc01
    kind: DiscKind
    name: str
    year: int | None
    release: str
    titles: tuple[KnownTitle, ...] = field(default_factory=tuple)

    @property
    def keys(self) -> list[TitleKey]:
        return [t.key for t in self.titles]

    def matches(self, keys: Sequence[TitleKey], minlength: int) -> list[KnownTitle] | None:
        """This record's titles lined up with ``keys`` (a scan made with ``minlength``),
        or None when the layouts differ anywhere both scans can see."""
        floor = max(minlength, min((k[0] for k in self.keys), default=0))
        mine = [t for t in self.titles if t.key[0] >= floor]
        theirs = [k for k in keys if k[0] >= floor]
        if not mine or [t.key for t in mine] != theirs:
            return None
        seen = iter(mine)
        return [next(seen) if k[0] >= floor else KnownTitle(k) for k in keys]


class Skipped(ValueError):
    """A disc of the repository that cannot be indexed, and why."""


def read_disc(capture: Path, root: Path) -> KnownDisc:
    """``discNN.txt`` and its ``discNN.json`` as one record; Skipped when they do not fit."""
    where = capture.relative_to(root).with_suffix("")
    parts = where.parts
    if len(parts) < 4 or parts[-4] not in KINDS:
        raise Skipped(f"{where}: not under series/ or movie/")
    folder = _FOLDER.match(parts[-3])
    name, year = (folder["name"], int(folder["year"])) if folder else (parts[-3], None)
    try:
        scan = parse_info(capture.read_text(encoding="utf-8", errors="replace").splitlines())
        described = json.loads(capture.with_suffix(".json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Skipped(f"{where}: no {capture.stem}.json beside it") from None
    except (RobotFormatError, json.JSONDecodeError, UnicodeError) as exc:
        raise Skipped(f"{where}: unreadable ({exc})") from None
    listed = {t.get("Index"): t for t in described.get("Titles", []) if isinstance(t, dict)}
    titles = []
    for title in scan.titles:
        entry = listed.get(title.index) or {}
        if entry and entry.get("Size") not in (None, title.size_bytes):
            raise Skipped(f"{where}: title {title.index} differs between .txt and .json")
        titles.append(_known(title_key(title), entry.get("Item")))
    if not titles:
        raise Skipped(f"{where}: no titles")
    return KnownDisc(where.as_posix(), KINDS[parts[-4]], name, year, parts[-2], tuple(titles))


def _known(key: TitleKey, item: object) -> KnownTitle:
    if not isinstance(item, dict) or not item.get("Type"):
        return KnownTitle(key)
    season = str(item.get("Season") or "")
    return KnownTitle(
        key,
        type=str(item["Type"]),
        name=str(item["Title"]).strip() or None if item.get("Title") else None,
        season=int(season) if season.isdigit() else None,
        episodes=tuple(int(n) for n in re.findall(r"\d+", str(item.get("Episode") or ""))),
    )


def read_repository(path: Path) -> Iterator[KnownDisc | Skipped]:
    """Every disc under ``path``: a clone of the repository, its ``data/`` folder, or any
    folder laid out like ``data/``."""
    root = path / "data" if (path / "data").is_dir() else path
    for capture in sorted(root.glob("*/*/*/disc*.txt")):
        try:
            yield read_disc(capture, root)
        except Skipped as skipped:
            yield skipped
