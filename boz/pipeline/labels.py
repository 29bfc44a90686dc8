"""Guess show/season/disc or movie title/year from a disc's volume label.

Labels are short, upper case, with underscores, and follow habits more than rules:
``BREAKING_BAD_S1_D2``, ``BREAKINGBAD_SEASON1_DISC2``, ``THE_WIRE_S2D1``,
``Cheers Season One Disc 1``, ``24_DISC2``, ``MATRIX_1999``, ``27DRESSES_WS``. guessit
(the release-name parser) was tried: it reads ``24_DISC2`` as episode 24 and "DISC 2"
as an episode title, so disc labels get their own small grammar here. A label that
fits no pattern guesses only a title; authoring-tool defaults (``DVD_VIDEO``,
``BDROM``) guess nothing. The operator resolves the rest in the approval form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from boz.models import DiscKind

_WORDS = [
    "ONE",
    "TWO",
    "THREE",
    "FOUR",
    "FIVE",
    "SIX",
    "SEVEN",
    "EIGHT",
    "NINE",
    "TEN",
    "ELEVEN",
    "TWELVE",
]
_NUMBER = r"(?:\d{1,2}|" + "|".join(_WORDS) + ")"
_SEP = r"[\s_.-]"
_TV = re.compile(
    rf"^(?P<show>.+?){_SEP}+(?:S|SEASON|SERIES){_SEP}*(?P<season>{_NUMBER})"
    rf"(?:{_SEP}*(?:D|DISC|DISK|DVD|BD){_SEP}*(?P<disc>{_NUMBER}))?(?P<rest>{_SEP}.*)?$",
    re.IGNORECASE,
)
_DISC_ONLY = re.compile(
    rf"^(?P<name>.+?){_SEP}*(?:D|DISC|DISK){_SEP}*(?P<disc>{_NUMBER})(?P<rest>{_SEP}.*)?$",
    re.IGNORECASE,
)
_MOVIE_YEAR = re.compile(rf"^(?P<title>.+?){_SEP}+\(?(?P<year>(?:19|20)\d{{2}})\)?$")
_EXTRAS = re.compile(
    rf"(?:^|{_SEP})(?:EXTRAS?|BONUS|SPECIAL{_SEP}?FEATURES|FEATURETTES|SUPPLEMENTS?)(?:$|{_SEP})",
    re.IGNORECASE,
)
# Edition and format words that say nothing about the title.
_NOISE = re.compile(
    rf"(?:{_SEP}(?:WS|FS|WIDESCREEN|FULLSCREEN|16X9|4X3|SE|CE|DC|UNRATED|EXTENDED|"
    r"SPECIAL_EDITION|COLLECTORS_EDITION|BLURAY|BLU_RAY|BD|DVD|UHD|4K|NTSC|PAL|R1|R2|"
    r"RETAIL|US|UK))+$",
    re.IGNORECASE,
)
_GENERIC = re.compile(
    r"^(?:DVD[_\s]?VIDEO(?:[_\s]RECORDER)?|DVDVOLUME|DVD_ROM|BDROM|BD_ROM|BLURAY|VIDEO_TS|"
    r"DISC|DISC\d*|NO_NAME|UNTITLED|LOGICAL_VOLUME_ID|VOLUME_\d+|CDROM)$",
    re.IGNORECASE,
)
_SMALL_WORDS = {"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to"}


@dataclass(frozen=True)
class LabelGuess:
    kind: DiscKind = DiscKind.unknown
    show: str | None = None
    season: int | None = None
    disc: int | None = None
    title: str | None = None
    year: int | None = None
    extras: bool = False  # a disc of bonus material: no episode numbers


def humanize(text: str) -> str:
    """``SAMPLE_SHOW`` -> ``Sample Show``, ``X-MEN`` -> ``X-Men``; small words stay lower
    case inside a name."""
    words = [w for w in re.split(r"[\s_.]+", text.strip()) if w]
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        small = i and lower in _SMALL_WORDS
        out.append(lower if small else "-".join(p.capitalize() for p in lower.split("-")))
    return " ".join(out)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _WORDS.index(text.upper()) + 1


def parse_label(label: str) -> LabelGuess:
    text = label.strip()
    extras = bool(_EXTRAS.search(text))
    if extras:
        text = _EXTRAS.sub("_", text).strip("_ ")
    text = _NOISE.sub("", text)
    if not text or _GENERIC.match(text):
        return LabelGuess(extras=extras)
    tv = _TV.match(text)
    if tv:
        return LabelGuess(
            kind=DiscKind.tv,
            show=humanize(tv["show"]),
            season=_number(tv["season"]),
            disc=_number(tv["disc"]) if tv["disc"] else None,
            extras=extras,
        )
    numbered = _DISC_ONLY.match(text)
    if numbered:
        # "24_DISC2": a box-set disc, a show or a two-disc movie; the titles will tell.
        name = humanize(numbered["name"])
        return LabelGuess(show=name, title=name, disc=_number(numbered["disc"]), extras=extras)
    movie = _MOVIE_YEAR.match(text)
    if movie:
        return LabelGuess(
            kind=DiscKind.movie, title=humanize(movie["title"]), year=int(movie["year"])
        )
    return LabelGuess(title=humanize(text), extras=extras)
