"""The operator's views of history and its housekeeping: ``boz jobs`` filtered and timed,
``boz seasons SHOW``, dates in ``boz discs``, names that cannot drive the terminal, and
``boz prune`` that never gives an episode number twice."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from helpers import boz_json, run_boz, start_rip, wait_for_status

pytestmark = pytest.mark.usefixtures("prefect_api")

ESCAPE = "\x1b"


def _age_everything(home: Path, days: int) -> None:
    """As if the discs and jobs had finished ``days`` ago."""
    with closing(sqlite3.connect(home / "boz.db")) as db, db:
        db.execute("UPDATE discs SET updated_at = datetime('now', ?)", (f"-{days} days",))
        db.execute("UPDATE jobs SET finished_at = datetime('now', ?)", (f"-{days} days",))


def test_jobs_seasons_and_discs_views(disc_factory, copy_disc, boz_home: Path) -> None:
    run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes")
    run_boz("rip", str(copy_disc("SAMPLE_MOVIE_2008", episodes=1, extras=0)), "--yes")

    done = boz_json("jobs", "--status", "done", "--disc", "1")
    assert len(done) == 9 and {j["disc_id"] for j in done} == {1}
    assert boz_json("jobs", "--status", "failed") == []
    assert run_boz("jobs", "--status", "running").stdout.strip() == "no jobs running"
    table = run_boz("jobs", "--disc", "2").stdout
    assert "started" in table and "took" in table
    assert all(j["started"] and j["finished"] for j in boz_json("jobs"))

    [season] = boz_json("seasons", "sample show")  # the library's name, any spelling
    assert (season["show"], season["last_episode_assigned"]) == ("Sample Show", 3)
    assert boz_json("seasons", "Other Show") == []
    assert "1-3" in run_boz("seasons").stdout

    listing = run_boz("discs").stdout
    assert "first seen" in listing and "updated" in listing


def test_control_characters_in_names_never_reach_the_terminal(
    copy_disc, boz_home: Path, tmp_path: Path
) -> None:
    hostile = copy_disc("SAMPLE_SHOW_S1_D1")
    renamed = hostile.rename(tmp_path / f"EVIL{ESCAPE}]0;owned{chr(7)}{ESCAPE}[31m[bold]RED")
    show = f"Bad{ESCAPE}[2JShow\u202e"
    rip = start_rip(str(renamed), "--show", show)
    try:
        waiting = wait_for_status("awaiting_approval")
        for command in (["discs"], ["disc", str(waiting["id"])], ["seasons"], ["jobs"]):
            shown = run_boz(*command).stdout
            assert ESCAPE not in shown and "\u202e" not in shown, command
        listing = run_boz("discs").stdout
        assert "\\x1b[31m[bold]RED" in listing.replace("\n", "").replace("│", "").replace(" ", "")
        run_boz("reject", str(waiting["id"]))
        rip.communicate(timeout=120)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert json.loads(run_boz("discs", "--json").stdout)[0]["label"].startswith(f"EVIL{ESCAPE}")


def test_prune_forgets_finished_discs_but_never_their_episode_numbers(
    disc_factory, copy_disc, boz_home: Path
) -> None:
    tv = str(disc_factory("SAMPLE_SHOW_S1_D1"))
    run_boz("rip", tv, "--yes")
    run_boz("rip", str(copy_disc("SAMPLE_MOVIE_2008", episodes=1, extras=0)), "--yes")
    assert len(boz_json("jobs")) == 9 + 3
    _age_everything(boz_home, days=40)

    young = run_boz("prune", "--older-than", "8w").stdout
    assert young.startswith("removed 0 discs, 0 jobs")
    looked = run_boz("prune", "--older-than", "30d", "--dry-run").stdout
    assert looked.startswith("would remove 1 discs, 12 jobs")
    assert "disc 2 SAMPLE_MOVIE_2008 (done)" in looked
    assert len(boz_json("discs")) == 2

    pruned = run_boz("prune", "--older-than", "30d").stdout
    assert pruned.startswith("removed 1 discs, 12 jobs")
    assert "kept 1 finished discs that hold episode numbers" in pruned
    assert [d["label"] for d in boz_json("discs")] == ["SAMPLE_SHOW_S1_D1"]
    assert boz_json("jobs") == []
    [season] = boz_json("seasons")
    assert (season["last_episode_assigned"], season["episodes"]) == (3, [1, 2, 3])

    again = run_boz("preview", tv, "--json")  # the same disc, inserted again
    assert [t["episodes"] for t in json.loads(again.stdout)["titles"]] == [[1], [2], [3], []]

    bad = run_boz("prune", "--older-than", "soon", check=False)
    assert (bad.returncode, bad.stderr) == (
        1,
        "boz: --older-than 'soon': give a number of hours, days or weeks: 12h, 30d, 2w\n",
    )
