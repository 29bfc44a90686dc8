"""Several hosts: `boz setup`, a drive host and a transcode host as separate processes.

One machine plays both hosts (different BOZ_HOST_NAMEs, one shared catalog, staging and
library, as hosts sharing PostgreSQL and a NAS would): a real Prefect server, a real
`prefect worker` on the transcode pool running the deployment from a clean checkout,
`boz rip` on the drive host reading the fake makemkvcon at a drive's pace.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BOZ, boz_json, clean_checkout, kill_tree, library_files, run_boz

pytestmark = pytest.mark.usefixtures("prefect_api")

TESTS = Path(__file__).resolve().parent
FAKE = TESTS / "fakes" / "makemkvcon"
SEASON_24 = TESTS / "fixtures" / "thediscdb" / "series" / "24 (2001)" / "season-1"
MOVIE = next((TESTS / "fixtures" / "thediscdb" / "movie").glob("A Boy Named*/*/disc01.txt"))
TRANSCODE = "transcode_title/transcode-title"


class Host:
    """One host's environment: its name, and the fake drive it reads."""

    def __init__(self, name: str, home: Path, state: Path, **extra: str) -> None:
        self.env = os.environ | {
            "BOZ_HOST_NAME": name,
            "BOZ_HOME": str(home),
            "BOZ_MAKEMKVCON": str(FAKE),
            "FAKE_MAKEMKV_STATE": str(state),
            "FAKE_MAKEMKV_SCALE": "300",
            "FAKE_MAKEMKV_PROGRESS_DELAY": "0.01",
            "BOZ_JOB_LEASE_SECONDS": "10",  # short, but renewals still make it when busy
            **extra,
        }

    def boz(self, *args: str, capture: Path, check: bool = True) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        done = subprocess.run(
            [*BOZ, *args], env=self.env | {"FAKE_MAKEMKV_CAPTURE": str(capture)},
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"boz {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done

    def start(self, *args: str, capture: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*BOZ, *args], env=self.env | {"FAKE_MAKEMKV_CAPTURE": str(capture)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


class Worker:
    """``prefect worker start --pool boz-transcode`` as a transcode host runs it."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env, self.cwd, self.log = env, cwd, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "prefect", "worker", "start", "--pool", "boz-transcode",
                "--name", "xcode-b", "--limit", "2"]  # fmt: skip
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                args, cwd=self.cwd, env=self.env | {"PREFECT_WORKER_QUERY_SECONDS": "1"},
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        if self.proc is not None:
            kill_tree(self.proc)
            self.proc = None


def gated_ffmpeg(folder: Path, gate: Path) -> Path:
    """The real ffmpeg, whose transcodes (the command writing ``*transcoded*.part``) start
    only while ``gate`` exists: a transcode can be caught running, however fast the
    machine, and released when the test says so. Other commands (version, encoder trials)
    run at once."""
    real = shutil.which("ffmpeg")
    assert real is not None
    wrapper = folder / "ffmpeg-gated"
    wrapper.write_text(
        f"#!{sys.executable} -I\n"
        "import os\nimport sys\nimport time\n\n"
        "if 'transcoded' in sys.argv[-1]:\n"
        f"    while not os.path.exists({str(gate)!r}):\n"
        "        time.sleep(0.1)\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
    )
    wrapper.chmod(0o755)
    return wrapper


@pytest.fixture
def cluster(boz_home: Path, tmp_path: Path) -> Iterator[tuple[Host, Worker, Path]]:
    checkout = clean_checkout(tmp_path / "checkout")
    setup = run_boz("setup", cwd=checkout)
    for what in ("work pool boz-drives", "work pool boz-transcode", "reschedule crashed runs",
                 "transcode_title/transcode-title (pool boz-transcode)"):  # fmt: skip
        assert what in setup.stdout, setup.stdout
    assert f"export BOZ_TRANSCODE_DEPLOYMENT={TRANSCODE}" in setup.stdout
    again = run_boz("setup", cwd=checkout)
    assert "created" not in again.stdout  # idempotent: everything exists now

    state = tmp_path / "fake-state"
    drive = Host("drive-a", boz_home, state, BOZ_TRANSCODE_DEPLOYMENT=TRANSCODE,
                 FAKE_MAKEMKV_PROGRESS_DELAY="0.4")  # about 4 s a title, like a drive  # fmt: skip
    gate = tmp_path / "ffmpeg-may-run"
    gate.touch()
    # A gated ffmpeg is silent for as long as the rest of a disc takes to rip; on a busy
    # machine that is more than the stall limit, which would fail and retry it.
    transcoder = Host("xcode-b", boz_home, state, BOZ_STALL_SECONDS="600",
                      BOZ_FFMPEG=str(gated_ffmpeg(tmp_path, gate)))  # fmt: skip
    worker = Worker(transcoder.env, tmp_path, tmp_path / "worker.log")
    worker.start()
    try:
        yield drive, worker, state
    finally:
        worker.kill()


def _jobs() -> list[dict]:
    return boz_json("jobs")


def _wait(what: str, ok, timeout: float = 240, log: Path | None = None):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ok()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    jobs = "\n".join(
        f"{j['disc_id']} t{j['title_index']} {j['kind']} {j['status']} {j['host']} "
        f"{j['attempts']} {j['holder']} {j['error']}"
        for j in _jobs()
    )
    raise AssertionError(f"{what} did not happen in {timeout} s\n{jobs}\n{tail}")


def _disc_status(disc_id: int) -> str:
    return next(d["status"] for d in boz_json("discs") if d["id"] == disc_id)


@pytest.mark.slow
def test_rips_on_the_drive_host_transcodes_on_the_transcode_host(
    cluster: tuple[Host, Worker, Path], boz_home: Path
) -> None:
    from conftest import restart_prefect_server
    from prefect.flow_runs import resume_flow_run

    drive, worker, state = cluster
    lease = float(drive.env["BOZ_JOB_LEASE_SECONDS"])
    gate = state.parent / "ffmpeg-may-run"

    # Disc 1, approved through the API while its run waits; its drive slow enough that a
    # busy transcode host starts (a new process per flow run) while titles still rip.
    pace = drive.env["FAKE_MAKEMKV_PROGRESS_DELAY"]
    drive.env["FAKE_MAKEMKV_PROGRESS_DELAY"] = "0.8"
    rip = drive.start("rip", "disc:0", capture=SEASON_24 / "disc01.txt")
    drive.env["FAKE_MAKEMKV_PROGRESS_DELAY"] = pace
    try:
        waiting = _wait("awaiting approval", lambda: [
            d for d in boz_json("discs") if d["status"] == "awaiting_approval"
        ])[0]  # fmt: skip
        titles = [{"title": t["index"], "role": t["role"], "episodes": t["episodes"]}
                  for t in waiting["titles"] if t["selected"]]  # fmt: skip
        resume_flow_run(
            waiting["approval_flow_run_id"],
            run_input={"approve": True, "titles": titles, "kind": "tv", "show": "24", "season": 1},
        )
        _, err = rip.communicate(timeout=240)
    finally:
        rip.kill()
    assert rip.returncode == 0, err[-3000:]
    _wait("disc 1 done", lambda: _disc_status(waiting["id"]) == "done", log=worker.log)

    restart_prefect_server()  # the catalog's counters do not live in Prefect
    # Disc 2: the transcode host is killed mid-transcode (held there by the gate), then
    # started again.
    gate.unlink()
    drive.boz("rip", "disc:0", "--yes", capture=SEASON_24 / "disc02.txt")
    running = _wait("a transcode running on disc 2", lambda: [
        j for j in _jobs() if j["disc_id"] == 2 and j["kind"] == "transcode"
        and j["status"] == "running"
    ], log=worker.log)  # fmt: skip
    worker.kill()
    assert _disc_status(2) == "transcoding"
    time.sleep(lease + 1)  # another host's claim counts until its lease lapses
    gate.touch()
    worker.start()
    # The drive host's rerun hands over what nobody holds any more; nothing is ripped again.
    drive.boz("rip", "disc:0", "--yes", capture=SEASON_24 / "disc02.txt")
    _wait("disc 2 done", lambda: _disc_status(2) == "done", log=worker.log)

    # A movie on the same pipeline.
    drive.boz("rip", "disc:0", "--yes", "--movie", "A Boy Named Charlie Brown", "--year", "1969",
              capture=MOVIE)  # fmt: skip
    _wait("the movie done", lambda: _disc_status(3) == "done", log=worker.log)

    assert library_files(boz_home) == [
        "Movies/A Boy Named Charlie Brown (1969)/A Boy Named Charlie Brown (1969).mkv",
        *[f"TV/24/Season 01/24 - S01E{n:02d}.mkv" for n in range(1, 9)],
    ]  # numbering continues from disc 1 to disc 2, across the server restart
    assert not list((boz_home / "library").rglob(".*"))  # nothing partial or hidden
    assert not list((boz_home / "staging").rglob("*.mkv"))
    assert boz_json("seasons")[0]["last_episode_assigned"] == 8

    jobs = _jobs()
    assert {(j["kind"], j["host"]) for j in jobs} == {
        ("rip", "drive-a"), ("transcode", "xcode-b"), ("organize", "xcode-b"),
    }  # fmt: skip
    assert all(j["status"] == "done" for j in jobs)
    assert all(j["attempts"] == 1 for j in jobs if j["kind"] == "rip")  # no title ripped twice
    killed = next(j for j in jobs if j["id"] == running[0]["id"])
    assert killed["attempts"] == 2, worker.log.read_text()[-4000:]  # taken over once
    assert len({(j["title_index"], j["disc_id"], j["kind"]) for j in jobs}) == len(jobs)
    # The next title was ripping while an earlier one transcoded (disc 1: disc 2's
    # transcodes were held at the gate and started again after the kill).
    rips = [j for j in jobs if j["disc_id"] == 1 and j["kind"] == "rip"]
    transcodes = [j for j in jobs if j["disc_id"] == 1 and j["kind"] == "transcode"]
    assert min(t["started"] for t in transcodes) < max(r["finished"] for r in rips)

    hosts = {h["name"]: h for h in boz_json("hosts")}
    assert hosts["xcode-b"]["status"] == "online" and "transcode" in hosts["xcode-b"]["roles"]
    assert hosts["xcode-b"]["workers"] == ["boz-transcode/xcode-b"]
    assert hosts["xcode-b"]["transcode_speed"] > 0 and "libx264" in hosts["xcode-b"]["encoders"]
    assert hosts["drive-a"]["jobs_done"] == 9


@pytest.mark.slow
def test_two_rips_on_one_drive_never_read_at_once(boz_home: Path, tmp_path: Path) -> None:
    state = tmp_path / "fake-state"
    drive = Host("drive-a", boz_home, state, BOZ_TRANSCODE_SLOTS="0")
    first = drive.start("rip", "disc:0", "--yes", capture=SEASON_24 / "disc03.txt")
    second = drive.start("rip", "disc:0", "--yes", capture=SEASON_24 / "disc04.txt")
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
    reads = sorted(
        (json.loads(line) for line in (state / "reads.jsonl").read_text().splitlines()),
        key=lambda r: r["start"],
    )
    assert len(reads) == 8 and len({r["pid"] for r in reads}) == 8
    for earlier, later in itertools.pairwise(reads):
        assert earlier["end"] <= later["start"]  # drive:<host>:disc0 let one read at a time
    assert len(library_files(boz_home)) == 8


def test_hosts_shows_the_usable_encoders_a_host_reported(tmp_path: Path) -> None:
    from boz.db import store
    from boz.db.engine import open_database
    from boz.media.encoders import usable_encoders
    from boz.settings import Settings

    settings = Settings(host_name="xcode-c", vaapi_device=str(tmp_path / "renderD999"))
    found = usable_encoders(settings)
    with open_database(settings.db_url).session() as s:
        store.heartbeat(s, settings.host_name, ["transcode"], found.usable)
    [host] = [h for h in boz_json("hosts") if h["name"] == "xcode-c"]  # workers of other tests
    assert (host["status"], host["roles"]) == ("online", ["transcode"])
    assert host["last_heartbeat"] and host["encoders"] == sorted(found.usable)
    assert "libx264" in host["encoders"] and "h264_vaapi" not in host["encoders"]


def test_a_stopped_watcher_turns_its_host_offline(
    boz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOZ_HOST_OFFLINE_SECONDS", "3")  # what the readers go by
    drives = tmp_path / "drives.json"
    drives.write_text(json.dumps([{"device": "/dev/sr0", "drive": "BD-RE FAKE", "state": "empty"}]))
    watcher = Host("watch-c", boz_home, tmp_path / "state", BOZ_HEARTBEAT_SECONDS="0.5",
                   BOZ_WATCH_POLL_SECONDS="0.5", FAKE_MAKEMKV_DRIVES=str(drives))  # fmt: skip
    proc = watcher.start("watch", "--poll", capture=SEASON_24 / "disc01.txt")
    try:

        def status() -> str | None:
            found = [h for h in boz_json("hosts") if h["name"] == "watch-c"]
            return found[0]["status"] if found else None

        _wait("the watcher's host online", lambda: status() == "online")
        [host] = [h for h in boz_json("hosts") if h["name"] == "watch-c"]
        assert host["drives"] == ["/dev/sr0"] and host["roles"] == ["drive"]
        kill_tree(proc)  # no clean stop: only the missing heartbeat tells
        _wait("the watcher's host offline", lambda: status() == "offline", timeout=30)
    finally:
        kill_tree(proc)
