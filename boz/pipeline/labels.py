"""Guess show/season or movie title/year from a disc's volume label.

Labels are upper case with underscores (``BREAKING_BAD_S1_D2``, ``THE_MATRIX_1999``).
A label that fits no pattern guesses nothing; the operator fills it in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from boz.models import DiscKind

_TV = re.compile(
    r"^(?P<show>.+?)[\s_.-]+(?:S|SEASON)[\s_.-]*(?P<season>\d{1,2})"
    r"(?:[\s_.-]*(?:D|DISC|DISK|DVD)[\s_.-]*(?P<disc>\d{1,2}))?$",
    re.IGNORECASE,
)
_DISC_ONLY = re.compile(
    r"^(?P<name>.+?)[\s_.-]*(?:D|DISC|DISK|DVD)[\s_.-]*(?P<disc>\d{1,2})$", re.IGNORECASE
)
_MOVIE_YEAR = re.compile(r"^(?P<title>.+?)[\s_.-]+\(?(?P<year>(?:19|20)\d{2})\)?$")
_SMALL_WORDS = {"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to"}


@dataclass(frozen=True)
class LabelGuess:
    kind: DiscKind = DiscKind.unknown
    show: str | None = None
    season: int | None = None
    disc: int | None = None
    title: str | None = None
    year: int | None = None


def humanize(text: str) -> str:
    """``SAMPLE_SHOW`` -> ``Sample Show``; small words stay lower case inside a name."""
    words = [w for w in re.split(r"[\s_.]+", text.strip()) if w]
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        out.append(lower if i and lower in _SMALL_WORDS else lower.capitalize())
    return " ".join(out)


def parse_label(label: str) -> LabelGuess:
    tv = _TV.match(label.strip())
    if tv:
        return LabelGuess(
            kind=DiscKind.tv,
            show=humanize(tv["show"]),
            season=int(tv["season"]),
            disc=int(tv["disc"]) if tv["disc"] else None,
        )
    movie = _MOVIE_YEAR.match(label.strip())
    if movie:
        return LabelGuess(
            kind=DiscKind.movie, title=humanize(movie["title"]), year=int(movie["year"])
        )
    numbered = _DISC_ONLY.match(label.strip())
    if numbered:
        # "24_DISC2": a box-set disc, a show or a two-disc movie; the titles will tell.
        name = humanize(numbered["name"])
        return LabelGuess(show=name, title=name, disc=int(numbered["disc"]))
    return LabelGuess(title=humanize(label) or None)
