"""What a run and its steps are called in the Prefect UI, and the tags it filters by.

Every drive rip used to be named after its source (``dev:/dev/sr0``): a list of runs
said nothing. Names follow the library's own words (``S01E04``, ``Movie (2008)``) so
a run reads as what it files; tags are ``key:value`` so the UI's tag filter finds a
show, a season, a disc or a host.
"""

from __future__ import annotations

from boz.models import Disc, DiscKind, Title, TitleRole
from boz.pipeline.labels import parse_label

MAX_TAG = 100
"""Prefect keeps tags short in its filters; a long show name is cut, never refused."""


def run_name(disc: Disc) -> str:
    """``Show S01 D2 (LABEL)``, ``Movie (2008)``, or the label while unknown."""
    if disc.kind is DiscKind.tv and disc.show:
        number = parse_label(disc.label).disc
        season = f" S{disc.season:02d}" if disc.season is not None else ""
        return f"{disc.show}{season}{f' D{number}' if number else ''} ({disc.label})"
    if disc.kind is DiscKind.movie and disc.movie_title:
        return f"{disc.movie_title} ({disc.year})" if disc.year else disc.movie_title
    return disc.label


def target(disc: Disc, title: Title) -> str:
    """What a title becomes: ``S01E04``, ``S01E04-E05``, ``featurette``, ``Movie (2008)``."""
    if title.role is TitleRole.episode and title.episodes and disc.season is not None:
        last = f"-E{title.episodes[-1]:02d}" if len(title.episodes) > 1 else ""
        return f"S{disc.season:02d}E{title.episodes[0]:02d}{last}"
    if title.role is TitleRole.main_feature:
        return run_name(disc) if disc.movie_title else "main feature"
    if title.role is TitleRole.extra:
        return (title.extra_kind.value if title.extra_kind else "extra").replace("_", " ")
    return title.role.value if title.role else "title"


def step_name(step: str, disc: Disc, title: Title) -> str:
    """``rip t01 -> S01E04``: the step, the title on the disc, where it goes."""
    return f"{step} t{title.index:02d} -> {target(disc, title)}"


def run_tags(disc: Disc, host: str) -> list[str]:
    """``show:…``/``season:…`` or ``movie:…``, ``disc:ID`` and ``host:NAME``."""
    tags = []
    if disc.kind is DiscKind.tv and disc.show:
        tags.append(f"show:{disc.show}")
        if disc.season is not None:
            tags.append(f"season:{disc.season}")
    elif disc.kind is DiscKind.movie and disc.movie_title:
        tags.append(f"movie:{disc.movie_title}")
    tags += [f"disc:{disc.id}", f"host:{host}"]
    return [t[:MAX_TAG] for t in tags]
