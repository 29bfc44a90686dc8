"""Damaged titles stop at the rip and damaged outputs at the transcode, on real small files.

A truncated MKV keeps its full duration in its header, and a stream copy of it is a clean,
short file: only the duration its packets span, against what the disc declared, tells.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from boz.db import store
from boz.db.engine import Database, open_database
from boz.errors import NoSpace, OutputInvalid, SourceDamaged, ToolFailed
from boz.media.probe import probe
from boz.media.sample import make_title
from boz.media.verify import (
    allowed_shortfall,
    source_details,
    source_info_from_details,
    verify_output,
    verify_source,
)
from boz.models import JobKind, JobStatus, RipRequest
from boz.pipeline import detect, preview, rip
from boz.pipeline.jobs import Runner
from boz.settings import Settings
from boz.sources.folder import FolderSource

SECONDS = 6


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_title(tmp_path_factory.mktemp("whole") / "t00.mkv", seconds=SECONDS, size="160x90")


def _copy(whole: Path, tmp_path: Path, name: str = "t00.mkv") -> Path:
    return Path(shutil.copy(whole, tmp_path / name))


def _cut_to_half(path: Path) -> Path:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)
    return path


def _declared(path: Path) -> float:
    return probe(path).duration_s


def test_a_whole_title_passes_with_its_real_duration_and_packets(whole: Path) -> None:
    info = verify_source(whole, declared_duration_s=_declared(whole), ffprobe="ffprobe",
                         title_label="title 0 (t00.mkv)")  # fmt: skip
    assert abs(info.duration_s - _declared(whole)) <= allowed_shortfall(_declared(whole))
    assert info.packets("video") == probe(whole, count_packets=True).packets("video")
    assert (info.count("audio"), info.count("subtitle")) == (2, 1)  # what make_title writes


def test_a_title_cut_to_half_its_bytes_is_truncated(whole: Path, tmp_path: Path) -> None:
    cut = _cut_to_half(_copy(whole, tmp_path))
    assert probe(cut).duration_s == _declared(whole)  # the header still says all of it
    with pytest.raises(SourceDamaged) as caught:
        verify_source(cut, declared_duration_s=_declared(whole), ffprobe="ffprobe",
                      title_label="title 3 (t03.mkv)")  # fmt: skip
    message = str(caught.value)
    assert message.startswith("title 3 (t03.mkv): ") and "\n" not in message
    assert f"the disc declares {_declared(whole):.0f} s: the rip is truncated" in message


def test_garbage_across_the_middle_is_damage(whole: Path, tmp_path: Path) -> None:
    """A tenth of the file zeroed at its middle crosses block headers, which the demuxer
    reports (EBML errors). Garbage confined to one frame's payload demuxes cleanly and
    passes: the decode check of the transcoded output is what finds that (below)."""
    broken = _copy(whole, tmp_path)
    size = broken.stat().st_size
    with broken.open("r+b") as f:
        f.seek(size // 2)
        f.write(bytes(size // 10))
    with pytest.raises(SourceDamaged, match=r"^title 0 \(t00.mkv\) does not read cleanly \("):
        verify_source(broken, declared_duration_s=_declared(whole), ffprobe="ffprobe",
                      title_label="title 0 (t00.mkv)")  # fmt: skip


def test_a_short_title_that_declares_nothing_only_has_to_read_cleanly(
    whole: Path, tmp_path: Path
) -> None:
    stream_copy = tmp_path / "copy.mkv"
    cut = _cut_to_half(_copy(whole, tmp_path))
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(cut), "-map", "0", "-c", "copy",
                    str(stream_copy)], check=True)  # fmt: skip
    info = verify_source(stream_copy, declared_duration_s=None, ffprobe="ffprobe",
                         title_label="title 0 (copy.mkv)")  # fmt: skip
    assert info.duration_s < _declared(whole) - allowed_shortfall(_declared(whole))
    with pytest.raises(SourceDamaged, match="the rip is truncated"):
        verify_source(stream_copy, declared_duration_s=_declared(whole), ffprobe="ffprobe",
                      title_label="title 0 (copy.mkv)")  # fmt: skip


def test_details_kept_with_the_rip_give_back_the_same_info(whole: Path, tmp_path: Path) -> None:
    info = verify_source(whole, declared_duration_s=None, ffprobe="ffprobe", title_label="t")
    details = json.loads(json.dumps(source_details(info)))  # as the job row stores them
    again = source_info_from_details(details, whole)
    assert again is not None
    assert (again.streams, again.chapters, again.duration_s) == (
        info.streams,
        info.chapters,
        info.duration_s,
    )
    assert source_info_from_details({}, whole) is None
    other = _cut_to_half(_copy(whole, tmp_path))  # another file: its own details, not these
    assert source_info_from_details(details, other) is None


def _damage_one_frame(path: Path) -> None:
    """Random bytes inside the payload of a mid-title video packet, its framing intact."""
    listed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=pos,size,flags", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    packets = json.loads(listed.stdout)["packets"]
    mid = next(p for p in packets[len(packets) // 2 :] if "K" not in p["flags"])
    pos, size = int(mid["pos"]), int(mid["size"])
    rng = random.Random(7)
    with path.open("r+b") as f:
        f.seek(pos + size // 4)
        f.write(bytes(rng.randrange(256) for _ in range(size // 2)))


def test_the_decode_check_finds_a_damaged_frame_the_counts_miss(
    whole: Path, tmp_path: Path
) -> None:
    source = probe(whole, count_packets=True)
    output = _copy(whole, tmp_path, "t00.transcoded.mkv")
    _damage_one_frame(output)
    verify_output(output, source, ffprobe="ffprobe")  # packets, streams, chapters: all there
    with pytest.raises(OutputInvalid, match=r"^t00.transcoded.mkv failed verification: decod"):
        verify_output(output, source, ffprobe="ffprobe", decode=True)
    verify_output(whole, source, ffprobe="ffprobe", decode=True)  # a whole file decodes


def test_a_profile_that_keeps_fewer_languages_passes_its_own_counts(
    whole: Path, tmp_path: Path
) -> None:
    source = probe(whole, count_packets=True)
    english = tmp_path / "english.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(whole), "-map", "0:v", "-map", "0:a:0",
                    "-c", "copy", str(english)], check=True)  # fmt: skip
    with pytest.raises(OutputInvalid, match="audio streams 1 != 2; subtitle streams 0 != 1"):
        verify_output(english, source, ffprobe="ffprobe")
    verify_output(english, source, ffprobe="ffprobe", audio_streams=1, subtitle_streams=0)


# --- the rip step ------------------------------------------------------------------------


def _approved_disc(folder: Path, settings: Settings) -> tuple[Database, int]:
    db = open_database(settings.db_url)
    disc = detect.detect(db, settings, str(folder))
    assert disc.id is not None
    kwargs = {"min_seconds": settings.min_title_seconds, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(), **kwargs)
    preview.decide(db, disc.id, proposal.decision(), **kwargs)
    return db, disc.id


@pytest.fixture
def two_titles(whole: Path, tmp_path: Path) -> Path:
    """A TV disc folder: title 0 whole, title 1 cut to half its bytes."""
    folder = tmp_path / "SAMPLE_SHOW_S1_D1"
    folder.mkdir()
    _copy(whole, folder, "title_t00.mkv")
    make_title(folder / "title_t01.mkv", seconds=SECONDS, size="160x90", variant=1)
    _cut_to_half(folder / "title_t01.mkv")
    return folder


def test_a_truncated_title_fails_its_rip_and_is_never_ripped(
    two_titles: Path, boz_home: Path
) -> None:
    settings = Settings()
    db, disc_id = _approved_disc(two_titles, settings)
    runner = Runner(host="test-host")

    ripped = rip.rip_title(db, settings, disc_id, 0, runner)
    with pytest.raises(SourceDamaged, match=r"^title 1 \(title_t01.mkv\): .* rip is truncated"):
        rip.rip_title(db, settings, disc_id, 1, runner)

    with db.session() as s:
        jobs = {j.title_index: j for j in store.list_jobs(s, disc_id)}
        kept = store.job_details(s, disc_id, 0, JobKind.rip)
        disc = store.get_disc(s, disc_id)
    assert (jobs[0].status, jobs[1].status) == (JobStatus.done, JobStatus.failed)
    assert jobs[1].output_path is None and "truncated" in (jobs[1].error or "")
    assert disc.error is not None and "truncated" in disc.error
    staged = sorted(p.name for p in settings.staging_dir.rglob("*") if p.is_file())
    assert staged == [ripped.name]  # nothing of title 1 left that looks ripped
    info = source_info_from_details(kept, ripped)
    assert info is not None
    assert info.packets("video") == probe(ripped, count_packets=True).packets("video")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_staging_disk_is_no_space_and_never_retried(
    whole: Path, tmp_path: Path, boz_home: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    folder = tmp_path / "SAMPLE_SHOW_S1_D1"
    folder.mkdir()
    _copy(whole, folder, "title_t00.mkv")
    settings = Settings()
    db, disc_id = _approved_disc(folder, settings)

    def full(self: FolderSource, title: object, target: Path, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), str(target))

    monkeypatch.setattr(FolderSource, "rip", full)
    with pytest.raises(NoSpace) as caught:
        rip.rip_title(db, settings, disc_id, 0, Runner(host="test-host", last_attempt=False))
    assert str(caught.value).startswith(
        f"BOZ_STAGING {settings.staging_dir} is full on host {settings.host_name} "
        f"({os.strerror(code)}): "
    )
    with db.session() as s:
        [job] = store.list_jobs(s, disc_id)
    assert job.status is JobStatus.failed  # retries were left, yet it failed for good


def test_a_folder_rip_is_checked_against_what_ffmpeg_read_without_a_pass_of_its_own(
    whole: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "DISC"
    folder.mkdir()
    _copy(whole, folder)
    source = FolderSource(folder, Settings())
    title = source.read_titles()[0]
    target = tmp_path / "rip.mkv"
    expected = source.rip(title, target, on_progress=None)
    counted = probe(whole, count_packets=True)
    # ffmpeg's own report gives the source's counts: the same as a count of its own
    assert expected.packets("video") == counted.packets("video")
    kinds = [(s.index, s.kind) for s in counted.streams]
    assert ([(s.index, s.kind) for s in expected.streams], expected.chapters) == (
        kinds,
        counted.chapters,
    )
    info = verify_source(target, declared_duration_s=title.duration_s, ffprobe="ffprobe",
                         title_label="t", expected=expected)  # fmt: skip
    assert info.packets("video") == counted.packets("video")
    # a written file that lost packets the copy muxed is no rip
    short = dataclasses.replace(expected, streams=tuple(
        dataclasses.replace(s, packets=s.packets + 1) if s.packets else s
        for s in expected.streams
    ))  # fmt: skip
    with pytest.raises(OutputInvalid, match=r"^rip.mkv failed verification: video packets"):
        verify_source(target, declared_duration_s=title.duration_s, ffprobe="ffprobe",
                      title_label="t", expected=short)  # fmt: skip
    # the counting log is chatty; a failure still gives ffmpeg's error line
    with pytest.raises(ToolFailed, match=r"^ffmpeg failed: .*/missing/rip.mkv: No such file"):
        source.rip(title, tmp_path / "missing" / "rip.mkv", on_progress=None)
