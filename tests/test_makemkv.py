"""makemkvcon as a source, on the faithful fake that replays real captures.

The fake (tests/fakes/makemkvcon) honours --minlength like MakeMKV, writes real small
MKVs with progress lines, and can fail the ways the real tool fails.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers import boz_json, disc_runs, library_files, run_boz

from boz.db import store
from boz.errors import DiscKeyError, DiscReadError, MakeMKVTooOld, NoDisc, NoSpace, ToolStalled
from boz.models import Title
from boz.settings import Settings
from boz.sources import normalize_spec, open_source
from boz.sources.makemkv.backend import MakeMKV

TESTS = Path(__file__).resolve().parent
FAKE = TESTS / "fakes" / "makemkvcon"
SEASON_24 = TESTS / "fixtures" / "thediscdb" / "series" / "24 (2001)" / "season-1"
EPISODES_24 = [f"TV/24/Season 01/24 - S01E{n:02d}.mkv" for n in range(1, 9)]


class Fake:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, state: Path) -> None:
        self.monkeypatch = monkeypatch
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("BOZ_MAKEMKVCON", str(FAKE))
        monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(state))
        monkeypatch.setenv("FAKE_MAKEMKV_SCALE", "900")
        monkeypatch.setenv("FAKE_MAKEMKV_PROGRESS_DELAY", "0")

    def disc(self, capture: Path) -> None:
        self.monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(capture))

    def fail(self, modes: str) -> None:
        self.monkeypatch.setenv("FAKE_MAKEMKV_FAIL", modes)

    def calls(self, command: str) -> list[list[str]]:
        log = self.state / "calls.jsonl"
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        return [c for c in calls if command in c]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Fake:
    return Fake(monkeypatch, tmp_path / "fake-state")


def _tool(**kw: object) -> MakeMKV:
    return MakeMKV.from_settings(Settings(**kw))  # type: ignore[arg-type]


def test_sources_by_spec(tmp_path: Path) -> None:
    iso = tmp_path / "disc.iso"
    iso.write_bytes(b"")
    (tmp_path / "DVD" / "VIDEO_TS").mkdir(parents=True)
    assert normalize_spec("disc:0") == "disc:0"
    assert normalize_spec("/dev/sr1") == "dev:/dev/sr1"
    assert normalize_spec(str(iso)) == f"iso:{iso}"
    assert normalize_spec(str(tmp_path / "DVD")) == f"file:{tmp_path / 'DVD'}"
    assert normalize_spec(str(tmp_path)) == str(tmp_path)


def test_info_reads_titles_with_the_same_minlength_as_mkv(fake: Fake, tmp_path: Path) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    tool = _tool(makemkv_minlength=120)
    scan = tool.info("disc:0")
    assert scan.label == "24_DISC1"
    assert [round(t.duration_s / 60) for t in scan.titles] == [43, 41, 42, 42]  # tiny ones dropped
    first: Title = scan.titles[0]
    assert (first.segment_map, first.source_file, first.output_file) == (
        "1-11,12",
        "01",
        "B1_t00.mkv",
    )
    progress: list[float] = []
    out = tool.mkv("disc:0", 2, tmp_path / "out", output_file=scan.titles[2].output_file,
                   on_progress=progress.append)  # fmt: skip
    assert out.name == scan.titles[2].output_file and out.stat().st_size > 0
    assert progress and progress[-1] == 1.0
    assert {a for c in fake.calls("info") + fake.calls("mkv") for a in c if "minlength" in a} == {
        "--minlength=120"
    }


@pytest.mark.parametrize(
    ("mode", "error", "message"),
    [
        ("no-disc", NoDisc, "no readable disc in disc:0"),
        ("key", DiscKeyError, "MakeMKV cannot decrypt this disc (The volume key is unknown"),
        ("too-old", MakeMKVTooOld, "MakeMKV refuses to run (This application version is too old"),
    ],
)
def test_info_failures_are_named(fake: Fake, mode: str, error: type, message: str) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    fake.fail(mode)
    with pytest.raises(error) as raised:
        _tool().info("disc:0")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_mkv_failures_are_named(fake: Fake, tmp_path: Path) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    fake.fail("mkv:read-error-once")
    tool = _tool()
    with pytest.raises(DiscReadError, match="MEDIUM ERROR") as raised:
        tool.mkv("disc:0", 0, tmp_path / "a", output_file="B1_t00.mkv")
    assert raised.value.transient  # Prefect retries it
    assert tool.mkv("disc:0", 0, tmp_path / "b", output_file="B1_t00.mkv").is_file()
    fake.fail("mkv:no-space")
    with pytest.raises(NoSpace, match="No space left on device"):
        tool.mkv("disc:0", 1, tmp_path / "c", output_file="B2_t01.mkv")


def test_a_hang_is_killed_within_its_timeout_with_its_children(fake: Fake, tmp_path: Path) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    fake.fail("mkv:hang")
    started = time.monotonic()
    with pytest.raises(ToolStalled, match="makemkvcon made no progress for 2 s; killed"):
        _tool(makemkv_stall_seconds=2).mkv("disc:0", 0, tmp_path / "out")
    assert time.monotonic() - started < 10
    child = int((fake.state / "hang-child.pid").read_text())
    assert _gone(child)


def _gone(pid: int) -> bool:
    """Dead, or a zombie waiting for a reaper (this container's init does not reap)."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_missing_makemkvcon_is_one_line_that_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOZ_MAKEMKVCON", "/nonexistent/makemkvcon")
    done = run_boz("rip", "disc:0", "--yes", check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "boz: makemkvcon not found: install MakeMKV (https://www.makemkv.com) or set BOZ_MAKEMKVCON"
    )


def test_fingerprints_tell_same_label_discs_apart(fake: Fake, tmp_path: Path) -> None:
    relabelled = tmp_path / "disc02-as-disc01.txt"
    text = (SEASON_24 / "disc02.txt").read_text(errors="replace")
    relabelled.write_text(text.replace('"24_DISC2"', '"24_DISC1"'))
    settings = Settings()
    fake.disc(SEASON_24 / "disc01.txt")
    one = open_source("disc:0", settings)
    first = (one.label, one.fingerprint())  # reads the disc now
    fake.disc(relabelled)
    two = open_source("disc:0", settings)
    assert first[0] == two.label == "24_DISC1"
    assert first[1] != two.fingerprint()
    fake.disc(SEASON_24 / "disc01.txt")
    assert open_source("dev:/dev/sr0", settings).fingerprint() == first[1]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_season_from_the_drive_with_a_read_error_that_retries(fake: Fake, boz_home: Path) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    fake.fail("mkv:read-error-once")
    run_boz("rip", "dev:/dev/sr0", "--yes")
    assert library_files(boz_home) == EPISODES_24[:4]
    rips = [j for j in boz_json("jobs") if j["kind"] == "rip"]
    assert [(j["status"], j["attempts"]) for j in rips] == [("done", 2)] * 4
    assert {a for c in fake.calls("-r") for a in c if "minlength" in a} == {"--minlength=120"}

    fake.fail("")
    fake.disc(SEASON_24 / "disc02.txt")
    run_boz("rip", "dev:/dev/sr0", "--yes")  # disc 2 of the season continues the numbering
    assert library_files(boz_home) == EPISODES_24

    mkv_calls = len(fake.calls("mkv"))
    fake.disc(SEASON_24 / "disc01.txt")
    again = run_boz("rip", "dev:/dev/sr0", "--yes")  # disc 1 re-inserted
    assert "seen before on" in again.stdout and "--again" in again.stdout
    assert len(fake.calls("mkv")) == mkv_calls  # nothing ripped
    assert [d["label"] for d in boz_json("discs")] == ["24_DISC1", "24_DISC2"]
    assert boz_json("seasons")[0]["last_episode_assigned"] == 8

    (boz_home / "library" / EPISODES_24[2]).unlink()  # lost from the library
    run_boz("rip", "dev:/dev/sr0", "--yes", "--again")
    assert library_files(boz_home) == EPISODES_24
    assert len(fake.calls("mkv")) == mkv_calls + 1  # only the missing title
    assert boz_json("seasons")[0]["last_episode_assigned"] == 8


@pytest.mark.usefixtures("prefect_api")
@pytest.mark.parametrize(
    ("mode", "line"),
    [
        ("key", "boz: MakeMKV cannot decrypt this disc (The volume key is unknown"),
        ("no-disc", "boz: no readable disc in dev:/dev/sr0"),
    ],
)
def test_disc_errors_from_the_cli(fake: Fake, boz_home: Path, mode: str, line: str) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    fake.fail(mode)
    done = run_boz("rip", "dev:/dev/sr0", "--yes", check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(line)
    assert library_files(boz_home) == []


@pytest.mark.usefixtures("prefect_api")
def test_a_hanging_rip_fails_the_run_within_its_timeouts(
    fake: Fake, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.disc(SEASON_24 / "disc01.txt")
    fake.fail("mkv:hang")
    monkeypatch.setenv("BOZ_MAKEMKV_STALL_SECONDS", "2")
    started = time.monotonic()
    done = run_boz("rip", "dev:/dev/sr0", "--yes", check=False)
    assert time.monotonic() - started < 60  # three attempts of ~2 s, plus start-up
    assert (
        done.stderr.strip().splitlines()[-1] == "boz: makemkvcon made no progress for 2 s; killed"
    )
    [disc] = boz_json("discs")
    assert disc["status"] == "failed" and "no progress" in disc["error"]
    rip = next(j for j in boz_json("jobs") if j["kind"] == "rip")
    assert (rip["status"], rip["attempts"]) == ("failed", 3)
    assert not list((boz_home / "staging").rglob("*.mkv"))


@pytest.mark.usefixtures("prefect_api")
def test_one_insert_seen_by_the_watcher_gives_one_flow_run(
    fake: Fake, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boz.db.engine import open_database
    from boz.drives.events import Action, Media, MediaEvent
    from boz.drives.watcher import Watcher

    fake.disc(SEASON_24 / "disc01.txt")
    monkeypatch.setenv("BOZ_WATCH_AUTO_APPROVE", "true")
    settings = Settings()
    before = disc_runs(count=True)
    watcher = Watcher(open_database(settings.db_url), settings, settings.host_name,
                      [("/dev/sr0", "BD-RE FAKE")])  # fmt: skip
    t = time.monotonic()
    udev_burst = [MediaEvent("/dev/sr0", Action.inserted, Media.video, "24_DISC1", at=t + dt)
                  for dt in (0.0, 0.3, 0.9)]  # fmt: skip
    try:
        watcher.run([*udev_burst, None], until=lambda: False)
        watcher.wait(timeout=180)
    finally:
        watcher.stop()  # the spare started for the next disc ends
    assert disc_runs(count=True) == before + 1
    assert library_files(boz_home) == EPISODES_24[:4]
    [disc] = boz_json("discs")
    assert disc["status"] == "done"
    with watcher.db.session() as s:
        drive = store.drive_id(s, "dev:/dev/sr0", settings.host_name)
    assert drive is not None and disc["drive_id"] == drive  # the disc knows its drive


@pytest.mark.usefixtures("prefect_api")
def test_boz_watch_polling_rips_a_disc_put_in_a_drive(
    fake: Fake, boz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import subprocess

    from helpers import BOZ

    drives = tmp_path / "drives.json"
    drives.write_text(json.dumps([{"device": "/dev/sr0", "drive": "BD-RE FAKE", "state": "empty"}]))
    fake.disc(SEASON_24 / "disc01.txt")
    monkeypatch.setenv("FAKE_MAKEMKV_DRIVES", str(drives))
    monkeypatch.setenv("BOZ_WATCH_AUTO_APPROVE", "true")
    monkeypatch.setenv("BOZ_WATCH_POLL_SECONDS", "0.5")
    watch = subprocess.Popen([*BOZ, "watch", "--poll"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        time.sleep(3)
        drives.write_text(json.dumps([{"device": "/dev/sr0", "drive": "BD-RE FAKE",
                                       "disc": "24_DISC1", "flags": 1}]))  # fmt: skip
        deadline = time.monotonic() + 120
        while len(library_files(boz_home)) < 4 and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        watch.send_signal(signal.SIGINT)
        # A stop waits up to 30 s for the spare it started ahead (still starting up on a
        # busy machine) before killing it: more than that is a watcher that hangs.
        output = watch.communicate(timeout=90)[0]
    assert library_files(boz_home) == EPISODES_24[:4], output
    assert "watching /dev/sr0 (polling)" in output
    disc_reads = [c for c in fake.calls("info") if "disc:9999" not in c]
    assert len(disc_reads) == 1  # one insert, one rip, however many scans saw the disc
