"""``boz watch``: on a drive host, turn "a disc went in" into one run of disc_to_library.

The watcher registers the host and its drives with a heartbeat, debounces the several
events one insert produces, ignores blank, data and audio discs, and starts exactly one
``boz rip dev:<device>`` per insert — the same code path as a rip typed by hand — with
at most one rip per drive at a time (handed to a ``boz rip -`` started ahead, so the
drive does not sit idle while a new process imports Prefect). The drive is free again
when the run says its last rip ended (the drive's row turns ``ripped`` or ``idle``),
while that run's titles may still be transcoding. It schedules nothing else: where the
work then runs is Prefect's business, and Prefect's drive limit is what keeps two reads
off one drive.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.drives.events import Action, MediaEvent
from boz.models import AutoApprove
from boz.settings import Settings

log = logging.getLogger("boz.watch")


@dataclass
class _Rip:
    device: str
    process: subprocess.Popen[bytes]
    log_path: Path


Launch = Callable[[str, Path], subprocess.Popen[bytes]]
"""Start the rip of a source (``dev:/dev/sr0``), its output in the given log file."""


@dataclass
class _Spare:
    process: subprocess.Popen[bytes]
    log_path: Path


class SpareLauncher:
    """Start ``boz rip`` processes with one kept ready ahead of the next disc.

    A new ``boz rip`` spends seconds importing Prefect and the flows, and checking the
    database, before it reads the disc: seconds the drive sits idle between the discs of
    a box set. A spare (``boz rip -``) has done all that and waits for its source on
    stdin; handing it the disc is one line, and the next spare starts while this disc
    rips. A spare whose stdin closes (the watcher stopped or died) ends doing nothing.
    """

    def __init__(self, settings: Settings, extra: tuple[str, ...] = ()) -> None:
        # --verbose: the rip's log file keeps its run's log lines, as the run has them.
        self.args = [sys.executable, "-m", "boz", "--verbose", "rip", "-", *extra]
        if settings.watch_auto_approve is not AutoApprove.off:
            self.args += ["--auto", settings.watch_auto_approve.value]
        self.logs = settings.home / "logs"
        self.ready: _Spare | None = None

    def prime(self) -> None:
        """Have a spare ready (started now if there is none, or it died)."""
        if self.ready is not None and self.ready.process.poll() is None:
            return
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"rip-spare-{time.time_ns()}.log"
        with open(log_path, "ab") as out:
            process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=out, stderr=out,
                                       start_new_session=True)  # fmt: skip
        self.ready = _Spare(process, log_path)

    def __call__(self, source: str, log_path: Path) -> subprocess.Popen[bytes]:
        self.prime()
        spare, self.ready = self.ready, None
        assert spare is not None and spare.process.stdin is not None
        log_path.parent.mkdir(parents=True, exist_ok=True)
        spare.log_path.rename(log_path)  # the spare keeps writing to the same file
        try:
            spare.process.stdin.write(f"{source}\n".encode())
            spare.process.stdin.close()
        except BrokenPipeError:
            pass  # it ended before the disc came: its log says why, and the rip is failed
        self.prime()
        return spare.process

    def close(self) -> None:
        """End the spare: its stdin closes, it exits without ripping."""
        spare, self.ready = self.ready, None
        if spare is None:
            return
        assert spare.process.stdin is not None
        spare.process.stdin.close()
        try:
            spare.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spare.process.kill()
            spare.process.wait()
        spare.log_path.unlink(missing_ok=True)


class Watcher:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        host: str,
        devices: Iterable[tuple[str, str | None]],
        launch: Launch | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.host = host
        self.launch = launch or SpareLauncher(settings)
        self.active: dict[str, _Rip] = {}
        self.finishing: list[_Rip] = []  # the drive is free; their transcodes go on
        self.last_insert: dict[str, float] = {}
        self.started: list[str] = []  # devices a rip was started for, in order
        self._last_heartbeat = 0.0
        with db.session() as s:
            self.host_id = store.heartbeat(s, host, ["rip"])
            for device, name in devices:
                store.register_drive(s, self.host_id, device, name)

    def run(self, events: Iterable[MediaEvent | None], *, until: Callable[[], bool]) -> None:
        if isinstance(self.launch, SpareLauncher):
            self.launch.prime()  # in this environment (PREFECT_API_URL), before the first disc
        for event in events:
            if event is not None:
                self.handle(event)
            self.tick()
            if until():
                break

    def tick(self) -> None:
        """Free drives whose rips ended (eject on success if asked) and send the heartbeat."""
        for device, rip in list(self.active.items()):
            code = rip.process.poll()
            drive = self._drive_status(device)
            if code is None and drive not in ("ripped", "idle"):
                continue
            del self.active[device]
            if code is None:
                self.finishing.append(rip)
            ok = code == 0 if code is not None else drive == "ripped"
            self._set_drive(device, "idle")
            outcome = "ok" if ok else "failed"
            log.info("rips on %s ended (%s; log %s)", device, outcome, rip.log_path)
            if ok and self.settings.eject_after_rip:
                self._eject(device)
        self.finishing = [r for r in self.finishing if r.process.poll() is None]
        now = time.monotonic()
        if now - self._last_heartbeat >= self.settings.heartbeat_seconds:
            self._last_heartbeat = now
            with self.db.session() as s:
                store.heartbeat(s, self.host, ["rip"])

    def stop(self) -> None:
        """A clean stop says so at once, rather than after BOZ_HOST_OFFLINE_SECONDS; the
        spare ends too."""
        if isinstance(self.launch, SpareLauncher):
            self.launch.close()
        with self.db.session() as s:
            store.mark_offline(s, self.host)

    def handle(self, event: MediaEvent) -> None:
        device = event.device
        if event.action is Action.removed:
            self.last_insert.pop(device, None)
            return
        if not event.rippable:
            log.info("%s: %s disc %s ignored", device, event.media.value, event.label or "")
            return
        if device in self.active:
            log.info("%s: a rip is running on this drive; event ignored", device)
            return
        last = self.last_insert.get(device)
        self.last_insert[device] = event.at
        if last is not None and event.at - last < self.settings.watch_debounce_seconds:
            return  # the same insert, seen again
        stamp = time.strftime("%Y%m%d-%H%M%S")
        log_path = self.settings.home / "logs" / f"rip-{Path(device).name}-{stamp}.log"
        self.active[device] = _Rip(device, self.launch(f"dev:{device}", log_path), log_path)
        self.started.append(device)
        self._set_drive(device, "ripping")
        log.info("%s: disc %s inserted; ripping (log %s)", device, event.label or "", log_path)

    def wait(self, timeout: float) -> None:
        """Wait for the rips started so far (tests, and a clean shutdown)."""
        deadline = time.monotonic() + timeout
        for rip in [*self.active.values(), *self.finishing]:
            rip.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        self.tick()

    def _drive_status(self, device: str) -> str | None:
        with self.db.session() as s:
            return store.drive_status(s, self.host, device)

    def _set_drive(self, device: str, status: str) -> None:
        with self.db.session() as s:
            store.register_drive(s, self.host_id, device, None, status=status)

    def _eject(self, device: str) -> None:
        try:
            subprocess.run([self.settings.eject_command, device], timeout=60, check=True,
                           capture_output=True)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("could not eject %s: %s", device, exc)
