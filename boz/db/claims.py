"""Claims on rows that stand for work: a disc's run and each job.

Two processes or hosts must never run the same work, and a holder that dies (``kill -9``,
a crashed worker, a host that lost power) must not keep it for good. A claim names its
holder (host, process, Prefect flow run) and a lease that the holder renews while it
works. Anyone may take a claim over when its lease ran out, when its process is gone from
this host, or when its Prefect run has ended; otherwise the work is someone else's.
This is bookkeeping in the shared catalog, not a scheduler: Prefect decides what runs
where, claims only stop the same work from running twice.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from boz.db.tables import Claimable, aware, utcnow

RunEnded = Callable[[str], bool]


def never_ended(run_id: str) -> bool:
    """For callers with no Prefect API to ask: only leases and local processes count."""
    return False


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    run: str | None = None

    @classmethod
    def this_process(cls, host: str, run: str | None = None) -> Holder:
        return cls(host=host, pid=os.getpid(), run=run)

    def owns(self, row: Claimable) -> bool:
        """A retry of our own run (same flow run, perhaps in a new process) or this process."""
        if self.run is not None and row.holder_run == self.run:
            return True
        return row.holder_host == self.host and row.holder_pid == self.pid


def describe(row: Claimable) -> str:
    run = f", run {row.holder_run}" if row.holder_run else ""
    return f"{row.holder_host} (pid {row.holder_pid}{run})"


def process_alive(pid: int) -> bool:
    """A zombie (killed, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def is_free(row: Claimable, me: Holder, run_ended: RunEnded, now: datetime | None = None) -> bool:
    if row.holder_host is None or row.lease_until is None or me.owns(row):
        return True
    if aware(row.lease_until) <= (now or utcnow()):
        return True
    if row.holder_host == me.host and row.holder_pid and not process_alive(row.holder_pid):
        return True
    return bool(row.holder_run) and run_ended(row.holder_run)  # type: ignore[arg-type]


def take(row: Claimable, me: Holder, lease_seconds: float) -> None:
    row.holder_host = me.host
    row.holder_pid = me.pid
    row.holder_run = me.run
    row.lease_until = utcnow() + timedelta(seconds=lease_seconds)


def renew(row: Claimable, me: Holder, lease_seconds: float) -> bool:
    """Extend our lease; False when the row is no longer ours (someone took it over)."""
    if not (row.holder_host == me.host and row.holder_pid == me.pid):
        return False
    row.lease_until = utcnow() + timedelta(seconds=lease_seconds)
    return True


def drop(row: Claimable, me: Holder) -> None:
    if me.owns(row):
        row.holder_host = row.holder_pid = row.holder_run = row.lease_until = None


@contextlib.contextmanager
def kept(renew_once: Callable[[], object], lease_seconds: float) -> Iterator[None]:
    """Renew a lease three times per lease period while the body runs (in a thread, so a
    long makemkvcon or ffmpeg call does not let it lapse)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(lease_seconds / 3):
            with contextlib.suppress(Exception):  # a missed renewal is retried; the lease has slack
                renew_once()

    thread = threading.Thread(target=loop, name="boz-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
