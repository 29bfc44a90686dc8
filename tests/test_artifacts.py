"""The preview published on the flow run as Prefect artifacts, read back from the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import library_files

pytestmark = pytest.mark.usefixtures("prefect_api")

EPISODES = [f"TV/Sample Show/Season 01/Sample Show - S01E{n:02d}.mkv" for n in range(1, 4)]


def test_an_auto_approved_run_shows_its_preview_as_artifacts(disc_factory, boz_home: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    from boz.flows.disc_to_library import disc_to_library
    from boz.models import RipRequest

    disc = disc_factory("SAMPLE_SHOW_S1_D1")
    state = disc_to_library(str(disc), RipRequest(auto_approve=True), return_state=True)
    result = state.result()
    assert library_files(boz_home) == EPISODES
    disc_id = result.disc.id
    keys = [f"disc-{disc_id}-preview", f"disc-{disc_id}-summary"]

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=keys),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )
    by_key = {a.key: a for a in found}
    assert sorted(by_key) == sorted(keys) and len(found) == 2
    table, summary = by_key[keys[0]], by_key[keys[1]]
    assert (table.type, summary.type) == ("table", "markdown")
    assert "auto-approved" in (table.description or "")
    assert all(a.task_run_id is not None for a in found)  # made by the await_approval task

    rows = json.loads(table.data)  # the API keeps a table as its JSON text
    assert isinstance(rows, list) and len(rows) == len(result.titles) == 4
    assert [r["index"] for r in rows] == [t.index for t in result.titles] == [0, 1, 2, 3]
    assert [r["selected"] for r in rows] == [t.selected for t in result.titles]
    assert [r["selected"] for r in rows] == [True, True, True, False]
    assert [r["role"] for r in rows] == ["episode", "episode", "episode", "extra"]
    assert [r["episodes"] for r in rows] == ["1", "2", "3", ""]
    assert [r["destination"] for r in rows] == [*EPISODES, ""]
    assert [r["chapters"] for r in rows] == [t.chapters for t in result.titles]
    assert [r["duration"] for r in rows] == ["0:03", "0:03", "0:03", "0:01"]
    assert [r["size"] for r in rows] == [f"{t.size_bytes / 1e6:.1f} MB" for t in result.titles]
    assert set(rows[0]) == {
        "index", "duration", "size", "chapters", "role", "selected", "episodes", "destination"
    }  # fmt: skip

    markdown = summary.data
    assert isinstance(markdown, str)
    assert "### Disc `SAMPLE_SHOW_S1_D1`" in markdown and "TV: **Sample Show** season 1" in markdown
    for name in EPISODES:
        assert name in markdown
    assert "Edit the fields below" not in markdown  # that line is for the approval form only


def test_runs_and_steps_are_named_for_what_they_file_and_tagged(
    disc_factory, boz_home: Path
) -> None:
    """``Show S01 D1 (LABEL)``, ``rip t00 -> S01E01``, tags the UI filters by, and the
    last table: what landed where."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
    )

    from boz.flows.disc_to_library import disc_to_library
    from boz.models import RipRequest
    from boz.settings import Settings

    disc = disc_factory("SAMPLE_SHOW_S1_D1")
    state = disc_to_library(str(disc), RipRequest(auto_approve=True), return_state=True)
    disc_id = state.result().disc.id
    tags = {"show:Sample Show", "season:1", f"disc:{disc_id}", f"host:{Settings().host_name}"}
    with get_client(sync_client=True) as client:
        run_id = state.state_details.flow_run_id
        children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id]))
        runs = [client.read_flow_run(run_id), *client.read_flow_runs(flow_run_filter=children)]
        steps = client.read_task_runs(
            task_run_filter=TaskRunFilter(
                flow_run_id=TaskRunFilterFlowRunId(any_=[r.id for r in runs])
            )
        )
        [landed] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"disc-{disc_id}-landed"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]),
            )
        )
    disc_run = "Sample Show S01 D1 (SAMPLE_SHOW_S1_D1)"
    assert sorted(r.name for r in runs) == [
        disc_run, *(f"{disc_run}: t0{n} -> S01E0{n + 1}" for n in range(3))
    ]  # fmt: skip
    assert all(tags <= set(r.tags) for r in runs)
    names = {t.name for t in steps}
    for n in range(3):
        assert {
            f"{step} t0{n} -> S01E0{n + 1}" for step in ("rip", "transcode", "organize")
        } <= names
    assert all(tags <= set(t.tags) for t in steps if t.name.startswith(("rip", "transcode")))

    rows = json.loads(landed.data)
    assert rows == [
        {"index": n, "role": "episode", "episodes": str(n + 1), "status": "in library",
         "file": EPISODES[n]}
        for n in range(3)
    ]  # fmt: skip
