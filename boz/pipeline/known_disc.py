"""A disc TheDiscDB knows: its roles, episode numbers and names, taken as they are.

The rules guess from lengths; a record of the same layout says what each title is, so it
comes first. Pure: it reads the match and the rules' roles (kept for the titles the
record leaves unnamed, such as play-alls) and returns the plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from boz.db.thediscdb import Match
from boz.models import DiscKind, ExtraKind, TitleRole

UNNAMED_KEEP = (TitleRole.play_all, TitleRole.duplicate)


@dataclass(frozen=True)
class KnownPlan:
    kind: DiscKind
    name: str
    year: int | None
    season: int | None
    source: str  # "TheDiscDB: 24 (2001), season-1/disc01"
    roles: dict[int, TitleRole]
    extra_kinds: dict[int, ExtraKind]
    names: dict[int, str | None]
    numbers: dict[int, tuple[int, ...]]  # episode titles' numbers in the record's season
    notes: list[str] = field(default_factory=list)

    @property
    def order(self) -> list[int]:
        return sorted(self.numbers, key=lambda i: self.numbers[i])

    @property
    def all_numbers(self) -> list[int]:
        """Every number, in episode order, gaps kept: a pilot the record numbers E01 alone
        leaves E02 to nobody rather than shifting the disc's other episodes."""
        return [n for i in self.order for n in self.numbers[i]]

    @property
    def counts(self) -> dict[int, int]:
        return {i: len(n) for i, n in self.numbers.items() if len(n) > 1}


def _answer(match: Match) -> tuple[object, ...]:
    return (match.disc.kind, match.disc.name, match.disc.year,
            tuple((t.type, t.name, t.season, t.episodes) for t in match.titles))  # fmt: skip


def plan(
    matches: list[Match], indices: list[int], rules: dict[int, TitleRole]
) -> tuple[KnownPlan | None, list[str]]:
    """The plan of the one answer ``matches`` give for titles ``indices`` (in scan order),
    or None and why not: records of one layout that disagree are no exact answer."""
    if not matches:
        return None, []
    if len({_answer(m) for m in matches}) > 1:
        listed = ", ".join(m.disc.path for m in matches[:3])
        return None, [f"TheDiscDB has {len(matches)} different records of this layout "
                      f"({listed}): the rules decide"]  # fmt: skip
    match = matches[0]
    known = match.disc
    by_index = dict(zip(indices, match.titles, strict=True))
    seasons = Counter(t.season for t in match.titles if t.role is TitleRole.episode)
    season = seasons.most_common(1)[0][0] if seasons else None
    kind = known.kind
    main = _main_feature(match, indices) if kind is DiscKind.movie else None
    roles: dict[int, TitleRole] = {}
    extra_kinds: dict[int, ExtraKind] = {}
    numbers: dict[int, tuple[int, ...]] = {}
    notes = [f"from TheDiscDB: {known.name}{f' ({known.year})' if known.year else ''}, "
             f"{known.release}/{known.path.rsplit('/', 1)[-1]}"]  # fmt: skip
    for index, title in by_index.items():
        role = title.role
        if role is None:
            rule = rules.get(index, TitleRole.skipped)
            roles[index] = rule if rule in UNNAMED_KEEP else TitleRole.skipped
            continue
        if kind is DiscKind.tv and role is TitleRole.episode and title.season == season:
            roles[index], numbers[index] = role, title.episodes
            continue
        if kind is DiscKind.movie and role is TitleRole.main_feature and index == main:
            roles[index] = role
            continue
        if role is TitleRole.episode:
            where = f"S{title.season or 0:02d}E{title.episodes[0]:02d}"
            notes.append(f"title {index} is {where} in TheDiscDB, not the disc's season: "
                         "kept as an extra")  # fmt: skip
        roles[index], extra_kinds[index] = TitleRole.extra, title.extra_kind
    names = {i: t.name for i, t in by_index.items() if t.name}
    return KnownPlan(kind, known.name, known.year, season, notes[0], roles, extra_kinds,
                     names, numbers, notes), []  # fmt: skip


def _main_feature(match: Match, indices: list[int]) -> int | None:
    """The MainMovie named like the movie, else the longest: a disc may hold a second
    cut of the feature (a picture-in-picture commentary version, on a Blu-ray of
    2012 (2009)), which becomes an extra under its own name."""
    mains = [(i, t) for i, t in zip(indices, match.titles, strict=True)
             if t.role is TitleRole.main_feature]  # fmt: skip
    if not mains:
        return None
    named = [i for i, t in mains if (t.name or "").casefold() == match.disc.name.casefold()]
    return named[0] if named else max(mains, key=lambda m: m[1].key)[0]
