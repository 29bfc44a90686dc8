"""The whole pipeline through the real flow, a real Prefect API, real ffmpeg and SQLite."""

from __future__ import annotations

import json
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
from helpers import boz_json, disc_runs, library_files, run_boz, start_rip, wait_for_status

from boz.media.probe import probe

pytestmark = pytest.mark.usefixtures("prefect_api")

EPISODES = [f"TV/Sample Show/Season 01/Sample Show - S01E{n:02d}.mkv" for n in range(1, 7)]
SEASON_24 = Path(__file__).resolve().parent / "fixtures/thediscdb/series/24 (2001)/season-1"


def test_a_tv_disc_lands_as_playable_episodes(disc_factory, boz_home: Path) -> None:
    from boz.flows.disc_to_library import disc_to_library
    from boz.models import DiscStatus, RipRequest

    disc = disc_factory("SAMPLE_SHOW_S1_D1")
    result = disc_to_library(str(disc), RipRequest(auto_approve=True))

    assert result.disc.status is DiscStatus.done
    assert library_files(boz_home) == EPISODES[:3]
    for name in EPISODES[:3]:
        info = probe(boz_home / "library" / name, count_packets=True)
        assert 2.9 < info.duration_s < 3.2
        assert [s.codec for s in info.streams] == ["h264", "aac", "aac", "subrip"]
        assert [s.language for s in info.streams][1:] == ["eng", "fre", "eng"]
        assert info.chapters == 3 and info.packets("video") == 75
    jobs = boz_json("jobs")
    assert len(jobs) == 9 and {j["status"] for j in jobs} == {"done"}
    parent, children = runs_of(result)
    assert {j["flow_run_id"] for j in jobs if j["kind"] == "rip"} == {parent}
    by_title = {
        j["title_index"]: j["flow_run_id"] for j in jobs if j["kind"] == "transcode"
    }  # one transcode_title run per title, a child of the disc's run
    assert set(by_title.values()) == set(children) and len(children) == 3
    assert {(j["title_index"], j["flow_run_id"]) for j in jobs if j["kind"] == "organize"} == set(
        by_title.items()
    )
    assert not any((boz_home / "staging").iterdir())  # staging is cleaned up, folder and all


def runs_of(result) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """The disc's flow run and its transcode_title child runs, read back from the API."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
        parent = disc_runs()[0]
        assert f"disc:{result.disc.id}" in parent.tags
        children = [
            str(r.id)
            for r in runs
            if r.parent_task_run_id
            and client.read_task_run(r.parent_task_run_id).flow_run_id == parent.id
        ]
    return str(parent.id), children


@pytest.mark.slow
def test_disc_two_continues_after_a_restart_and_a_rerun_changes_nothing(
    disc_factory, boz_home: Path
) -> None:
    disc1 = disc_factory("SAMPLE_SHOW_S1_D1")
    disc2 = disc_factory("SAMPLE_SHOW_S1_D2", variant=5)
    run_boz("rip", str(disc1), "--yes")
    assert library_files(boz_home) == EPISODES[:3]
    run_boz("rip", str(disc2), "--yes")  # a new process: nothing carried over in memory
    assert library_files(boz_home) == EPISODES
    assert boz_json("seasons") == [
        {"show": "Sample Show", "season": 1, "last_episode_assigned": 6,
         "episodes": [1, 2, 3, 4, 5, 6]}
    ]  # fmt: skip
    jobs_before = boz_json("jobs")
    mtimes = {n: (boz_home / "library" / n).stat().st_mtime_ns for n in EPISODES}

    again = run_boz("rip", str(disc1), "--yes")  # the same disc inserted again
    assert "seen before on" in again.stderr + again.stdout
    assert library_files(boz_home) == EPISODES
    assert mtimes == {n: (boz_home / "library" / n).stat().st_mtime_ns for n in EPISODES}
    assert boz_json("seasons")[0]["last_episode_assigned"] == 6
    assert boz_json("jobs") == jobs_before  # no new job, no new attempt
    discs = boz_json("discs")
    assert [(d["id"], d["label"], d["status"]) for d in discs] == [
        (1, "SAMPLE_SHOW_S1_D1", "done"),
        (2, "SAMPLE_SHOW_S1_D2", "done"),
    ]
    assert [t["episodes"] for t in discs[1]["titles"]] == [[4], [5], [6], []]


def test_a_movie_folder_lands_under_movies(copy_disc, boz_home: Path) -> None:
    from boz.flows.disc_to_library import disc_to_library
    from boz.models import RipRequest

    movie = copy_disc("SAMPLE_MOVIE_2008", episodes=1, extras=1)
    result = disc_to_library(str(movie), RipRequest(auto_approve=True))
    assert [t.role.value for t in result.titles if t.role] == ["main_feature", "extra"]
    assert library_files(boz_home) == ["Movies/Sample Movie (2008)/Sample Movie (2008).mkv"]


@pytest.mark.slow
def test_approval_and_rejection_from_another_process(disc_factory, boz_home: Path) -> None:
    disc1 = disc_factory("SAMPLE_SHOW_S1_D1")
    rip = start_rip(str(disc1))
    try:
        waiting = wait_for_status("awaiting_approval")
        assert [t["episodes"] for t in waiting["titles"]] == [[1], [2], [3], []]
        assert library_files(boz_home) == []
        run_boz("approve", str(waiting["id"]), "--titles", "0,2")
        _, err = rip.communicate(timeout=120)
    finally:
        rip.kill()
    assert rip.returncode == 0, err
    assert library_files(boz_home) == EPISODES[:2]  # title 1 was left out by the operator

    disc2 = disc_factory("SAMPLE_SHOW_S1_D2", variant=5)
    rip = start_rip(str(disc2))
    try:
        waiting = wait_for_status("awaiting_approval")
        assert [t["episodes"] for t in waiting["titles"]] == [[3], [4], [5], []]
        run_boz("reject", str(waiting["id"]))
        rip.communicate(timeout=120)
    finally:
        rip.kill()
    assert rip.returncode == 0
    assert library_files(boz_home) == EPISODES[:2]
    assert boz_json("discs")[1]["status"] == "rejected"
    assert boz_json("seasons")[0]["last_episode_assigned"] == 2  # numbers given back
    late = run_boz("approve", str(waiting["id"]), check=False)
    assert late.returncode == 1 and "is rejected, not awaiting approval" in late.stderr


def test_run_input_is_validated_by_the_server(disc_factory, boz_home: Path) -> None:
    """The typed form rejects nonsense: the run stays paused until a valid answer comes."""
    from prefect.flow_runs import resume_flow_run

    disc1 = disc_factory("SAMPLE_SHOW_S1_D1")
    rip = start_rip(str(disc1))
    try:
        waiting = wait_for_status("awaiting_approval")
        with pytest.raises(RuntimeError, match="Cannot resume"):
            resume_flow_run(waiting["approval_flow_run_id"], run_input={"season": "not a number"})
        assert boz_json("discs")[0]["status"] == "awaiting_approval"
        run_boz("approve", str(waiting["id"]))
        rip.communicate(timeout=120)
    finally:
        rip.kill()
    assert library_files(boz_home) == EPISODES[:3]
    assert json.loads(run_boz("discs", "--json").stdout)[0]["status"] == "done"


def test_a_tool_failure_is_retried_and_a_collision_is_skipped(
    disc_factory, boz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boz.flows.disc_to_library import disc_to_library
    from boz.models import RipRequest

    first = tmp_path / "first-call"
    flaky = tmp_path / "ffmpeg"
    disc = disc_factory("SAMPLE_SHOW_S1_D1")
    flaky.write_text(  # the first read of the disc fails (encoder trials run beside it)
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "try:\n"
        f"    if not any({str(disc)!r} in arg for arg in sys.argv): raise FileExistsError\n"
        f"    os.close(os.open({str(first)!r}, os.O_CREAT | os.O_EXCL))\n"
        "except FileExistsError:\n"
        "    os.execvp('ffmpeg', ['ffmpeg', *sys.argv[1:]])\n"
        "sys.exit('simulated read error')\n"
    )
    flaky.chmod(0o755)
    monkeypatch.setenv("BOZ_FFMPEG", str(flaky))
    squatter = boz_home / "library" / EPISODES[1]
    squatter.parent.mkdir(parents=True)
    squatter.write_bytes(b"somebody else's file")

    disc_to_library(str(disc), RipRequest(auto_approve=True))

    jobs = {(j["title_index"], j["kind"]): j for j in boz_json("jobs")}
    assert jobs[(0, "rip")]["attempts"] == 2 and jobs[(0, "rip")]["status"] == "done"
    skipped = jobs[(1, "organize")]
    assert skipped["attempts"] == 1 and skipped["status"] == "done"  # BOZ_COLLISION=skip
    assert skipped["details"]["outcome"] == "skipped"
    assert "already holds a different file" in skipped["details"]["note"]
    assert squatter.read_bytes() == b"somebody else's file"
    assert library_files(boz_home) == EPISODES[:3]  # E01, E03 placed; E02 is the squatter
    assert boz_json("discs")[0]["status"] == "done"


@pytest.mark.slow
def test_approval_after_the_pause_timed_out_rips_from_the_stored_preview(
    disc_factory, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOZ_APPROVAL_TIMEOUT_SECONDS", "3")
    disc1 = disc_factory("SAMPLE_SHOW_S1_D1")
    timed_out = run_boz("rip", str(disc1), check=False)
    assert timed_out.returncode == 1
    assert (
        timed_out.stderr.strip()
        .splitlines()[-1]
        .startswith("boz: nobody answered within 3 s; the disc stays awaiting approval")
    )
    [waiting] = boz_json("discs")
    assert waiting["status"] == "awaiting_approval"
    approved = run_boz("approve", str(waiting["id"]), "--titles", "1,2")
    assert "is no longer waiting" in approved.stdout
    assert library_files(boz_home) == EPISODES[:2]  # titles 1 and 2 as E01, E02
    assert boz_json("discs")[0]["status"] == "done"

    disc2 = disc_factory("SAMPLE_SHOW_S1_D2", variant=5)
    run_boz("rip", str(disc2), check=False)
    second = boz_json("discs")[1]
    assert [t["episodes"] for t in second["titles"]] == [[3], [4], [5], []]
    run_boz("reject", str(second["id"]))
    assert boz_json("discs")[1]["status"] == "rejected"
    assert boz_json("seasons")[0]["last_episode_assigned"] == 2


def test_with_no_prefect_api_url_boz_starts_the_local_server(
    disc_factory, boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never Prefect's temporary server: the one under BOZ_HOME, started on demand."""
    from conftest import _free_port

    from boz.deployments.local_server import healthy

    monkeypatch.delenv("PREFECT_API_URL")
    port = _free_port()
    monkeypatch.setenv("BOZ_SERVER_PORT", str(port))
    try:
        done = run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes", timeout=600)
        assert "ephemeral" not in done.stderr.lower()
        assert healthy(f"http://127.0.0.1:{port}/api")  # still there for the UI and approvals
        assert (boz_home / "prefect" / "server.pid").is_file()
        assert library_files(boz_home) == EPISODES[:3]
    finally:
        assert "stopped" in run_boz("server", "stop").stdout
    assert not healthy(f"http://127.0.0.1:{port}/api")


@pytest.mark.slow
def test_one_machine_transcodes_a_title_while_the_next_one_rips(
    boz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No settings: disc_to_library hands each ripped title to a transcode_title run in the
    same process and rips the next title meanwhile (the job rows' timestamps show it), one
    encode at a time (BOZ_TRANSCODE_SLOTS defaults to 1)."""
    tests = Path(__file__).resolve().parent
    monkeypatch.setenv("BOZ_MAKEMKVCON", str(tests / "fakes" / "makemkvcon"))
    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(tmp_path / "fake-state"))
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(SEASON_24 / "disc01.txt"))
    monkeypatch.setenv("FAKE_MAKEMKV_SCALE", "300")
    monkeypatch.setenv("FAKE_MAKEMKV_PROGRESS_DELAY", "0.2")  # a title takes about 2 s to read
    run_boz("rip", "disc:0", "--yes", timeout=600)
    jobs = boz_json("jobs")
    assert len(jobs) == 12 and {j["status"] for j in jobs} == {"done"}
    rips = {j["title_index"]: j for j in jobs if j["kind"] == "rip"}
    transcodes = {j["title_index"]: j for j in jobs if j["kind"] == "transcode"}
    overlapping = [
        i for i in transcodes
        if i + 1 in rips and transcodes[i]["started"] < rips[i + 1]["finished"]
        and rips[i + 1]["started"] < transcodes[i]["finished"]
    ]  # fmt: skip
    assert overlapping, jobs
    encodes = sorted((j["started"], j["finished"]) for j in transcodes.values())
    assert all(a[1] <= b[0] for a, b in pairwise(encodes)), encodes  # one slot
    assert len(library_files(boz_home)) == 4


def test_a_second_rip_of_a_waiting_disc_and_approval_after_its_run_was_killed(
    disc_factory, boz_home: Path
) -> None:
    """One run per disc; `boz approve` never resumes a run nobody holds, never starts a
    second run beside a live one."""
    from uuid import UUID

    from prefect import get_client

    disc = str(disc_factory("SAMPLE_SHOW_S1_D1"))
    rip = start_rip(disc)
    try:
        waiting = wait_for_status("awaiting_approval")
        second = run_boz("rip", disc, "--yes", check=False)
        assert second.returncode == 1
        assert (
            second.stderr.strip()
            .splitlines()[-1]
            .startswith(f"boz: disc {waiting['id']} (SAMPLE_SHOW_S1_D1) is waiting in a run on ")
        )
        assert f"approve it with `boz approve {waiting['id']}`" in second.stderr
        rip.kill()  # kill -9: the run stays Paused on the server, but nobody holds it
        rip.wait()
        approved = run_boz("approve", str(waiting["id"]))
    finally:
        rip.kill()
    assert "its process is gone" in approved.stdout
    assert library_files(boz_home) == EPISODES[:3]
    with get_client(sync_client=True) as client:
        old = client.read_flow_run(UUID(waiting["approval_flow_run_id"]))
    assert old.state is not None and old.state.is_cancelled()  # it can never resume now
    assert {j["attempts"] for j in boz_json("jobs")} == {1}


@pytest.mark.slow
def test_boz_rip_killed_mid_rip_then_run_again_finishes_the_disc_once(
    boz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import descendants, kill_tree

    tests = Path(__file__).resolve().parent
    monkeypatch.setenv("BOZ_MAKEMKVCON", str(tests / "fakes" / "makemkvcon"))
    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(tmp_path / "fake-state"))
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(SEASON_24 / "disc01.txt"))
    monkeypatch.setenv("FAKE_MAKEMKV_SCALE", "300")
    monkeypatch.setenv("FAKE_MAKEMKV_PROGRESS_DELAY", "0.3")
    rip = start_rip("disc:0", "--yes")
    try:
        deadline = time.monotonic() + 180
        while not [
            j for j in boz_json("jobs") if j["title_index"] == 1 and j["status"] == "running"
        ]:
            assert time.monotonic() < deadline and rip.poll() is None, rip.stderr
            time.sleep(0.2)
        tools = descendants(rip.pid)
        kill_tree(rip)  # kill -9, as a power cut would (its tools die with it on their own)
    finally:
        rip.kill()
    assert tools
    for pid in tools:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert boz_json("discs")[0]["status"] == "ripping"

    run_boz("rip", "disc:0", "--yes", timeout=600)  # the same command again
    assert library_files(boz_home) == [
        f"TV/24/Season 01/24 - S01E{n:02d}.mkv" for n in (1, 2, 3, 4)
    ]
    jobs = {(j["title_index"], j["kind"]): j for j in boz_json("jobs")}
    assert jobs[(0, "rip")]["attempts"] == 1  # done before the kill: not ripped again
    assert jobs[(1, "rip")]["attempts"] == 2  # taken over from the dead holder
    assert {j["status"] for j in jobs.values()} == {"done"}
    assert boz_json("seasons")[0]["last_episode_assigned"] == 4
    assert not [p for p in boz_home.rglob("*") if p.suffix in (".part", ".boz-part")]
