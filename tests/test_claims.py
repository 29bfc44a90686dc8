"""Claims on discs and jobs: one holder at a time, and a dead holder is taken over.

Plain functions on a real database (SQLite and PostgreSQL), with real processes standing
for the holders: a live ``sleep`` holds, the same ``sleep`` killed does not.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from boz.db import claims, store
from boz.db.engine import Database
from boz.db.tables import DiscRow, JobRow, aware, utcnow
from boz.errors import DiscBusy, JobHeld
from boz.models import DiscStatus, JobKind, JobStatus, Title
from boz.pipeline import lifecycle
from boz.pipeline.jobs import Runner, run_job


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process on this host that holds a claim until the test kills it."""
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


def _disc(db: Database, titles: int = 2) -> int:
    with db.session() as s:
        disc_id = store.find_or_create_disc(s, label="CLAIMS", fingerprint="f" * 16, source="x")
        store.save_titles(
            s,
            disc_id,
            [Title(index=i, name=f"t{i}", duration_s=60, size_bytes=1) for i in range(titles)],
        )
        store.set_title_plan(s, disc_id, {i: (None, True, None) for i in range(titles)})
    return disc_id


def _work(root: Path, name: str) -> Path:
    out = root / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"made")
    return out


def _hold_job(db: Database, disc_id: int, holder: claims.Holder, *, lease_s: float) -> None:
    """Make ``holder`` the running holder of title 0's rip, as its own process would."""
    with db.session() as s:
        store.claim_job(
            s, disc_id=disc_id, title_index=0, kind=JobKind.rip, root=Path("/"),
            host_id=store.heartbeat(s, holder.host, ["rip"]), holder=holder,
            lease_seconds=lease_s, run_ended=claims.never_ended, later={},
        )  # fmt: skip


def test_a_live_holder_keeps_its_job_and_a_killed_one_loses_it(
    db: Database, tmp_path: Path, other_process: subprocess.Popen[bytes]
) -> None:
    disc_id = _disc(db)
    _hold_job(db, disc_id, claims.Holder("host-a", other_process.pid), lease_s=600)
    me = Runner(host="host-a")

    def rip() -> Path:
        return run_job(db, disc_id=disc_id, title_index=0, kind=JobKind.rip, runner=me,
                       root=tmp_path, work=lambda: _work(tmp_path, "t00.rip.mkv"))  # fmt: skip

    with pytest.raises(JobHeld, match=rf"rip of title 0 of disc {disc_id} is running on host-a"):
        rip()
    assert not (tmp_path / "t00.rip.mkv").exists()  # the work did not run

    other_process.kill()
    other_process.wait()
    assert rip() == tmp_path / "t00.rip.mkv"  # its process is gone: taken over
    with db.session() as s:
        [job] = store.list_jobs(s, disc_id)
    assert (job.status, job.attempts, job.output_path) == (JobStatus.done, 2, "t00.rip.mkv")


def test_a_holder_on_another_host_is_taken_over_when_its_lease_ends_or_its_run_ended(
    db: Database, tmp_path: Path
) -> None:
    disc_id = _disc(db)
    elsewhere = claims.Holder("host-b", 4242, run="run-b")
    _hold_job(db, disc_id, elsewhere, lease_s=600)
    with db.session() as s:
        row = s.get_one(JobRow, 1)
        me = claims.Holder("host-a", 1)
        assert not claims.is_free(row, me, claims.never_ended)  # host-b is alive for all we know
        assert claims.is_free(row, me, lambda run: run == "run-b")  # Prefect says it crashed
        assert claims.is_free(row, me, claims.never_ended, now=utcnow() + timedelta(hours=1))
        assert claims.is_free(row, claims.Holder("host-c", 9, run="run-b"), claims.never_ended)


def test_a_lease_is_renewed_while_the_work_runs(db: Database, tmp_path: Path) -> None:
    disc_id = _disc(db)
    me = Runner(host="host-a", lease_seconds=1.5)
    leases = []

    def slow() -> Path:
        for _ in range(4):
            with db.session() as s:
                leases.append(aware(s.get_one(JobRow, 1).lease_until))  # type: ignore[arg-type]
            subprocess.run(["sleep", "0.6"], check=True)
        return _work(tmp_path, "slow.mkv")

    run_job(db, disc_id=disc_id, title_index=0, kind=JobKind.rip, runner=me, root=tmp_path,
            work=slow)  # fmt: skip
    assert leases[-1] > leases[0]  # renewed, so nobody could take it over meanwhile
    with db.session() as s:
        assert s.get_one(JobRow, 1).holder_host is None  # and let go once done


def test_a_failure_with_retries_left_keeps_the_disc_ripping(db: Database, tmp_path: Path) -> None:
    from boz.errors import ToolFailed

    disc_id = _disc(db)

    def broken() -> Path:
        raise ToolFailed("ffmpeg failed: simulated")

    for last in (False, True):
        with pytest.raises(ToolFailed):
            run_job(db, disc_id=disc_id, title_index=0, kind=JobKind.rip, root=tmp_path,
                    runner=Runner(host="h", last_attempt=last), work=broken)  # fmt: skip
        with db.session() as s:
            disc = store.get_disc(s, disc_id)
            [job] = store.list_jobs(s, disc_id)
        if not last:
            assert (disc.status, job.status) == (DiscStatus.ripping, JobStatus.pending)
    assert (disc.status, job.status) == (DiscStatus.failed, JobStatus.failed)
    assert disc.error == "title 0: rip failed: ffmpeg failed: simulated"


def test_one_run_owns_a_disc(db: Database, other_process: subprocess.Popen[bytes]) -> None:
    disc_id = _disc(db)
    first = Runner(host="host-a", pid=other_process.pid, flow_run_id="run-1")
    with db.session() as s:
        store.claim_disc(s, disc_id, first.holder, 600, claims.never_ended)
    with pytest.raises(DiscBusy, match=r"held by a run on host-a \(pid \d+, run run-1\)"):  # noqa: SIM117
        with lifecycle.owning(db, disc_id, Runner(host="host-a")):
            pass
    with db.session() as s:
        me = claims.Holder.this_process("host-a")
        assert store.disc_run_alive(s, disc_id, "run-1", me, claims.never_ended)
    other_process.kill()
    other_process.wait()
    with db.session() as s:
        assert not store.disc_run_alive(s, disc_id, "run-1", me, claims.never_ended)
    with lifecycle.owning(db, disc_id, Runner(host="host-a")), db.session() as s:
        assert s.get_one(DiscRow, disc_id).holder_pid != other_process.pid
    with db.session() as s:
        assert s.get_one(DiscRow, disc_id).holder_host is None  # released at the end


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        ([], DiscStatus.ripping),
        ([(0, "rip", "done")], DiscStatus.ripping),  # title 1 is not ripped yet
        ([(0, "rip", "done"), (1, "rip", "running")], DiscStatus.ripping),
        ([(0, "rip", "done"), (1, "rip", "done"), (0, "transcode", "running")],
         DiscStatus.transcoding),
        ([(0, "organize", "done"), (1, "rip", "done"), (1, "transcode", "pending")],
         DiscStatus.transcoding),  # title 0 was in the library before; title 1 retries
        ([(0, "organize", "done"), (1, "organize", "done")], DiscStatus.done),
        ([(0, "rip", "done"), (1, "rip", "failed")], DiscStatus.failed),
    ],
)  # fmt: skip
def test_a_disc_status_is_its_jobs_rolled_up(
    jobs: list[tuple[int, str, str]], expected: DiscStatus
) -> None:
    rows = [(i, JobKind(k), JobStatus(st), "boom") for i, k, st in jobs]
    status, error = lifecycle.status_of([0, 1], rows)
    assert status is expected
    assert (error == "title 1: rip failed: boom") is (expected is DiscStatus.failed)
