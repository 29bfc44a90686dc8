"""The drive watcher, driven by a fake event source: no real drive needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from boz.db.engine import open_database
from boz.db.tables import DriveRow, HostRow
from boz.drives.events import Action, Media, MediaEvent, from_drive_scan, from_udev
from boz.drives.watcher import Watcher
from boz.settings import Settings
from boz.sources.makemkv.robot import DriveSlot

DVD = {"ID_CDROM": "1", "DEVNAME": "/dev/sr0", "ID_CDROM_MEDIA": "1",
       "ID_CDROM_MEDIA_DVD": "1", "ID_FS_TYPE": "udf", "ID_FS_LABEL": "24_DISC1"}  # fmt: skip


@pytest.mark.parametrize(
    ("action", "props", "expected"),
    [
        ("change", DVD, (Action.inserted, Media.video, "24_DISC1")),
        ("change", {**DVD, "ID_CDROM_MEDIA_DVD": "0", "ID_CDROM_MEDIA_BD": "1"},
         (Action.inserted, Media.video, "24_DISC1")),
        ("change", {"ID_CDROM": "1", "DEVNAME": "/dev/sr0", "ID_CDROM_MEDIA": "1",
                    "ID_CDROM_MEDIA_DVD_PLUS_R": "1", "ID_CDROM_MEDIA_STATE": "blank"},
         (Action.inserted, Media.blank, None)),
        ("change", {"ID_CDROM": "1", "DEVNAME": "/dev/sr0", "ID_CDROM_MEDIA": "1",
                    "ID_CDROM_MEDIA_CD": "1", "ID_CDROM_MEDIA_TRACK_COUNT_AUDIO": "12"},
         (Action.inserted, Media.audio, None)),
        ("change", {"ID_CDROM": "1", "DEVNAME": "/dev/sr0", "ID_CDROM_MEDIA": "1",
                    "ID_CDROM_MEDIA_CD": "1", "ID_FS_TYPE": "iso9660"},
         (Action.inserted, Media.data, None)),
        ("change", {"ID_CDROM": "1", "DEVNAME": "/dev/sr0"}, (Action.removed, Media.none, None)),
        ("remove", DVD, (Action.removed, Media.none, None)),
    ],
)  # fmt: skip
def test_udev_events_are_read_by_media_kind(action: str, props: dict, expected: tuple) -> None:
    event = from_udev(action, props)
    assert event is not None
    assert (event.action, event.media, event.label) == expected


def test_udev_events_of_other_devices_are_ignored() -> None:
    assert from_udev("change", {"DEVNAME": "/dev/sda", "ID_TYPE": "disk"}) is None


def test_drive_scan_slots_as_events() -> None:
    video = DriveSlot(0, 2, 1, "BD-RE X", "24_DISC1", "/dev/sr0")
    data = DriveSlot(1, 2, 0, "BD-RE X", "BACKUP_2019", "/dev/sr1")
    empty = DriveSlot(2, 1, 0, "BD-RE X", "", "/dev/sr2")
    assert from_drive_scan(video).rippable
    assert from_drive_scan(data).media is Media.data
    assert from_drive_scan(empty).action is Action.removed


class Recorder:
    """A launcher that starts a short real process per rip and remembers the devices."""

    def __init__(self, seconds: float = 0.0, code: int = 0) -> None:
        self.devices: list[str] = []
        self.script = f"import time, sys; time.sleep({seconds}); sys.exit({code})"

    def __call__(self, source: str, log_path: Path) -> subprocess.Popen[bytes]:
        self.devices.append(source.removeprefix("dev:"))
        return subprocess.Popen([sys.executable, "-c", self.script])


def _watcher(launch: Recorder, **settings: object) -> Watcher:
    s = Settings(watch_debounce_seconds=10, **settings)  # type: ignore[arg-type]
    return Watcher(open_database(s.db_url), s, "drive-host", [("/dev/sr0", "BD-RE X")], launch)


def _insert(at: float, device: str = "/dev/sr0", media: Media = Media.video) -> MediaEvent:
    return MediaEvent(device, Action.inserted, media, "24_DISC1", at=at)


def test_one_insert_with_several_events_starts_one_rip() -> None:
    launch = Recorder()
    watcher = _watcher(launch)
    watcher.run([_insert(100.0), None, _insert(100.4), _insert(101.2)], until=lambda: False)
    assert launch.devices == ["/dev/sr0"]
    watcher.wait(timeout=10)
    watcher.handle(MediaEvent("/dev/sr0", Action.removed, Media.none, at=130.0))
    watcher.handle(_insert(131.0))  # taken out and put back: a new insert
    assert launch.devices == ["/dev/sr0", "/dev/sr0"]


def test_blank_data_and_audio_discs_are_ignored() -> None:
    launch = Recorder()
    watcher = _watcher(launch)
    for n, media in enumerate((Media.blank, Media.data, Media.audio)):
        watcher.handle(_insert(100.0 + 100 * n, media=media))
    assert launch.devices == []


def test_one_rip_per_drive_at_a_time() -> None:
    launch = Recorder(seconds=2)
    watcher = _watcher(launch)
    watcher.handle(_insert(100.0))
    watcher.handle(MediaEvent("/dev/sr0", Action.removed, Media.none, at=101.0))
    watcher.handle(_insert(200.0))  # still ripping the first disc
    watcher.handle(_insert(200.0, device="/dev/sr1"))  # another drive may rip meanwhile
    assert launch.devices == ["/dev/sr0", "/dev/sr1"]
    watcher.wait(timeout=10)
    assert watcher.active == {}


def test_host_and_drives_are_registered_with_a_heartbeat(boz_home: Path) -> None:
    watcher = _watcher(Recorder())
    with watcher.db.session() as s:
        host = s.scalars(select(HostRow)).one()
        drive = s.scalars(select(DriveRow)).one()
    assert (host.name, host.capabilities, host.status) == ("drive-host", ["rip"], "online")
    assert (drive.device, drive.name, drive.status) == ("/dev/sr0", "BD-RE X", "idle")


def test_eject_after_a_successful_rip_only(tmp_path: Path) -> None:
    ejected = tmp_path / "ejected"
    eject = tmp_path / "eject"
    eject.write_text(f'#!/bin/sh\necho "$1" >> {ejected}\n')
    eject.chmod(0o755)
    watcher = _watcher(Recorder(code=0), eject_after_rip=True, eject_command=str(eject))
    watcher.handle(_insert(100.0))
    watcher.wait(timeout=10)
    assert ejected.read_text() == "/dev/sr0\n"
    failing = _watcher(Recorder(code=1), eject_after_rip=True, eject_command=str(eject))
    failing.handle(_insert(100.0))
    failing.wait(timeout=10)
    assert ejected.read_text() == "/dev/sr0\n"  # a failed rip leaves the disc in


@pytest.mark.usefixtures("prefect_api")
def test_a_spare_started_ahead_rips_the_disc_it_is_handed(disc_factory, boz_home: Path) -> None:
    """The spare has imported everything before the disc comes; the disc is one line on
    its stdin, the next spare is ready at once, and closing one ends it doing nothing."""
    from helpers import library_files

    from boz.drives.watcher import SpareLauncher

    launch = SpareLauncher(Settings(), extra=("--yes", "--show", "Sample Show"))
    launch.prime()
    first = launch.ready
    assert first is not None and first.process.poll() is None
    log = boz_home / "logs" / "rip-sr0.log"
    rip = launch(str(disc_factory("SAMPLE_SHOW_S1_D1")), log)
    try:
        assert rip is first.process and rip.wait(timeout=300) == 0
        assert len(library_files(boz_home)) == 3
        assert "S01E03" in log.read_text()  # the spare's output, under the rip's log name
        spare = launch.ready
        assert spare is not None and spare.process.poll() is None  # ready for the next disc
    finally:
        launch.close()
    assert spare.process.returncode == 0 and launch.ready is None
    assert not spare.log_path.exists()
    assert [p.name for p in (boz_home / "logs").iterdir()] == ["rip-sr0.log"]


def test_a_spare_that_died_fails_its_rip_with_its_own_log(
    boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boz.drives.watcher import SpareLauncher

    launch = SpareLauncher(Settings())
    monkeypatch.setenv("BOZ_MIN_TITLE_SECONDS", "soon")  # the spares' settings are broken
    launch.prime()
    assert launch.ready is not None and launch.ready.process.wait(timeout=60) == 1
    log = boz_home / "logs" / "rip-sr0.log"
    rip = launch("dev:/dev/sr0", log)
    try:
        assert rip.wait(timeout=60) == 1
        assert log.read_text().startswith("boz: BOZ_MIN_TITLE_SECONDS")
    finally:
        launch.close()
