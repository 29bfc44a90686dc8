from pathlib import PurePosixPath

import pytest

from boz.models import Disc, DiscKind, Title, TitleRole
from boz.pipeline.naming import MAX_COMPONENT_BYTES, clean, destination


def _disc(**kw: object) -> Disc:
    return Disc(label="L", fingerprint="f", source="/s", **kw)  # type: ignore[arg-type]


def _title(
    index: int = 0, role: TitleRole = TitleRole.episode, episodes=(1,), selected=True
) -> Title:
    return Title(index=index, name="t.mkv", duration_s=1, size_bytes=1, role=role,
                 episodes=list(episodes), selected=selected)  # fmt: skip


def test_tv_episode_path() -> None:
    disc = _disc(kind=DiscKind.tv, show="Breaking Bad", season=1, year=2008)
    assert destination(disc, _title(episodes=[9])) == PurePosixPath(
        "TV/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E09.mkv"
    )
    no_year = _disc(kind=DiscKind.tv, show="Sample Show", season=2)
    assert destination(no_year, _title(episodes=[5, 6])) == PurePosixPath(
        "TV/Sample Show/Season 02/Sample Show - S02E05-E06.mkv"
    )


def test_movie_and_extras_paths() -> None:
    disc = _disc(kind=DiscKind.movie, movie_title="The Matrix", year=1999)
    main = _title(role=TitleRole.main_feature, episodes=())
    assert destination(disc, main) == PurePosixPath(
        "Movies/The Matrix (1999)/The Matrix (1999).mkv"
    )
    extra = _title(index=7, role=TitleRole.extra, episodes=())
    assert destination(disc, extra) == PurePosixPath(
        "Movies/The Matrix (1999)/Extras/The Matrix (1999) - Extra t07.mkv"
    )


def test_unselected_or_unnamed_titles_have_no_destination() -> None:
    assert destination(_disc(kind=DiscKind.tv, show="S", season=1), _title(selected=False)) is None
    assert destination(_disc(kind=DiscKind.unknown), _title()) is None


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Mission: Impossible", "Mission - Impossible"),
        ('What "If"? <Part 1/2> \\ a|b*', "What If Part 1 2 a b"),
        ("../../etc/passwd", "etc passwd"),
        ("..", "Untitled"),
        ("  .hidden. ", "hidden"),
        ("Tab\tand\nnewline\x00nul", "Tab and newline nul"),
        ("Amélie", "Amélie"),
    ],
)
def test_hostile_characters_are_made_safe(raw: str, safe: str) -> None:
    assert clean(raw) == safe


def test_long_names_are_cut_by_bytes_keeping_the_extension() -> None:
    disc = _disc(kind=DiscKind.tv, show="é" * 400, season=1)
    path = destination(disc, _title())
    assert path is not None
    assert all(len(part.encode()) <= MAX_COMPONENT_BYTES for part in path.parts)
    assert path.name.endswith(".mkv")
    path.name.encode().decode()  # still valid UTF-8: cut on a character boundary
