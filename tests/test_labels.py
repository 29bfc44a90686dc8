"""Disc labels, as real discs carry them (several from TheDiscDB's corpus), and what they say."""

import pytest

from boz.models import DiscKind
from boz.pipeline.labels import humanize, parse_label

TV = DiscKind.tv


@pytest.mark.parametrize(
    ("label", "show", "season", "disc"),
    [
        ("SAMPLE_SHOW_S1_D1", "Sample Show", 1, 1),
        ("BREAKING_BAD_S1_D2", "Breaking Bad", 1, 2),
        ("BREAKINGBAD_SEASON1_DISC2", "Breakingbad", 1, 2),
        ("THE_WIRE_S2D1", "The Wire", 2, 1),
        ("FRIENDS_SEASON_3_DISC_1", "Friends", 3, 1),
        ("LOST_S01_DISC_2", "Lost", 1, 2),
        ("SOPRANOS_SEASON_1_D2", "Sopranos", 1, 2),
        ("the_office_s03", "The Office", 3, None),
        ("FRASIER_S6_D1", "Frasier", 6, 1),  # TheDiscDB
        ("FRAZIER_S6_D3", "Frazier", 6, 3),  # TheDiscDB: misspelt on the disc itself
        ("THE_IT_CROWD_SEASON_1", "The IT Crowd".title(), 1, None),  # TheDiscDB
        ("Cheers Season One Disc 1", "Cheers", 1, 1),  # TheDiscDB: words, not digits
        ("SEINFELD_SEASON_TWO_DISC_THREE", "Seinfeld", 2, 3),
        ("DEXTER_S4_DISC3_WS", "Dexter", 4, 3),
        ("DOCTOR_WHO_SERIES_1_D4", "Doctor Who", 1, 4),
        ("MAD.MEN.S2.D1", "Mad Men", 2, 1),
        ("GAME_OF_THRONES_S1_BD2", "Game of Thrones", 1, 2),
        ("SOUTH-PARK-S10-D2", "South-Park", 10, 2),
        ("X_FILES_S05_DVD1", "X Files", 5, 1),
        ("ER_S1_D1", "Er", 1, 1),
    ],
)
def test_tv_labels(label: str, show: str, season: int, disc: int | None) -> None:
    guess = parse_label(label)
    assert (guess.kind, guess.show, guess.season, guess.disc) == (TV, show, season, disc)
    assert not guess.extras


@pytest.mark.parametrize(
    ("label", "kind", "title", "year"),
    [
        ("MATRIX_1999", DiscKind.movie, "Matrix", 1999),
        ("THE_LORD_OF_THE_RINGS_2001", DiscKind.movie, "The Lord of the Rings", 2001),
        ("BLADE_RUNNER_1982_BLURAY", DiscKind.movie, "Blade Runner", 1982),
        ("ALIEN (1979)", DiscKind.movie, "Alien", 1979),
        ("THE_MATRIX", DiscKind.unknown, "The Matrix", None),
        ("TOYS_2", DiscKind.unknown, "Toys 2", None),  # a sequel number is not a season
        ("27DRESSES_WS", DiscKind.unknown, "27dresses", None),  # TheDiscDB
        ("2012", DiscKind.unknown, "2012", None),  # TheDiscDB: a title, not a year
        ("CHRISCRL", DiscKind.unknown, "Chriscrl", None),  # TheDiscDB
        ("SHERLOCK", DiscKind.unknown, "Sherlock", None),  # TheDiscDB: a series, says nothing
        ("INCEPTION_16X9_SE", DiscKind.unknown, "Inception", None),
        ("SPIRITED_AWAY_UHD", DiscKind.unknown, "Spirited Away", None),
    ],
)
def test_movie_and_unknown_labels(label: str, kind: DiscKind, title: str, year: int | None) -> None:
    guess = parse_label(label)
    assert (guess.kind, guess.title, guess.year, guess.show) == (kind, title, year, None)


@pytest.mark.parametrize(
    "label", ["DVD_VIDEO", "DVD_VIDEO_RECORDER", "BDROM", "DVDVOLUME", "VIDEO_TS", "", "  "]
)
def test_authoring_defaults_say_nothing(label: str) -> None:
    assert parse_label(label) == parse_label("DVD_VIDEO")
    assert parse_label(label).title is None


@pytest.mark.parametrize(
    ("label", "show", "season"),
    [("LOST_S1_EXTRAS", "Lost", 1), ("SEINFELD_S3_BONUS", "Seinfeld", 3),
     ("THE_WIRE_SPECIAL_FEATURES", None, None), ("FRIENDS_S10_D4_BONUS", "Friends", 10)],
)  # fmt: skip
def test_bonus_discs_are_marked(label: str, show: str | None, season: int | None) -> None:
    guess = parse_label(label)
    assert guess.extras
    assert (guess.show, guess.season) == (show, season)


@pytest.mark.parametrize(
    ("label", "show", "disc"),
    [("24_DISC2", "24", 2), ("TV24_D3", "Tv24", 3), ("HEROES_D1", "Heroes", 1)],
)  # fmt: skip
def test_a_numbered_disc_without_season_names_a_show_or_a_movie(
    label: str, show: str, disc: int
) -> None:
    guess = parse_label(label)
    assert (guess.kind, guess.show, guess.title, guess.disc) == (DiscKind.unknown, show, show, disc)


def test_humanize_keeps_small_words_lower_inside() -> None:
    assert humanize("A_TALE_OF_TWO_CITIES") == "A Tale of Two Cities"
