"""`boz disc ID`: one disc, its titles and destinations, its jobs, links to its runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import run_boz


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_ripped_disc_shows_its_titles_jobs_and_runs(disc_factory, boz_home: Path) -> None:
    run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes")
    shown = json.loads(run_boz("disc", "1", "--json").stdout)
    assert (shown["disc"]["id"], shown["disc"]["status"]) == (1, "done")
    landed = [t["destination"] for t in shown["titles"] if t["in_library"]]
    assert landed == [f"TV/Sample Show/Season 01/Sample Show - S01E0{n}.mkv" for n in (1, 2, 3)]
    assert sorted((j["title_index"], j["kind"]) for j in shown["jobs"]) == sorted(
        (i, k) for i in range(3) for k in ("rip", "transcode", "organize")
    )
    ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    assert shown["runs"] and all(
        r["url"] == f"{ui}/runs/flow-run/{r['flow_run_id']}" for r in shown["runs"]
    )

    table = run_boz("disc", "1").stdout
    assert table.splitlines()[0] == "disc 1 SAMPLE_SHOW_S1_D1: done"
    assert "S01E01" in table and f"run: {shown['runs'][0]['url']}" in table


def test_a_disc_that_does_not_exist_is_one_line(boz_home: Path) -> None:
    done = run_boz("disc", "99", check=False)
    assert (done.returncode, done.stderr.strip()) == (1, "boz: no disc with id 99: see `boz discs`")
