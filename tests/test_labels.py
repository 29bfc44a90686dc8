import pytest

from boz.models import DiscKind
from boz.pipeline.labels import humanize, parse_label


@pytest.mark.parametrize(
    ("label", "show", "season", "disc"),
    [
        ("SAMPLE_SHOW_S1_D1", "Sample Show", 1, 1),
        ("BREAKING_BAD_S1_D2", "Breaking Bad", 1, 2),
        ("THE_WIRE_S2D1", "The Wire", 2, 1),
        ("FRIENDS_SEASON_3_DISC_1", "Friends", 3, 1),
        ("LOST_S01_DISC_2", "Lost", 1, 2),
        ("SOPRANOS_SEASON_1_D2", "Sopranos", 1, 2),
        ("BREAKINGBAD_SEASON1_DISC2", "Breakingbad", 1, 2),
        ("the_office_s03", "The Office", 3, None),
    ],
)
def test_tv_labels(label: str, show: str, season: int, disc: int | None) -> None:
    guess = parse_label(label)
    assert (guess.kind, guess.show, guess.season, guess.disc) == (DiscKind.tv, show, season, disc)


@pytest.mark.parametrize(
    ("label", "kind", "title", "year"),
    [
        ("MATRIX_1999", DiscKind.movie, "Matrix", 1999),
        ("THE_LORD_OF_THE_RINGS_2001", DiscKind.movie, "The Lord of the Rings", 2001),
        ("THE_MATRIX", DiscKind.unknown, "The Matrix", None),
        ("TOYS_2", DiscKind.unknown, "Toys 2", None),  # a sequel number is not a season
    ],
)
def test_movie_and_unknown_labels(label: str, kind: DiscKind, title: str, year: int | None) -> None:
    guess = parse_label(label)
    assert (guess.kind, guess.title, guess.year, guess.show) == (kind, title, year, None)


def test_humanize_keeps_small_words_lower_inside() -> None:
    assert humanize("A_TALE_OF_TWO_CITIES") == "A Tale of Two Cities"


def test_a_numbered_disc_without_season_names_a_show_or_a_movie() -> None:
    guess = parse_label("24_DISC2")
    assert (guess.kind, guess.show, guess.title, guess.disc) == (DiscKind.unknown, "24", "24", 2)
