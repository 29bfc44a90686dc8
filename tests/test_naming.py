from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

import pytest

from boz.models import Disc, DiscKind, ExtraKind, Title, TitleRole
from boz.pipeline.naming import (
    FILESYSTEM_COMPONENT_BYTES,
    MAX_COMPONENT_BYTES,
    MAX_NAME_BYTES,
    MAX_PATH_BYTES,
    clean,
    destination,
    show_key,
)

TV = {"kind": DiscKind.tv, "show": "Breaking Bad", "season": 1, "year": 2008}
MOVIE = {"kind": DiscKind.movie, "movie_title": "The Matrix", "year": 1999}
EP = {"role": TitleRole.episode}
EXTRA = {"role": TitleRole.extra}
MAIN = {"role": TitleRole.main_feature}


def _disc(titles: Sequence[Title] = (), **kw: object) -> Disc:
    return Disc(label="L", fingerprint="f", source="/s", titles=list(titles), **kw)  # type: ignore[arg-type]


def _title(index: int = 0, name: str = "title_t00.mkv", **kw: object) -> Title:
    kw.setdefault("selected", True)
    return Title(index=index, name=name, duration_s=1, size_bytes=1, **kw)  # type: ignore[arg-type]


def _place(disc_kw: dict, title_kw: dict, *, ids: bool = False) -> str | None:
    title = _title(**title_kw)
    path = destination(_disc([title], **disc_kw), title, ids=ids)
    return str(path) if path else None


@pytest.mark.parametrize(
    ("disc_kw", "title_kw", "ids", "expected"),
    [
        (TV, {**EP, "episodes": [9]}, False,
         "TV/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E09.mkv"),
        ({**TV, "year": None, "season": 2}, {**EP, "episodes": [5, 6]}, False,
         "TV/Breaking Bad/Season 02/Breaking Bad - S02E05-E06.mkv"),
        ({**TV, "season": 0}, {**EP, "episodes": [1]}, False,
         "TV/Breaking Bad (2008)/Season 00/Breaking Bad (2008) - S00E01.mkv"),
        (TV, {**EP, "episodes": [1], "episode_names": ["Pilot"]}, False,
         "TV/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E01 - Pilot.mkv"),
        (TV, {**EP, "episodes": [6, 7], "episode_names": ["Part 1", "Part 2"]}, False,
         "TV/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E06-E07 - Part 1 & Part 2.mkv"),
        ({**TV, "tvdb_id": 81189}, {**EP, "episodes": [2]}, True,
         "TV/Breaking Bad (2008) [tvdbid-81189]/Season 01/Breaking Bad (2008) - S01E02.mkv"),
        ({**TV, "tvdb_id": 81189}, {**EP, "episodes": [2]}, False,
         "TV/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E02.mkv"),
        (TV, {**EP, "episodes": [2]}, True,  # asked for ids, none known
         "TV/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E02.mkv"),
        ({**TV, "tvdb_id": 81189}, {**EXTRA, "name": "Making Of.mkv"}, True,
         "TV/Breaking Bad (2008) [tvdbid-81189]/Other/Making Of.mkv"),
        (MOVIE, MAIN, False, "Movies/The Matrix (1999)/The Matrix (1999).mkv"),
        ({**MOVIE, "tvdb_id": 169}, MAIN, True, "Movies/The Matrix (1999)/The Matrix (1999).mkv"),
        (MOVIE, {**EXTRA, "index": 7, "name": "B1_t07.mkv"}, False,
         "Movies/The Matrix (1999)/Other/Extra t07.mkv"),
        ({**TV, "show": "CON", "year": None}, {**EP, "episodes": [1]}, False,
         "TV/CON_/Season 01/CON_ - S01E01.mkv"),
        ({**TV, "show": "?", "year": None}, {**EP, "episodes": [1]}, False,
         "TV/Untitled/Season 01/Untitled - S01E01.mkv"),
    ],
)  # fmt: skip
def test_library_paths(disc_kw: dict, title_kw: dict, ids: bool, expected: str) -> None:
    assert _place(disc_kw, title_kw, ids=ids) == expected


@pytest.mark.parametrize(
    ("kind", "folder"),
    [
        (ExtraKind.featurette, "Featurettes"),
        (ExtraKind.deleted_scene, "Deleted Scenes"),
        (ExtraKind.behind_the_scenes, "Behind The Scenes"),
        (ExtraKind.interview, "Interviews"),
        (ExtraKind.trailer, "Trailers"),
        (ExtraKind.other, "Other"),
        (None, "Other"),
    ],
)
def test_extras_go_to_the_kind_folder_of_the_show_or_movie(
    kind: ExtraKind | None, folder: str
) -> None:
    extra = {**EXTRA, "index": 3, "name": "Gag Reel.mkv", "extra_kind": kind}
    assert _place(TV, extra) == f"TV/Breaking Bad (2008)/{folder}/Gag Reel.mkv"
    assert _place(MOVIE, extra) == f"Movies/The Matrix (1999)/{folder}/Gag Reel.mkv"


@pytest.mark.parametrize(
    ("name", "names", "disc_id", "expected"),
    [
        ("Making Of.mkv", [], None, "Making Of"),
        ("Making Of.mkv", ["The Cast Remembers"], None, "The Cast Remembers"),
        ("Mr. Smith", [], None, "Mr. Smith"),  # no extension: the dot is part of the name
        ("title_t03.mkv", [], None, "Extra t03"),
        ("B1_t03.mkv", [], None, "Extra t03"),
        ("t03", [], None, "Extra t03"),
        ("00800.mkv", [], None, "Extra t03"),
        ("title 3", [], None, "Extra t03"),
        ("B1_t03.mkv", [], 42, "Extra d42t03"),  # a show's discs share its extras folders
        ("CON.mkv", [], None, "CON_"),
        ("Q&A: Cast?.mkv", [], None, "Q&A - Cast"),
    ],
)
def test_an_extra_is_named_by_thetvdb_then_makemkv_then_its_index(
    name: str, names: list[str], disc_id: int | None, expected: str
) -> None:
    title = _title(3, name, **EXTRA, episode_names=names)
    disc = _disc([_title(0, "main.mkv", **EP, episodes=[1]), title], **TV, id=disc_id)
    path = destination(disc, title)
    assert path == PurePosixPath(f"TV/Breaking Bad (2008)/Other/{expected}.mkv")


def test_extras_never_share_a_name() -> None:
    volume = "Cheers Season One Disc 1.mkv"  # every DVD title carries the volume name
    titles = [
        _title(3, volume, **EXTRA, episode_names=["Bloopers"]),
        _title(5, volume, **EXTRA, episode_names=["BLOOPERS"]),  # case-blind shares
        _title(6, volume, **EXTRA),
        _title(8, volume, **EXTRA, episode_names=["Bloopers"], extra_kind=ExtraKind.featurette),
        _title(9, volume, **EXTRA, episode_names=["Bloopers"], selected=False),
    ]
    disc = _disc(titles, **TV)
    names = [str(p) for p in (destination(disc, t) for t in titles) if p]
    assert [n.split("/", 2)[2] for n in names] == [
        "Other/Bloopers t03.mkv",
        "Other/BLOOPERS t05.mkv",
        "Other/Extra t06.mkv",
        "Featurettes/Bloopers.mkv",  # another folder: no clash
    ]


def test_unselected_or_unnamed_titles_have_no_destination() -> None:
    assert _place(TV, {**EP, "episodes": [1], "selected": False}) is None
    assert _place({"kind": DiscKind.unknown}, {**EP, "episodes": [1]}) is None
    assert _place({**TV, "show": None}, {**EP, "episodes": [1]}) is None
    assert _place({**MOVIE, "movie_title": None}, MAIN) is None


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Mission: Impossible", "Mission - Impossible"),
        ("a:b", "a -b"),
        ('What "If"? <Part 1/2> \\ a|b*', "What If Part 1 2 a b"),
        ("../../etc/passwd", "etc passwd"),
        ("..", "Untitled"),
        ("*", "Untitled"),
        ("?", "Untitled"),
        ("", "Untitled"),
        ("  .hidden. ", "hidden"),
        ("Trailing dots...", "Trailing dots"),
        ("Trailing space . . ", "Trailing space"),
        ("Tab\tand\nnewline\x00nul", "Tab and newline nul"),
        ("bell\x07 and del\x7f and c1\x85", "bell and del and c1"),
        ("Amélie", "Amélie"),
        ("Ame\u0301lie", "Amélie"),  # NFC: one form on every client
    ],
)
def test_hostile_characters_are_made_safe(raw: str, safe: str) -> None:
    assert clean(raw) == safe


@pytest.mark.parametrize(
    ("show", "key"),
    [
        ("CON", "CON_"),
        ("nul", "nul_"),
        ("com1", "com1_"),
        ("LPT9", "LPT9_"),
        ("COM¹", "COM¹_"),
        ("CON.mkv", "CON_.mkv"),
        ("aux.tar.gz", "aux_.tar.gz"),
        ("Console", "Console"),  # only the whole name before the first dot is a device
        ("COM10", "COM10"),
        ("CON:", "CON -"),
        ("*", "Untitled"),
        ("?", "Untitled"),
        ("  Frasier. ", "Frasier"),
    ],
)
def test_show_keys_are_legal_folder_names(show: str, key: str) -> None:
    assert show_key(show) == key


def test_one_folder_one_key() -> None:
    assert show_key("*") == show_key("?") == show_key("") == "Untitled"
    assert show_key("Mission: Impossible") == show_key("Mission - Impossible")
    assert _place({**TV, "show": "Show*", "year": None}, {**EP, "episodes": [1]}) == (
        f"TV/{show_key('Show?')}/Season 01/{show_key('Show?')} - S01E01.mkv"
    )


def _within_limits(path: PurePosixPath) -> None:
    assert len(str(path).encode()) <= MAX_PATH_BYTES
    for part in path.parts:
        assert len(part.encode()) <= MAX_COMPONENT_BYTES
        temporary = f".{part} - copy 99.boz-part"  # the most organize adds to a name
        assert len(temporary.encode()) <= FILESYSTEM_COMPONENT_BYTES
        assert not part.endswith((" ", "."))


@pytest.mark.parametrize("char", ["a", "é", "日", "🎬"])  # 1 to 4 bytes a character
@pytest.mark.parametrize("episodes", [[5], [5, 6]])
def test_long_names_are_cut_keeping_the_code_and_extension(char: str, episodes: list[int]) -> None:
    disc_kw = {**TV, "show": char * 300, "tvdb_id": 12345678}
    title_kw = {**EP, "episodes": episodes, "episode_names": [char * 300]}
    path = destination(_disc(**disc_kw), _title(**title_kw), ids=True)
    assert path is not None
    _within_limits(path)
    show_folder, season, name = path.parts[1:]
    assert (show_folder, season) == (
        f"{show_key(char * 300)} (2008) [tvdbid-12345678]",
        "Season 01",
    )
    assert len(show_key(char * 300).encode()) > MAX_NAME_BYTES - 4  # cut, and no further
    assert set(show_key(char * 300)) == {char}  # whole characters only
    code = "S01E05" + ("-E06" if len(episodes) > 1 else "")
    assert name.startswith(f"{show_key(char * 300)} (2008) - {code}")
    assert name.endswith(".mkv")
    extra = _title(9, f"{char * 300}.mkv", **EXTRA)
    extra_path = destination(_disc([extra], **disc_kw), extra, ids=True)
    assert extra_path is not None
    _within_limits(extra_path)
    assert extra_path.parts[1] == show_folder  # one folder for all of a show's files


def test_the_episode_name_is_cut_before_the_show_name() -> None:
    path = destination(_disc(**TV), _title(**EP, episodes=[1], episode_names=["x" * 400]))
    assert path is not None
    _within_limits(path)
    assert path.name.startswith("Breaking Bad (2008) - S01E01 - xxx")
    assert path.parts[1] == "Breaking Bad (2008)"
