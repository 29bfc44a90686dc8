"""Run and step names and tags, from the disc as planned (pure)."""

from __future__ import annotations

import pytest

from boz.models import Disc, DiscKind, ExtraKind, Title, TitleRole
from boz.pipeline.run_labels import run_name, run_tags, step_name


def _disc(label: str, **fields: object) -> Disc:
    return Disc(id=3, label=label, fingerprint="f", source="dev:/dev/sr0", **fields)  # type: ignore[arg-type]


def _title(index: int, role: TitleRole, **fields: object) -> Title:
    return Title(index=index, name="t.mkv", duration_s=1, size_bytes=1, role=role, **fields)  # type: ignore[arg-type]


TV = _disc("SHOW_S1_D2", kind=DiscKind.tv, show="Sample Show", season=1)
MOVIE = _disc("SAMPLE_MOVIE", kind=DiscKind.movie, movie_title="Sample Movie", year=2008)


@pytest.mark.parametrize(
    ("disc", "name"),
    [
        (TV, "Sample Show S01 D2 (SHOW_S1_D2)"),
        (_disc("BOX", kind=DiscKind.tv, show="Show", season=3), "Show S03 (BOX)"),
        (MOVIE, "Sample Movie (2008)"),
        (_disc("DISC", kind=DiscKind.movie, movie_title="Odd"), "Odd"),
        (_disc("MYSTERY"), "MYSTERY"),
    ],
)
def test_a_run_is_named_for_the_disc_it_files(disc: Disc, name: str) -> None:
    assert run_name(disc) == name


@pytest.mark.parametrize(
    ("disc", "title", "name"),
    [
        (TV, _title(1, TitleRole.episode, episodes=[4]), "rip t01 -> S01E04"),
        (TV, _title(0, TitleRole.episode, episodes=[1, 2]), "rip t00 -> S01E01-E02"),
        (TV, _title(5, TitleRole.extra, extra_kind=ExtraKind.deleted_scene),
         "rip t05 -> deleted scene"),
        (MOVIE, _title(0, TitleRole.main_feature), "rip t00 -> Sample Movie (2008)"),
    ],
)  # fmt: skip
def test_a_step_says_which_title_and_where_it_goes(disc: Disc, title: Title, name: str) -> None:
    assert step_name("rip", disc, title) == name


def test_tags_filter_by_show_season_disc_and_host() -> None:
    assert run_tags(TV, "drive-host") == [
        "show:Sample Show",
        "season:1",
        "disc:3",
        "host:drive-host",
    ]
    assert run_tags(MOVIE, "h") == ["movie:Sample Movie", "disc:3", "host:h"]
    long = _disc("L", kind=DiscKind.tv, show="x" * 300, season=1)
    assert max(len(t) for t in run_tags(long, "h")) == 100
