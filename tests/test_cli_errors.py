"""Bad input: one clear line on stderr, a non-zero exit, the disc marked failed, nothing lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import boz_json, library_files, run_boz


def _one_line_error(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("boz: ")
    return last


def _nothing_half_written(home: Path) -> None:
    assert library_files(home) == []
    leftovers = [p for p in home.rglob("*") if p.suffix in (".part", ".boz-part")]
    assert leftovers == []


def test_missing_source(tmp_path: Path, boz_home: Path) -> None:
    line = _one_line_error(run_boz("rip", str(tmp_path / "nope"), "--yes", check=False))
    assert line == f"boz: no such folder: {tmp_path / 'nope'}"
    _nothing_half_written(boz_home)


def test_a_file_is_not_a_disc(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a disc")
    line = _one_line_error(run_boz("rip", str(notes), "--yes", check=False))
    assert "is not a folder" in line


@pytest.mark.usefixtures("prefect_api")
@pytest.mark.parametrize("content", ["empty", "text-only"])
def test_folder_without_video(content: str, tmp_path: Path, boz_home: Path) -> None:
    folder = tmp_path / "EMPTY_DISC"
    folder.mkdir()
    if content == "text-only":
        (folder / "readme.txt").write_text("a disc's readme")
    line = _one_line_error(run_boz("rip", str(folder), "--yes", check=False))
    assert line.startswith(f"boz: no video files in {folder}")
    [disc] = boz_json("discs")
    assert disc["status"] == "failed" and disc["error"].startswith("no video files")
    _nothing_half_written(boz_home)


@pytest.mark.usefixtures("prefect_api")
def test_corrupt_video(copy_disc, boz_home: Path) -> None:
    disc = copy_disc("BROKEN_S1_D1")
    (disc / "title_t01.mkv").write_bytes(os.urandom(200_000))
    line = _one_line_error(run_boz("rip", str(disc), "--yes", check=False))
    assert line.startswith("boz: cannot read title_t01.mkv")
    [row] = boz_json("discs")
    assert row["status"] == "failed" and row["error"].startswith("cannot read title_t01.mkv")
    _nothing_half_written(boz_home)
    assert boz_json("seasons") == []  # no numbers were handed out


@pytest.mark.usefixtures("prefect_api")
def test_missing_ffmpeg(disc_factory, boz_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOZ_FFPROBE", "/nonexistent/ffprobe")
    done = run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes", check=False)
    line = _one_line_error(done)
    assert line == (
        "boz: ffprobe not found: install ffmpeg (Debian: apt-get install ffmpeg) or set BOZ_FFPROBE"
    )
    _nothing_half_written(boz_home)


@pytest.mark.parametrize("yes", [False, True])
def test_an_unreachable_prefect_server_is_one_line(
    yes: bool, disc_factory, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disc = str(disc_factory("SAMPLE_SHOW_S1_D1"))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    line = _one_line_error(run_boz("rip", disc, *(["--yes"] if yes else []), check=False))
    assert "no Prefect server answers at PREFECT_API_URL=http://127.0.0.1:9/api" in line
    assert "unset PREFECT_API_URL to use this machine's local server" in line
    _nothing_half_written(boz_home)


def test_approve_an_unknown_disc() -> None:
    line = _one_line_error(run_boz("approve", "42", check=False))
    assert line == "boz: no disc with id 42: see `boz discs`"


def test_db_upgrade_reports_the_revision(boz_home: Path) -> None:
    from alembic.script import ScriptDirectory

    from boz.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    done = run_boz("db", "upgrade")
    assert f"at revision {head}" in done.stdout
    assert (boz_home / "boz.db").is_file()


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    done = run_boz("--version")
    assert done.stdout == f"boz-ripper {version('boz-ripper')}\n" and done.stderr == ""
