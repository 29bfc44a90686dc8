"""Files land whole, at their Plex name, are recognised when already there, and a different
file at the name is settled by the collision policy; a full or read-only library fails
with a line that names the folder."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from boz.db import store
from boz.db.engine import open_database
from boz.errors import LibraryConflict, LibraryUnwritable, NoSpace, OutputInvalid
from boz.media.sample import make_title
from boz.models import Disc, DiscKind, JobKind, JobStatus, RipRequest, Title, TitleRole
from boz.pipeline import detect, organize, preview, rip, transcode
from boz.pipeline.jobs import Runner
from boz.pipeline.naming import MAX_COMPONENT_BYTES, destination
from boz.pipeline.organize import Identity, Outcome, place
from boz.settings import Settings

DEST = PurePosixPath("TV/Show/Season 01/Show - S01E01.mkv")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny title, the same streams in a new container (as a second transcode gives),
    and a different title."""
    folder = tmp_path_factory.mktemp("media")
    ours = make_title(folder / "ours.mkv", seconds=2, size="64x36", chapters=1)
    remux = folder / "remux.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(ours), "-map", "0", "-c", "copy", str(remux)],
        check=True,
    )
    assert remux.read_bytes() != ours.read_bytes()
    other = make_title(folder / "other.mkv", seconds=2, size="64x36", chapters=1, variant=1)
    return {"ours": ours, "remux": remux, "other": other}


@pytest.fixture
def other_fs(tmp_path: Path) -> Iterator[Path]:
    """A folder on another filesystem than tmp_path (/dev/shm), for copies across them."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem: /dev/shm is missing or on the same device")
    folder = Path(tempfile.mkdtemp(prefix="boz-test-", dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _staged(folder: Path, source: Path) -> Path:
    staged = folder / "staging" / "t00.transcoded.mkv"
    staged.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, staged)
    return staged


def _put_at(library: Path, source: Path, relative: PurePosixPath = DEST) -> Path:
    target = library.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _identity(path: Path) -> Identity:
    return Identity(path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class Recorder:
    """The ``record`` callback, noting whether the final name existed when it was called."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.calls: list[tuple[Identity, bool]] = []

    def __call__(self, identity: Identity) -> None:
        self.calls.append((identity, self.final.exists()))


# --- placing -------------------------------------------------------------------------


def test_same_filesystem_links_the_staged_file_and_keeps_it(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    library = tmp_path / "library"
    staged = _staged(tmp_path, media["ours"])
    recorder = Recorder(library / DEST)
    placed = place(staged, library, DEST, record=recorder)
    assert placed.path == library / "TV/Show/Season 01/Show - S01E01.mkv"
    assert placed.outcome is Outcome.placed and placed.note is None
    assert placed.path.samefile(staged)  # staging is the caller's to clean, afterwards
    assert _names(placed.path.parent) == [placed.path.name]  # no temporary file
    assert recorder.calls == [(_identity(staged), False)]  # recorded before the final link


def test_across_filesystems_copies_and_records_the_identity_before_linking(
    tmp_path: Path, other_fs: Path, media: dict[str, Path]
) -> None:
    library = tmp_path / "library"
    staged = _staged(other_fs, media["ours"])
    recorder = Recorder(library / DEST)
    placed = place(staged, library, DEST, record=recorder)
    assert placed.outcome is Outcome.placed
    assert placed.path.read_bytes() == staged.read_bytes()
    assert placed.path.stat().st_dev != staged.stat().st_dev
    assert staged.exists()
    assert _names(placed.path.parent) == [placed.path.name]
    assert recorder.calls == [(_identity(staged), False)]


@pytest.mark.parametrize("collision", ["skip", "replace"])
def test_without_hard_links_the_file_is_copied_and_renamed(
    tmp_path: Path, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch, collision: str
) -> None:
    """Replace: after a kill that left the old file aside, which goes back, then aside
    again, all by renames."""

    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    library = tmp_path / "library"
    if collision == "replace":
        _put_at(library, media["other"], DEST.with_name(f".{DEST.name}.boz-old"))
    monkeypatch.setattr(os, "link", no_links)  # as on some network shares
    staged = _staged(tmp_path, media["ours"])
    placed = place(staged, library, DEST, collision=collision)  # type: ignore[arg-type]
    expected = Outcome.replaced if collision == "replace" else Outcome.placed
    assert (placed.path, placed.outcome) == (library / DEST, expected)
    assert placed.path.read_bytes() == staged.read_bytes()
    assert _names(placed.path.parent) == [placed.path.name]


def test_a_temporary_file_left_by_a_killed_attempt_is_removed(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    library = tmp_path / "library"
    left = library / DEST.parent / f".{DEST.name}.boz-part"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half a copy")
    placed = place(_staged(tmp_path, media["ours"]), library, DEST)
    assert _names(placed.path.parent) == [DEST.name]


def test_names_at_the_longest_naming_allows_still_fit(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    disc = Disc(label="x", fingerprint="f", source="/s", kind=DiscKind.tv, show="É" * 300,
                season=1)  # fmt: skip
    title = Title(index=0, name="t", duration_s=1, size_bytes=1, role=TitleRole.episode,
                  selected=True, episodes=[1], episode_names=["ü" * 300])  # fmt: skip
    relative = destination(disc, title)
    assert relative is not None
    assert len(relative.name.encode()) > MAX_COMPONENT_BYTES - 2  # as long as it gets
    library = tmp_path / "library"
    _put_at(library, media["other"], relative)
    staged = _staged(tmp_path, media["ours"])
    kept = place(staged, library, relative, collision="keep-both")
    assert kept.outcome is Outcome.kept_both and len(kept.path.name.encode()) <= 255
    replaced = place(staged, library, relative, collision="replace")
    assert replaced.outcome is Outcome.replaced
    assert _names(replaced.path.parent) == sorted([relative.name, kept.path.name])


def test_hostile_title_characters_stay_inside_the_library(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    disc = Disc(label="x", fingerprint="f", source="/s", kind=DiscKind.tv,
                show="../../../etc/Evil: \"Show\"\x00", season=1)  # fmt: skip
    title = Title(index=0, name="t", duration_s=1, size_bytes=1, role=TitleRole.episode,
                  selected=True, episodes=[1])  # fmt: skip
    rel = destination(disc, title)
    assert rel is not None
    library = tmp_path / "library"
    placed = place(_staged(tmp_path, media["ours"]), library, rel).path
    assert placed.resolve().is_relative_to(library.resolve())
    assert placed.name == "etc Evil - Show - S01E01.mkv"


# --- already there -------------------------------------------------------------------


def test_placing_again_finds_the_same_file(tmp_path: Path, media: dict[str, Path]) -> None:
    library = tmp_path / "library"
    staged = _staged(tmp_path, media["ours"])
    first = place(staged, library, DEST)
    recorder = Recorder(first.path)
    again = place(staged, library, DEST, record=recorder)
    assert (again.path, again.outcome) == (first.path, Outcome.already_there)
    assert recorder.calls == []


@pytest.mark.parametrize("there", ["ours", "remux"])
def test_the_same_bytes_or_the_same_streams_are_already_there(
    tmp_path: Path, media: dict[str, Path], there: str
) -> None:
    """A transcode run again after a kill differs in its container header only."""
    library = tmp_path / "library"
    target = _put_at(library, media[there])
    before = target.stat()
    placed = place(_staged(tmp_path, media["ours"]), library, DEST)
    assert (placed.path, placed.outcome) == (target, Outcome.already_there)
    assert os.path.samestat(target.stat(), before)  # left as it was


def test_the_identity_an_earlier_attempt_recorded_is_already_there(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    """Even when the staged file now holds other streams (a non-deterministic encoder)."""
    library = tmp_path / "library"
    target = _put_at(library, media["other"])
    staged = _staged(tmp_path, media["ours"])
    placed = place(staged, library, DEST, known=_identity(target))
    assert (placed.path, placed.outcome) == (target, Outcome.already_there)
    with_another_identity = place(staged, library, DEST, known=_identity(staged))
    assert with_another_identity.outcome is Outcome.skipped


# --- collisions ----------------------------------------------------------------------


@pytest.mark.parametrize("squatter", ["other", "not media"])
def test_skip_keeps_the_existing_file_and_says_why(
    tmp_path: Path, media: dict[str, Path], squatter: str
) -> None:
    library = tmp_path / "library"
    if squatter == "not media":
        target = library / DEST
        target.parent.mkdir(parents=True)
        target.write_bytes(b"somebody else's file")
    else:
        target = _put_at(library, media[squatter])
    before = target.read_bytes()
    staged = _staged(tmp_path, media["ours"])
    recorder = Recorder(target)
    placed = place(staged, library, DEST, collision="skip", record=recorder)
    assert (placed.path, placed.outcome) == (target, Outcome.skipped)
    assert placed.note is not None and "\n" not in placed.note
    assert str(target) in placed.note and "BOZ_COLLISION=skip" in placed.note
    assert target.read_bytes() == before
    assert staged.exists() and recorder.calls == []
    assert _names(target.parent) == [target.name]


def test_keep_both_places_a_copy_once(tmp_path: Path, media: dict[str, Path]) -> None:
    library = tmp_path / "library"
    target = _put_at(library, media["other"])
    staged = _staged(tmp_path, media["ours"])
    placed = place(staged, library, DEST, collision="keep-both")
    assert placed.outcome is Outcome.kept_both
    assert placed.path == target.with_name("Show - S01E01 - copy 2.mkv")
    assert placed.path.samefile(staged) and placed.note and placed.path.name in placed.note
    again = place(staged, library, DEST, collision="keep-both")  # a rerun after a kill
    assert again.path == placed.path
    assert _names(target.parent) == ["Show - S01E01 - copy 2.mkv", "Show - S01E01.mkv"]


def test_keep_both_passes_copies_that_are_not_ours(tmp_path: Path, media: dict[str, Path]) -> None:
    library = tmp_path / "library"
    _put_at(library, media["other"])
    _put_at(library, media["other"], DEST.with_name("Show - S01E01 - copy 2.mkv"))
    placed = place(_staged(tmp_path, media["ours"]), library, DEST, collision="keep-both")
    assert placed.path.name == "Show - S01E01 - copy 3.mkv"


def test_replace_puts_ours_in_place_of_the_old_file(tmp_path: Path, media: dict[str, Path]) -> None:
    library = tmp_path / "library"
    target = _put_at(library, media["other"])
    staged = _staged(tmp_path, media["ours"])
    recorder = Recorder(target)
    placed = place(staged, library, DEST, collision="replace", record=recorder)
    assert (placed.path, placed.outcome) == (target, Outcome.replaced)
    assert target.samefile(staged)
    assert _names(target.parent) == [target.name]  # the old file is gone, no temp left
    assert recorder.calls == [(_identity(staged), True)]  # before the old one went aside


@pytest.mark.parametrize(
    ("there", "collision", "outcome", "left"),
    [
        (None, "replace", Outcome.replaced, "ours"),  # killed once the old file was aside
        (None, "skip", Outcome.skipped, "other"),  # the policy changed meanwhile: put back
        ("ours", "replace", Outcome.already_there, "ours"),  # killed before dropping it
        ("aside", "skip", Outcome.skipped, "other"),  # killed while putting it back
    ],
)
def test_an_interrupted_replacement_is_finished_or_undone(
    tmp_path: Path,
    media: dict[str, Path],
    there: str | None,
    collision: organize.Collision,
    outcome: Outcome,
    left: str,
) -> None:
    library = tmp_path / "library"
    aside = _put_at(library, media["other"], DEST.with_name(f".{DEST.name}.boz-old"))
    target = library / DEST
    if there == "ours":
        shutil.copyfile(media["ours"], target)
    elif there == "aside":
        os.link(aside, target)
    placed = place(_staged(tmp_path, media["ours"]), library, DEST, collision=collision)
    assert placed.outcome is outcome
    assert target.read_bytes() == media[left].read_bytes()
    assert _names(target.parent) == [target.name]


def test_an_old_file_aside_beside_a_third_file_is_left_to_the_operator(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    library = tmp_path / "library"
    aside = _put_at(library, media["other"], DEST.with_name(f".{DEST.name}.boz-old"))
    target = library / DEST
    target.write_bytes(b"a third file")
    with pytest.raises(LibraryConflict, match=r"\.boz-old \(the file an interrupted"):
        place(_staged(tmp_path, media["ours"]), library, DEST, collision="replace")
    assert aside.read_bytes() == media["other"].read_bytes()
    assert target.read_bytes() == b"a third file"


# --- failures ------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_library_is_no_space_naming_the_folder_and_leaves_no_temp(
    tmp_path: Path,
    other_fs: Path,
    media: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
) -> None:
    def full(src, dst, digest) -> None:  # type: ignore[no-untyped-def]
        dst.write(src.read(1000))
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(organize, "_copy_into", full)
    library = tmp_path / "library"
    staged = _staged(other_fs, media["ours"])
    with pytest.raises(NoSpace) as caught:
        place(staged, library, DEST)
    assert not caught.value.transient
    assert f"library folder {library / DEST.parent} " in str(caught.value)
    assert _names(library / DEST.parent) == []
    assert staged.read_bytes() == media["ours"].read_bytes()


def test_a_copy_that_reads_back_different_is_dropped(
    tmp_path: Path, other_fs: Path, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def garbling(src, dst, digest) -> None:  # type: ignore[no-untyped-def]
        data = src.read()
        digest.update(data)
        dst.write(data[:-1] + b"!")

    monkeypatch.setattr(organize, "_copy_into", garbling)
    library = tmp_path / "library"
    with pytest.raises(OutputInvalid, match="differs from the staged file"):
        place(_staged(other_fs, media["ours"]), library, DEST)
    assert _names(library / DEST.parent) == []


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_an_unwritable_library_says_which_folder_and_what_to_do(
    tmp_path: Path, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def refused(source: object, target: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", refused)
    library = tmp_path / "library"
    staged = _staged(tmp_path, media["ours"])
    with pytest.raises(LibraryUnwritable) as caught:
        place(staged, library, DEST)
    message = str(caught.value)
    assert f"library folder {library / DEST.parent} ({os.strerror(code)})" in message
    assert "BOZ_LIBRARY" in message and "\n" not in message
    assert staged.exists()


# --- through the job -----------------------------------------------------------------


def transcoded_title(source: Path, home: Path, staging: Path, library: Path) -> dict[str, str]:
    """A one-title disc ripped and transcoded, waiting for organize; its settings as
    keyword arguments (strings, for a child process too)."""
    config = {"home": str(home), "staging": str(staging), "library": str(library),
              "min_title_seconds": "2", "x264_preset": "ultrafast"}  # fmt: skip
    settings = Settings(**config)  # type: ignore[arg-type]
    db = open_database(settings.db_url)
    runner = Runner(host=settings.host_name)
    disc = detect.detect(db, settings, str(source))
    assert disc.id is not None
    options = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(), **options)
    preview.decide(db, disc.id, proposal.decision(), **options)
    rip.rip_title(db, settings, disc.id, 0, runner)
    transcode.transcode_title(db, settings, disc.id, 0, runner)
    return config


def clone(
    config: dict[str, str], home: Path, staging: Path, library: Path, **more: str
) -> Settings:
    """A copy of a transcoded title's database and staging, for one test to change."""
    home.mkdir(parents=True)
    with (
        sqlite3.connect(Path(config["home"]) / "boz.db") as src,
        sqlite3.connect(home / "boz.db") as dst,
    ):
        src.backup(dst)
    shutil.copytree(config["staging"], staging)
    fields = {"home": str(home), "staging": str(staging), "library": str(library), **more}
    return Settings(**{**config, **fields})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def template(disc_factory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("template")
    source = disc_factory("KILL_SHOW_S1_D1", episodes=1, extras=0)
    return transcoded_title(source, base / "home", base / "staging", base / "library")


def only_disc(settings: Settings) -> int:
    with open_database(settings.db_url).session() as s:
        [disc] = store.list_discs(s)
    assert disc.id is not None
    return disc.id


def organize_job(settings: Settings) -> tuple[JobStatus, str | None, dict[str, object]]:
    """Title 0's organize job: status, output (relative to the library) and details."""
    disc_id = only_disc(settings)
    with open_database(settings.db_url).session() as s:
        [job] = [j for j in store.list_jobs(s, disc_id) if j.kind is JobKind.organize]
        return job.status, job.output_path, store.job_details(s, disc_id, 0, JobKind.organize)


@pytest.mark.parametrize("collision", ["skip", "keep-both"])
def test_organize_records_the_outcome_then_cleans_staging(
    tmp_path: Path, template: dict[str, str], collision: str
) -> None:
    settings = clone(
        template, tmp_path / "home", tmp_path / "staging", tmp_path / "library",
        collision=collision,
    )  # fmt: skip
    [staged] = (tmp_path / "staging").rglob("t00.transcoded.mkv")
    ours = _identity(staged)
    squatter = settings.library_dir / "TV/Kill Show/Season 01/Kill Show - S01E01.mkv"
    squatter.parent.mkdir(parents=True)
    squatter.write_bytes(b"somebody else's file")

    db = open_database(settings.db_url)
    runner = Runner(host=settings.host_name)
    placed = organize.organize_title(db, settings, only_disc(settings), 0, runner).path

    status, output, details = organize_job(settings)
    assert status is JobStatus.done and output == str(placed.relative_to(settings.library_dir))
    assert squatter.read_bytes() == b"somebody else's file"
    assert not staged.exists()
    if collision == "skip":
        assert placed == squatter
        assert details["outcome"] == "skipped" and "staged" not in details
    else:
        assert placed.name == "Kill Show - S01E01 - copy 2.mkv"
        assert details["outcome"] == "kept both"
        assert details["staged"] == {"size": ours.size, "sha256": ours.sha256}
        assert _identity(placed) == ours
    assert isinstance(details["note"], str) and str(squatter) in details["note"]
