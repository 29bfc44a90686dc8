"""Notices through Apprise's ``json://`` to an HTTP endpoint the test runs: a disc waiting
for approval (with the run's link), a disc done (what landed), a disc failed (its line)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import boz_json, run_boz, start_rip, wait_for_status

from boz.notices import Level, Notice, send

pytestmark = pytest.mark.usefixtures("prefect_api")

SEASON = "TV/Sample Show/Season 01"


class Inbox:
    """What the endpoint received, in order."""

    def __init__(self) -> None:
        self.notices: list[dict] = []
        self.arrived = threading.Condition()

    def wait_for(self, count: int, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.notices) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.notices)} of {count} notices arrived: {self.notices}"
                self.arrived.wait(left)
            return list(self.notices)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    received = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with received.arrived:
                received.notices.append(body)
                received.arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("BOZ_NOTIFY_URLS", f"json://127.0.0.1:{server.server_port}/boz")
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def test_approval_and_done_notices_arrive(disc_factory, boz_home: Path, inbox: Inbox) -> None:
    rip = start_rip(str(disc_factory("SAMPLE_SHOW_S1_D1")))
    try:
        waiting = wait_for_status("awaiting_approval")
        [asking] = inbox.wait_for(1)
        run_boz("approve", str(waiting["id"]))
        _, err = rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert rip.returncode == 0, err
    assert asking["title"] == "Disc SAMPLE_SHOW_S1_D1 waits for approval"
    assert asking["type"] == "info"
    lines = asking["message"].splitlines()
    assert lines[0] == "Sample Show season 1; 3 of 4 titles proposed (medium)"
    assert lines[1] == f"title 0: {SEASON}/Sample Show - S01E01.mkv"
    assert lines[-1].startswith("Approve: http://127.0.0.1:")
    assert lines[-1].endswith(f"/runs/flow-run/{waiting['approval_flow_run_id']}")

    _, done = inbox.wait_for(2)
    assert done["title"] == "Disc SAMPLE_SHOW_S1_D1 done: 3 titles in the library"
    assert done["type"] == "success"
    assert done["message"].splitlines() == [
        f"title {n}: {SEASON}/Sample Show - S01E0{n + 1}.mkv" for n in range(3)
    ]


def test_a_failed_disc_sends_its_one_line(
    disc_factory, boz_home: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = boz_home.parent / "library-is-a-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("BOZ_LIBRARY", str(not_a_folder))
    failed = run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes", check=False)
    assert failed.returncode == 1
    line = failed.stderr.splitlines()[-1].removeprefix("boz: ")
    [notice] = inbox.wait_for(1)
    assert notice["title"] == f"Disc {boz_json('discs')[0]['id']} failed"
    assert notice["type"] == "failure"
    assert notice["message"].splitlines()[0] == line


def test_an_undeliverable_notice_is_a_log_line_never_an_error() -> None:
    notice = Notice("t", "b", Level.info)
    assert send([], notice) == []
    assert send(["nonsense://token@host"], notice) == ["not an Apprise URL: nonsense://…"]
    closed = send(["json://127.0.0.1:9/nothing-listens"], notice)  # the discard port
    assert closed == ["a notice was not delivered (t): see Apprise's log"]
