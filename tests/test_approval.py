"""Approval states that mean what they say, through real runs on a real Prefect API.

A refused answer leaves the run waiting (the CLI refuses before it sends; an answer
from the UI is refused by the run, which asks again), nothing selected is never
"done", and a disc the proposal cannot name is asked about even under ``--yes``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from uuid import UUID

import pytest
from helpers import boz_json, library_files, run_boz, start_rip, wait_for_status

pytestmark = pytest.mark.usefixtures("prefect_api")

SEASON = "TV/Sample Show/Season 01"


def _flow_run(run_id: str):  # type: ignore[no-untyped-def]
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id))


def _paused_again(run_id: str, key: str, timeout: float = 60) -> str:
    """The pause key of the run's next pause, once it has paused again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _flow_run(run_id).state
        if state.is_paused() and state.state_details.pause_key != key:
            return str(state.state_details.pause_key)
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not pause again in {timeout} s")


def _logged(run_id: str, text: str, timeout: float = 30) -> None:
    """``text`` reaches the run's log in the API (the run sends its log every few seconds)."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    only_this_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)]))
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            if any(text in log.message for log in client.read_logs(only_this_run)):
                return
            time.sleep(0.5)
        seen = [log.message for log in client.read_logs(only_this_run)]
    raise AssertionError(f"{text!r} is not in run {run_id}'s log after {timeout} s: {seen}")


@pytest.mark.slow
def test_a_refused_answer_is_one_line_and_the_run_keeps_waiting(
    disc_factory, boz_home: Path
) -> None:
    from prefect.flow_runs import resume_flow_run

    rip = start_rip(str(disc_factory("SAMPLE_SHOW_S1_D1")))
    try:
        waiting = wait_for_status("awaiting_approval")
        disc_id, run_id = str(waiting["id"]), waiting["approval_flow_run_id"]

        typo = run_boz("approve", disc_id, "--episodes", "0,9", check=False)
        assert (typo.returncode, typo.stderr) == (
            1,
            "boz: disc SAMPLE_SHOW_S1_D1 has no title 9 (its titles are 0,1,2,3)\n",
        )
        assert _flow_run(run_id).state.is_paused()

        # The UI's answer reaches the run unchecked; the run refuses it and asks again.
        first_key = str(_flow_run(run_id).state.state_details.pause_key)
        answer = {"approve": True, "kind": "tv", "show": "Sample Show", "season": 1,
                  "titles": [{"title": 0, "role": "main_feature"}]}  # fmt: skip
        resume_flow_run(run_id, run_input=answer)
        _paused_again(run_id, first_key)
        assert boz_json("discs")[0]["status"] == "awaiting_approval"
        _logged(
            run_id, "your last answer was refused: title 0 is a main feature but the disc is tv"
        )

        run_boz("approve", disc_id, "--episodes", "2,0", "--extras", "1:trailer")
        _, err = rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert rip.returncode == 0, err
    assert library_files(boz_home) == [
        f"{SEASON}/Sample Show - S01E01.mkv",
        f"{SEASON}/Sample Show - S01E02.mkv",
        "TV/Sample Show/Trailers/Extra d1t01.mkv",
    ]
    [disc] = boz_json("discs")
    assert [t["episodes"] for t in disc["titles"]] == [[2], [], [1], []]


def test_a_rejected_disc_ends_its_run_cancelled(disc_factory, boz_home: Path) -> None:
    rip = start_rip(str(disc_factory("SAMPLE_SHOW_S1_D1")))
    try:
        waiting = wait_for_status("awaiting_approval")
        rejected = run_boz("reject", str(waiting["id"]))
        assert "rejected" in rejected.stdout
        out, err = rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert rip.returncode == 0, err
    assert "disc SAMPLE_SHOW_S1_D1 rejected: nothing ripped" in out
    assert _flow_run(waiting["approval_flow_run_id"]).state.is_cancelled()
    assert boz_json("discs")[0]["status"] == "rejected"
    assert library_files(boz_home) == []


@pytest.mark.slow
def test_nothing_selected_is_never_done(
    disc_factory, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every title under BOZ_MIN_TITLE_SECONDS: ``--yes`` fails saying so; without it the
    run asks, and titles the operator names episodes land as episodes."""
    monkeypatch.setenv("BOZ_MIN_TITLE_SECONDS", "3600")
    disc = str(disc_factory("SAMPLE_SHOW_S1_D1"))
    yes = run_boz("rip", disc, "--yes", check=False)
    assert yes.returncode == 1
    assert yes.stderr.splitlines()[-1] == (
        "boz: disc SAMPLE_SHOW_S1_D1 (id 1): nothing to rip: all 4 titles are shorter than "
        "BOZ_MIN_TITLE_SECONDS (3600 s; the longest is 0:03): lower it, or rip it without "
        "--yes and choose its titles"
    )
    assert library_files(boz_home) == []

    rip = start_rip(disc)
    try:
        waiting = wait_for_status("awaiting_approval")
        assert not any(t["selected"] for t in waiting["titles"])
        nothing = run_boz("approve", str(waiting["id"]), check=False)
        assert nothing.stderr == (
            "boz: disc SAMPLE_SHOW_S1_D1: no title is selected: give titles a role, or reject "
            "the disc\n"
        )
        run_boz("approve", str(waiting["id"]), "--episodes", "0,1,2")
        _, err = rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert rip.returncode == 0, err
    assert library_files(boz_home) == [f"{SEASON}/Sample Show - S01E0{n}.mkv" for n in (1, 2, 3)]


def test_yes_asks_about_a_disc_it_cannot_name(copy_disc, boz_home: Path) -> None:
    rip = start_rip(str(copy_disc("MYSTERY", episodes=2)), "--yes")
    try:
        waiting = wait_for_status("awaiting_approval")
        _logged(waiting["approval_flow_run_id"],
                "not approved automatically: disc MYSTERY: cannot name its titles")  # fmt: skip
        run_boz("approve", str(waiting["id"]), "--show", "Mystery Show", "--season", "2")
        _, err = rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert rip.returncode == 0, err
    assert err == ""  # the run's log lines stay in Prefect without --verbose
    assert library_files(boz_home) == [
        "TV/Mystery Show/Season 02/Mystery Show - S02E01.mkv",
        "TV/Mystery Show/Season 02/Mystery Show - S02E02.mkv",
    ]


def test_auto_strong_rips_what_it_is_sure_of_and_asks_about_the_rest(
    disc_factory, boz_home: Path
) -> None:
    sure = str(disc_factory("SAMPLE_SHOW_S1_D1"))
    shown = json.loads(run_boz("preview", sure, "--show", "Sample Show", "--json").stdout)
    assert (shown["confidence"], shown["reasons"]) == ("strong", ["no doubt found"])
    run_boz("rip", sure, "--auto", "strong", "--show", "Sample Show")  # no pause
    assert len(library_files(boz_home)) == 3

    rip = start_rip(str(disc_factory("SAMPLE_SHOW_S1_D2", variant=5)), "--auto", "strong")
    try:
        waiting = wait_for_status("awaiting_approval")
        _logged(waiting["approval_flow_run_id"],
                "not approved automatically: confidence medium is below --auto strong "
                "(show name read off the disc label")  # fmt: skip
        run_boz("reject", str(waiting["id"]))
        rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert len(library_files(boz_home)) == 3
