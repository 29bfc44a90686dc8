"""What each title of a disc is: episode, main feature, extra, play-all, duplicate or noise.

Pure functions over the titles MakeMKV (or ffprobe) reports, so they can be tested on
real disc layouts. The rules, and the real discs that taught them:

- Tiny titles (logos, menus, warnings) are ``skipped``; other short ones are ``extra``.
- A ``duplicate`` repeats an earlier title: another angle of it, the same Blu-ray
  playlist segments at the same length, or (DVD, files) the same length and byte size.
  DVD segment maps count cells within one title, so on a DVD equal maps mean nothing.
- A ``play_all`` title runs as long as a run of consecutive other titles together
  (DVD), or its Blu-ray segments are theirs, one after the other; on a DVD, a play-all
  of only two episodes is told from a double episode by its size, the exact sum of theirs.
- A title far smaller for its length than the disc's episodes (under half their bytes per
  second) is not an episode: an alternate or raw version beside them; nor is an
  episode-length title without the subtitles the episodes carry (a documentary).
- Episodes of one disc are alike: the typical episode length comes from earlier discs
  of the season or TheTVDB when known, else from the largest group of similar lengths
  on the disc (the more alike, then the longer group on a tie); a disc's own group of
  three or more outweighs earlier discs that rest on fewer episodes. Titles near it are
  episodes, titles near twice it may be double episodes, the rest are extras: an
  unaired pilot or a documentary among episodes, or a whole disc of extras (short titles
  hardly two of a length; or titles without the subtitles the season's episodes had).
- A movie's main feature is the longest title; titles within 2 % of it tie and the one
  with more chapters, then the one MakeMKV lists first, wins (angle copies and a
  chapterless raw stream of the same feature lose that way).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from boz.models import Title, TitleRole

SKIP_SECONDS = 60.0
EPISODE_TOLERANCE = 0.2
DOUBLE_TOLERANCE = 0.12
PLAY_ALL_TOLERANCE = 0.01
SIZE_SUM_TOLERANCE = 0.0005
"""A DVD play-all reads the same cells as its episodes: MakeMKV reports its size as their
sum to a few sectors. A double episode is encoded on its own and never lands that close."""
LOW_BITRATE = 0.5
TIE_TOLERANCE = 0.02
ALIKE = 0.05
"""Episodes of one disc run within 5 % of their median on the discs we know (DVD and
Blu-ray seasons of drama and sitcoms); a wider spread is a sign one is not an episode."""
SHORT_EXTRAS_S = 20 * 60
REORDER_GAIN_S = 180.0


@dataclass
class Classification:
    roles: dict[int, TitleRole]
    episode_order: list[int] = field(default_factory=list)  # title indices, in episode order
    doubles: set[int] = field(default_factory=set)  # titles that look like two episodes
    typical_s: float | None = None
    notes: list[str] = field(default_factory=list)
    order_unsure: bool = False  # the disc's structure gives two orders
    unlike: set[int] = field(default_factory=set)  # episode-length, but built unlike episodes


def _is_bluray(t: Title) -> bool:
    return (t.source_file or "").split("(")[0].endswith((".mpls", ".m2ts"))


def _segments(t: Title) -> list[str]:
    return [s for s in (t.segment_map or "").split(",") if s]


def _same_length(a: Title, b: Title, tolerance_s: float = 1.0) -> bool:
    return abs(a.duration_s - b.duration_s) <= tolerance_s


def duplicate_of(title: Title, earlier: Sequence[Title]) -> Title | None:
    for other in earlier:
        if not _same_length(title, other, max(1.0, 0.005 * other.duration_s)):
            continue
        if _is_bluray(title) and _is_bluray(other) and _segments(title) == _segments(other):
            return other
        if title.size_bytes and title.size_bytes == other.size_bytes:
            return other
    return None


def _runs(others: Sequence[Title]) -> list[list[Title]]:
    """Every run of two or more consecutive titles (in disc order)."""
    return [list(others[i:j]) for i in range(len(others)) for j in range(i + 2, len(others) + 1)]


def is_play_all(title: Title, others: Sequence[Title]) -> bool:
    """Segments that are a run of other titles' (Blu-ray) prove it. By length alone it
    takes three titles, since two similar titles add up to a double episode's length too;
    two do when the byte size is also theirs to the sector (a DVD whose play-all joins two
    episodes, seen on a two-episode disc of a cartoon set)."""
    tolerance = max(PLAY_ALL_TOLERANCE * title.duration_s, 10.0)
    mine = _segments(title)
    for run in _runs([o for o in others if o.duration_s < title.duration_s]):
        if _is_bluray(title) and mine and mine == [s for o in run for s in _segments(o)]:
            return True
        if abs(sum(o.duration_s for o in run) - title.duration_s) > tolerance:
            continue
        size = sum(o.size_bytes for o in run)
        same_bytes = title.size_bytes > 0 and (
            abs(size - title.size_bytes) <= SIZE_SUM_TOLERANCE * title.size_bytes
        )
        if len(run) >= 3 or same_bytes:
            return True
    return False


def _near(duration: float, target: float, tolerance: float) -> bool:
    return abs(duration - target) <= tolerance * target


def _spread(lengths: Sequence[float]) -> float:
    return (max(lengths) - min(lengths)) / median(lengths)


def episode_group(candidates: Sequence[Title]) -> list[float]:
    """The lengths most titles of the disc share: the largest set whose longest is within
    the episode tolerance of its shortest (a set around one title would join 45-minute
    episodes and an hour-long special through a 56-minute documentary between them).
    On a tie the more alike group wins, then the longer: episodes of one disc run within
    a few percent of each other, while a feature-length special and a documentary beside
    two episodes (a drama's first disc) tie with them at two titles each and differ by
    more."""
    lengths = sorted(t.duration_s for t in candidates)
    groups = [
        [d for d in lengths[i:] if d <= start * (1 + EPISODE_TOLERANCE)]
        for i, start in enumerate(lengths)
    ]
    if not groups:
        return []
    return max(groups, key=lambda g: (len(g), -round(_spread(g), 2), median(g)))


def typical_episode(candidates: Sequence[Title]) -> float | None:
    group = episode_group(candidates)
    return median(group) if group else None


def extras_by_shape(candidates: Sequence[Title]) -> bool:
    """Three or more titles under 20 minutes, hardly two of a length: a disc of
    documentaries and featurettes (9 to 15 minutes each, on a drama's bonus disc), not
    episodes, which run alike. Cartoon segments are as short but alike, so they stay
    episodes; a coincidence or two is allowed (up to half the titles alike)."""
    if len(candidates) < 3 or any(t.duration_s >= SHORT_EXTRAS_S for t in candidates):
        return False
    alike = max(
        sum(_near(o.duration_s, c.duration_s, ALIKE) for o in candidates) for c in candidates
    )
    return alike <= max(1, len(candidates) // 2)


def _base(titles: Sequence[Title], min_seconds: float) -> tuple[dict[int, TitleRole], list[Title]]:
    """Roles every disc shares (skipped, extra, duplicate, play-all), and the candidates left."""
    skip_below = min(SKIP_SECONDS, min_seconds / 2)
    roles: dict[int, TitleRole] = {}
    kept: list[Title] = []
    for t in sorted(titles, key=lambda t: t.index):
        if (t.angle is not None and t.angle > 1) or duplicate_of(t, kept):
            roles[t.index] = TitleRole.duplicate
        elif t.duration_s < skip_below:
            roles[t.index] = TitleRole.skipped
        else:
            kept.append(t)
            roles[t.index] = TitleRole.extra
    long = [t for t in kept if t.duration_s >= min_seconds]
    candidates = []
    for t in long:
        if is_play_all(t, [o for o in long if o is not t]):
            roles[t.index] = TitleRole.play_all
        else:
            candidates.append(t)
    return roles, candidates


def classify_tv(
    titles: Sequence[Title],
    *,
    min_seconds: float,
    typical_s: float | None = None,
    typical_weight: int | None = None,
    runtimes_s: Sequence[float] | None = None,
    extras_only: bool = False,
    episode_subtitles: frozenset[str] = frozenset(),
) -> Classification:
    """Roles for a TV disc; ``runtimes_s`` are TheTVDB's for the next episodes, if known.

    ``typical_s`` is the season's episode length from earlier discs (resting on
    ``typical_weight`` episodes) or TheTVDB (None: no weight, it wins);
    ``episode_subtitles`` the subtitle languages the season's episodes carried.
    """
    roles, candidates = _base(titles, min_seconds)
    result = Classification(roles)
    if extras_only or not candidates:
        return result
    if typical_s is None and runtimes_s:
        typical_s = median(runtimes_s)
    known = typical_s is not None
    if not known and extras_by_shape(candidates):
        result.notes.append(
            f"{len(candidates)} titles under {SHORT_EXTRAS_S // 60} min and hardly two of a "
            "length: a disc of extras, no episode numbers used"
        )
        return result
    own = episode_group(candidates)
    typical = typical_s if known else median(own)
    assert typical is not None
    if (known and typical_weight is not None and len(own) >= 3 and len(own) > typical_weight
            and not _near(median(own), typical, EPISODE_TOLERANCE)):  # fmt: skip
        result.notes.append(
            f"{len(own)} alike titles of {median(own) / 60:.0f} min here outweigh the "
            f"{typical_weight} episode(s) of {typical / 60:.0f} min on earlier discs"
        )
        typical = median(own)
    result.typical_s = typical
    episodes = []
    thin = _thin(candidates)
    alike = [t for t in candidates if _near(t.duration_s, typical, EPISODE_TOLERANCE)]
    unsubtitled = _unsubtitled(alike) | _unsubtitled_against(alike, episode_subtitles)
    for t in candidates:
        if t.index in thin | unsubtitled:
            result.unlike.add(t.index)
        if t.index in thin:
            result.notes.append(
                f"title {t.index} holds under half the bytes per second of the others: an "
                "alternate version, not an episode"
            )
        elif t.index in unsubtitled:
            result.notes.append(
                f"title {t.index} is episode-length but has none of the subtitles the "
                "episodes have: an extra"
            )
        elif _near(t.duration_s, typical, EPISODE_TOLERANCE):
            episodes.append(t)
        elif _near(t.duration_s, 2 * typical, DOUBLE_TOLERANCE):
            episodes.append(t)
            result.doubles.add(t.index)
            result.notes.append(
                f"title {t.index} runs {t.duration_s / 60:.0f} min, twice an episode: "
                "maybe two episodes in one"
            )
    for t in episodes:
        roles[t.index] = TitleRole.episode
    if known and not episodes:
        result.notes.append(
            f"no title is episode-length ({typical / 60:.0f} min): a disc of extras, "
            "no episode numbers used"
        )
    result.episode_order = _order(episodes, runtimes_s, result)
    return result


def _subtitles(t: Title) -> set[str]:
    return {s.language or "und" for s in t.streams if s.kind == "subtitles"}


def _unsubtitled(alike: Sequence[Title]) -> set[int]:
    """Episode-length titles with none of the subtitle languages most of them carry.

    Seen on Blu-ray sets of a cartoon (a 21-minute documentary among 22-minute episodes)
    and of a sitcom (a 20-minute featurette among 21-minute episodes): the episodes carry
    English subtitles, the extras none. Audio tracks say nothing (commentaries come and
    go from episode to episode), so only subtitles count; a disc whose titles all carry
    the same subtitles (many DVDs) gives no sign either way.
    """
    languages = {t.index: _subtitles(t) for t in alike}
    counts = Counter(lang for langs in languages.values() for lang in langs)
    core = {lang for lang, n in counts.items() if n > len(alike) / 2}
    odd = {i for i, langs in languages.items() if core and not langs & core}
    return odd if len(alike) - len(odd) >= 2 and len(odd) < len(alike) / 2 else set()


def _unsubtitled_against(alike: Sequence[Title], season: frozenset[str]) -> set[int]:
    """Titles with none of the subtitle languages the season's episodes carried on earlier
    discs: 25-minute extras on a sitcom's last disc, after the season's last episode,
    run like its episodes but carry no subtitles. Titles MakeMKV reported no streams for
    say nothing."""
    if not season:
        return set()
    return {t.index for t in alike if t.streams and not _subtitles(t) & season}


def _thin(candidates: Sequence[Title]) -> set[int]:
    """Titles with under half the median bytes per second of at least three (an alternate
    cut or a raw stream among DVD and Blu-ray episodes, the same length, a lower bitrate)."""
    rates = {t.index: t.size_bytes / t.duration_s for t in candidates if t.duration_s > 0}
    if len(rates) < 3 or not all(rates.values()):
        return set()
    middle = median(rates.values())
    return {i for i, rate in rates.items() if rate < LOW_BITRATE * middle}


def _first_clip(t: Title) -> int | None:
    """The number of the first clip (m2ts) a Blu-ray title plays, from MakeMKV's segment map."""
    segments = _segments(t)
    if not _is_bluray(t) or not segments:
        return None
    found = re.match(r"^\d+", segments[0])
    return int(found[0]) if found else None


def _playlist(t: Title) -> int | None:
    found = re.match(r"^(\d+)\.mpls", t.source_file or "") if _is_bluray(t) else None
    return int(found[1]) if found else None


def _disc_order(episodes: list[Title], result: Classification) -> list[Title]:
    """The disc's own order, from how a Blu-ray was authored rather than MakeMKV's listing,
    which may run reversed or shuffled (seen on sitcom and anthology box sets: playlists
    00002-00007 listed as titles 6, 5, 3, 2, 0, 4).

    Playlist numbers first, when every episode has its own and they form one run (under
    twice as many numbers as episodes): a cartoon set plays one episode from 00100.mpls
    among 00800-00812, and there the clips' order is the one to trust. When playlists
    and clips disagree the order is a guess, and the confidence says so.
    """
    if len(episodes) < 2:
        return episodes
    playlists = [_playlist(t) for t in episodes]
    clips = [_first_clip(t) for t in episodes]
    by_playlist = by_clip = None
    if None not in playlists and len(set(playlists)) == len(playlists):
        span = max(playlists) - min(playlists) + 1  # type: ignore[type-var,operator]
        if span < 2 * len(episodes):
            by_playlist = sorted(episodes, key=_playlist)  # type: ignore[arg-type]
        else:
            result.order_unsure = True
            result.notes.append("one episode's playlist is far from the others': is it one?")
    if None not in clips and len(set(clips)) == len(clips):
        by_clip = sorted(episodes, key=_first_clip)  # type: ignore[arg-type]
    chosen = by_playlist or by_clip or episodes
    if by_playlist and by_clip and by_playlist != by_clip:
        result.order_unsure = True
        result.notes.append("the disc's playlists and clips disagree on the episode order")
    if chosen != episodes:
        result.notes.append("episodes in the order the Blu-ray was authored, not MakeMKV's")
    return chosen


def _order(
    episodes: list[Title], runtimes_s: Sequence[float] | None, result: Classification
) -> list[int]:
    """Disc order, unless TheTVDB runtimes clearly fit another order better."""
    episodes = _disc_order(episodes, result)
    in_disc_order = [t.index for t in episodes]
    if not runtimes_s or len(runtimes_s) < len(episodes) or len(episodes) < 2:
        return in_disc_order
    wanted = list(runtimes_s[: len(episodes)])
    as_is = sum(abs(t.duration_s - r) for t, r in zip(episodes, wanted, strict=True))
    by_length = sorted(episodes, key=lambda t: t.duration_s)
    slots = sorted(range(len(wanted)), key=lambda i: wanted[i])
    matched: list[Title | None] = [None] * len(wanted)
    for title, slot in zip(by_length, slots, strict=True):
        matched[slot] = title
    best = sum(abs(t.duration_s - r) for t, r in zip(matched, wanted, strict=True) if t)
    # TheTVDB gives whole minutes that often miss a disc's length by one or two: only a
    # gain of minutes per episode is evidence of another order.
    if as_is - best > REORDER_GAIN_S * len(episodes) and best < as_is / 3:
        result.notes.append("TheTVDB runtimes fit another order than the disc's: reordered")
        return [t.index for t in matched if t]
    return in_disc_order


def classify_movie(titles: Sequence[Title], *, min_seconds: float) -> Classification:
    roles, candidates = _base(titles, min_seconds)
    pool = candidates or [t for t in titles if roles[t.index] is TitleRole.extra]
    if pool:
        longest = max(t.duration_s for t in pool)
        tied = [t for t in pool if t.duration_s >= longest * (1 - TIE_TOLERANCE)]
        main = max(tied, key=lambda t: (t.chapters, -t.index))
        roles[main.index] = TitleRole.main_feature
    return Classification(roles)
