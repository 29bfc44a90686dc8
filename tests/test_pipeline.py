"""The steps as plain functions, without Prefect: each one is idempotent on its own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from boz.db import store
from boz.db.engine import open_database
from boz.errors import NeedsDecision
from boz.models import (
    Decision,
    DiscKind,
    DiscStatus,
    JobStatus,
    RipRequest,
    Role,
    TitleChoice,
)
from boz.pipeline import detect, organize, preview, rip, transcode
from boz.pipeline.jobs import Runner
from boz.settings import Settings


def test_each_step_run_twice_does_the_work_once(disc_factory, boz_home: Path) -> None:
    settings = Settings()
    db = open_database(settings.db_url)
    runner = Runner(host="test-host")
    source = str(disc_factory("SAMPLE_SHOW_S1_D1"))

    disc = detect.detect(db, settings, source)
    assert detect.detect(db, settings, source).id == disc.id  # found again, not duplicated
    assert disc.id is not None
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(), **kwargs)
    assert [t.episodes for t in proposal.titles] == [[1], [2], [3], []]
    plan = preview.decide(db, disc.id, proposal.decision(), **kwargs)
    assert plan.disc.status is DiscStatus.approved

    ripped = rip.rip_title(db, settings, disc.id, 0, runner)
    mtime = ripped.stat().st_mtime_ns
    assert rip.rip_title(db, settings, disc.id, 0, runner) == ripped
    assert ripped.stat().st_mtime_ns == mtime  # not ripped again
    with db.session() as s:
        assert store.get_disc(s, disc.id).status is DiscStatus.ripping  # titles 1, 2 to rip
    encoded = transcode.transcode_title(db, settings, disc.id, 0, runner)
    assert transcode.transcode_title(db, settings, disc.id, 0, runner) == encoded
    placed = organize.organize_title(db, settings, disc.id, 0, runner).path
    assert placed == settings.library_dir / "TV/Sample Show/Season 01/Sample Show - S01E01.mkv"
    assert organize.organize_title(db, settings, disc.id, 0, runner).path == placed

    with db.session() as s:
        jobs = store.list_jobs(s, disc.id)
    assert [(j.kind.value, j.status, j.attempts, j.host) for j in jobs] == [
        ("rip", JobStatus.done, 1, "test-host"),
        ("transcode", JobStatus.done, 1, "test-host"),
        ("organize", JobStatus.done, 1, "test-host"),
    ]
    again = preview.propose(db, disc.id, RipRequest(), **kwargs)
    assert [t.in_library for t in again.titles] == [True, False, False, False]
    assert [t.index for t in again.to_rip] == [1, 2]
    assert again.notes and again.notes[0].startswith("seen before on")


def test_an_unknown_disc_needs_the_operator(copy_disc, boz_home: Path) -> None:
    settings = Settings()
    db = open_database(settings.db_url)
    disc = detect.detect(db, settings, str(copy_disc("MYSTERY", episodes=2)))
    assert disc.id is not None
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(), **kwargs)
    assert proposal.disc.kind is DiscKind.unknown
    with pytest.raises(NeedsDecision, match="--show NAME --season N, or --movie TITLE"):
        preview.decide(db, disc.id, proposal.decision(), **kwargs)
    episodes = [TitleChoice(title=i, role=Role.episode) for i in (0, 1)]
    edited = Decision(titles=episodes, show="Mystery Show", season=2, first_episode=5)
    plan = preview.decide(db, disc.id, edited, **kwargs)
    assert [t.destination for t in plan.selected] == [
        "TV/Mystery Show/Season 02/Mystery Show - S02E05.mkv",
        "TV/Mystery Show/Season 02/Mystery Show - S02E06.mkv",
    ]


def test_numbers_given_back_leave_a_gap_the_next_preview_reports(
    disc_factory, boz_home: Path
) -> None:
    settings = Settings()
    db = open_database(settings.db_url)
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    ids = []
    for variant, label in ((0, "GAP_SHOW_S1_D1"), (5, "GAP_SHOW_S1_D2"), (9, "GAP_SHOW_S1_D3")):
        disc = detect.detect(db, settings, str(disc_factory(label, variant=variant)))
        assert disc.id is not None
        ids.append(disc.id)
    preview.propose(db, ids[0], RipRequest(), **kwargs)  # E01-E03
    preview.propose(db, ids[1], RipRequest(), **kwargs)  # E04-E06
    preview.decide(db, ids[0], Decision(approve=False), **kwargs)  # disc 1 rejected
    third = preview.propose(db, ids[2], RipRequest(), **kwargs)
    assert [t.episodes for t in third.titles] == [[7], [8], [9], []]
    assert any("E01, E02, E03" in n for n in third.notes)


def test_extras_of_the_minimum_length_are_kept_unless_settings_say_not(
    disc_factory, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    db = open_database(settings.db_url)
    ids = []
    for variant, label in ((0, "GAP_SHOW_S1_D1"), (5, "GAP_SHOW_S1_D2")):
        disc = detect.detect(db, settings, str(disc_factory(label, variant=variant)))
        assert disc.id is not None
        ids.append(disc.id)
    kwargs = {"min_seconds": 1, "library": settings.library_dir}  # the sample's extra: 1 s
    assert settings.keep_extras
    kept = preview.propose(db, ids[0], RipRequest(), keep_extras=settings.keep_extras, **kwargs)
    assert [(t.role.value, t.selected) for t in kept.titles] == [
        ("episode", True), ("episode", True), ("episode", True), ("extra", True)
    ]  # fmt: skip
    assert kept.titles[3].destination == f"TV/Gap Show/Other/Extra d{ids[0]}t03.mkv"
    monkeypatch.setenv("BOZ_KEEP_EXTRAS", "false")
    without = Settings().keep_extras
    dropped = preview.propose(db, ids[1], RipRequest(), keep_extras=without, **kwargs)
    assert [(t.role.value, t.selected) for t in dropped.titles][3] == ("extra", False)
    assert dropped.titles[3].destination is None


def test_spellings_of_one_library_folder_share_a_season_counter(
    disc_factory, boz_home: Path
) -> None:
    settings = Settings()
    db = open_database(settings.db_url)
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    shown = []
    for variant, label, show in ((0, "GAP_SHOW_S1_D1", "*"), (5, "GAP_SHOW_S1_D2", "?")):
        disc = detect.detect(db, settings, str(disc_factory(label, variant=variant)))
        assert disc.id is not None
        shown.append(preview.propose(db, disc.id, RipRequest(show=show, season=1), **kwargs))
    assert [t.episodes for t in shown[1].titles] == [[4], [5], [6], []]  # one counter
    assert shown[1].disc.show == "?"  # the disc keeps what the operator typed
    assert shown[1].titles[0].destination == "TV/Untitled/Season 01/Untitled - S01E04.mkv"


def test_the_encode_runs_niced_and_the_rest_does_not(
    disc_factory, boz_home: Path, tmp_path: Path
) -> None:
    """BOZ_TRANSCODE_NICE applies to the encode, the step's long CPU work; the source's
    analysis and the encoder trials are short and run as any process."""
    calls = tmp_path / "ffmpeg-calls"
    ffmpeg = tmp_path / "ffmpeg"
    ffmpeg.write_text(
        f"#!{sys.executable}\n"
        "import os, shutil, sys\n"
        f"with open({str(calls)!r}, 'a') as log:\n"
        "    log.write(f'{os.nice(0)} {sys.argv[-1]}\\n')\n"
        "real = shutil.which('ffmpeg')\n"
        "os.execv(real, [real, *sys.argv[1:]])\n"
    )
    ffmpeg.chmod(0o755)
    settings = Settings(ffmpeg=str(ffmpeg), transcode_nice=6)
    db = open_database(settings.db_url)
    runner = Runner(host="test-host")
    disc = detect.detect(db, settings, str(disc_factory("SAMPLE_SHOW_S1_D1")))
    assert disc.id is not None
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(), **kwargs)
    preview.decide(db, disc.id, proposal.decision(), **kwargs)
    rip.rip_title(db, settings, disc.id, 0, runner)
    encoded = transcode.transcode_title(db, settings, disc.id, 0, runner)

    base = os.nice(0)
    niceness = [line.split(" ", 1) for line in calls.read_text().splitlines()]
    encodes = [int(n) for n, target in niceness if encoded.name in target]  # file:….part
    others = [int(n) for n, target in niceness if encoded.name not in target]
    assert encodes == [min(base + 6, 19)]
    assert others and set(others) == {base}
