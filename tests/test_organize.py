"""Files land whole, at their Plex name, and never replace what is already there."""

from pathlib import Path, PurePosixPath

import pytest

from boz.errors import LibraryConflict
from boz.pipeline.organize import place

DEST = PurePosixPath("TV/Show/Season 01/Show - S01E01.mkv")


def _staged(tmp_path: Path, content: bytes, name: str = "t00.transcoded.mkv") -> Path:
    staged = tmp_path / "staging" / name
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(content)
    return staged


def test_a_file_lands_and_leaves_nothing_behind(tmp_path: Path) -> None:
    library = tmp_path / "library"
    staged = _staged(tmp_path, b"episode one")
    placed = place(staged, library, DEST)
    assert placed == library / "TV/Show/Season 01/Show - S01E01.mkv"
    assert placed.read_bytes() == b"episode one"
    assert not staged.exists()
    assert [p.name for p in placed.parent.iterdir()] == [placed.name]  # no temporary files


def test_placing_the_same_file_again_is_a_no_op(tmp_path: Path) -> None:
    library = tmp_path / "library"
    place(_staged(tmp_path, b"same"), library, DEST)
    again = _staged(tmp_path, b"same")
    assert place(again, library, DEST).read_bytes() == b"same"
    assert not again.exists()


def test_a_different_file_is_never_overwritten_and_the_new_one_is_kept(tmp_path: Path) -> None:
    library = tmp_path / "library"
    place(_staged(tmp_path, b"the original"), library, DEST)
    newcomer = _staged(tmp_path, b"something else")
    with pytest.raises(LibraryConflict, match="already exists and differs; not overwriting"):
        place(newcomer, library, DEST)
    assert (library / DEST).read_bytes() == b"the original"
    assert newcomer.read_bytes() == b"something else"  # nothing lost


def test_hostile_title_characters_stay_inside_the_library(tmp_path: Path) -> None:
    from boz.models import Disc, DiscKind, Title, TitleRole
    from boz.pipeline.naming import destination

    disc = Disc(label="x", fingerprint="f", source="/s", kind=DiscKind.tv,
                show="../../../etc/Evil: \"Show\"\x00", season=1)  # fmt: skip
    title = Title(index=0, name="t", duration_s=1, size_bytes=1, role=TitleRole.episode,
                  selected=True, episodes=[1])  # fmt: skip
    rel = destination(disc, title)
    assert rel is not None
    library = tmp_path / "library"
    placed = place(_staged(tmp_path, b"x"), library, rel)
    assert placed.resolve().is_relative_to(library.resolve())
    assert placed.name == "etc Evil - Show - S01E01.mkv"
