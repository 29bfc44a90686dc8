"""Progress you can watch: the tracker on a fake clock, ffmpeg's fractions on a real file,
the Prefect progress artifacts updated in place, and the terminal bars drawn from them."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from helpers import run_boz
from prefect import flow, get_client, tags, task
from rich.console import Console
from rich.theme import Theme

from boz.cli import ProgressBars
from boz.media.probe import probe
from boz.media.runner import run_ffmpeg
from boz.media.sample import make_title
from boz.progress import Progress, Throttle, clock_time, step_label
from boz.tasks.progress import (
    StepProgress,
    StepReporter,
    artifact_key,
    reporting,
    runs_progress,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def at(self, now: float) -> FakeClock:
        self.now = now
        return self


def test_a_rip_shows_percent_mb_per_second_and_time_left() -> None:
    clock = FakeClock()
    progress = Progress.of_bytes(step_label("rip", 3, (2, 5)), 600_000_000, clock=clock)
    assert progress.describe() == "rip title 3 (2 of 5): 0%"
    clock.at(4)  # waiting for the drive: no speed before the tool reports twice
    progress.record(0.0)
    assert (progress.speed(), progress.eta_s()) == (None, None)
    clock.at(14)
    progress.record(0.1)  # 60 MB in 10 s
    assert progress.percent == 10
    assert progress.speed() == "6.0 MB/s"
    assert progress.eta_s() == pytest.approx(90)  # 0.9 left at 0.01 a second
    assert progress.describe() == "rip title 3 (2 of 5): 10%, 6.0 MB/s, 1:30 left"
    clock.at(20)
    progress.record(0.05)  # a count going back is no progress, never a bar running backwards
    assert progress.fraction == 0.1 and progress.percent == 10
    clock.at(64)
    progress.record(1.0)
    assert progress.describe() == "rip title 3 (2 of 5): done in 1:04, 10.0 MB/s"


def test_the_estimate_follows_a_slowdown_within_the_window() -> None:
    clock = FakeClock()
    progress = Progress.of_media("transcode title 0", 3600, clock=clock)
    for second in range(0, 61, 10):
        clock.at(second)
        progress.record(second / 200)  # 18 s of media a second: 18x
    assert progress.speed() == "18.0x"
    for second in range(70, 131, 10):
        clock.at(second)
        progress.record(0.3 + (second - 60) / 2000)  # then 1.8x
    assert progress.speed() == "1.8x"  # the window (30 s) holds only the slow part
    left = (1 - progress.fraction) / (1 / 2000)
    assert progress.eta_s() == pytest.approx(left)
    assert progress.describe().endswith(f"1.8x, {clock_time(left)} left")


def test_labels_and_clock_times() -> None:
    assert step_label("transcode", 0) == "transcode title 0"
    assert step_label("rip", 12, (3, 4)) == "rip title 12 (3 of 4)"
    assert [clock_time(s) for s in (0, 59.6, 61, 3599, 3600, 7384)] == [
        "0:00", "1:00", "1:01", "59:59", "1:00:00", "2:03:04"
    ]  # fmt: skip


def test_the_throttle_lets_through_one_update_per_two_seconds_and_percent() -> None:
    clock = FakeClock()
    throttle = Throttle(every_s=2, step=0.01, clock=clock)
    assert throttle.due(0.0)  # the first report creates the artifact
    clock.at(1)
    assert not throttle.due(0.05)  # too soon
    clock.at(3)
    assert not throttle.due(0.005)  # late enough, but not moved enough
    assert throttle.due(0.05)
    clock.at(4)
    assert not throttle.due(0.5)
    assert throttle.due(1.0)  # the end always goes out, once
    assert not throttle.due(1.0)
    clock.at(60)
    assert not throttle.due(1.0)


def _tiny_video(folder: Path) -> tuple[Path, int]:
    video = make_title(folder / "t.mkv", seconds=1.5, size="160x90", chapters=1)
    frames = probe(video, count_packets=True).packets("video")
    assert frames
    return video, frames


def _copy_in_real_time(video: Path, out: Path) -> list[str]:
    """Read at the native rate (-re) with frequent progress blocks: several reports."""
    return ["ffmpeg", "-stats_period", "0.1", "-re", "-i", str(video), "-map", "0:v",
            "-c", "copy", str(out)]  # fmt: skip


def test_ffmpeg_progress_counts_frames_and_ends_at_one(tmp_path: Path) -> None:
    video, frames = _tiny_video(tmp_path)
    seen: list[float] = []
    run_ffmpeg(
        _copy_in_real_time(video, tmp_path / "a.mkv"),
        stall_seconds=30,
        expected_frames=frames,
        on_progress=seen.append,
    )
    assert len(seen) >= 4
    assert all(a < b for a, b in itertools.pairwise(seen))
    assert seen[-1] == 1.0

    twice: list[float] = []  # against twice the frames, the count stops half way
    run_ffmpeg(
        _copy_in_real_time(video, tmp_path / "b.mkv"),
        stall_seconds=30,
        expected_frames=2 * frames,
        on_progress=twice.append,
    )
    assert twice[-1] == 1.0 and twice[-2] == pytest.approx(0.5, abs=1 / frames)

    timed: list[float] = []  # no frame count: output time against the duration
    run_ffmpeg(
        ["ffmpeg", "-i", str(video), "-map", "0:v", "-c", "copy", str(tmp_path / "c.mkv")],
        stall_seconds=30,
        expected_duration_s=probe(video).duration_s,
        on_progress=timed.append,
    )
    assert timed[-1] == 1.0 and all(0 < f <= 1 for f in timed)


def _artifacts(flow_run_id: UUID, key: str) -> list:  # type: ignore[type-arg]
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )


@task
def _report_and_read_back(key: str) -> list[tuple[UUID, float, str]]:
    from prefect import get_run_logger
    from prefect.runtime import flow_run

    clock = FakeClock()
    reporter = StepReporter(
        Progress.of_media(step_label("transcode", 1, (2, 3)), 1200, clock=clock),
        key,
        get_run_logger(),
        Throttle(every_s=2, clock=clock),
    )
    readings = []
    for second, fraction in [(1, 0.0), (2, 0.005), (5, 0.25), (9, 0.5)]:
        clock.at(second)
        reporter(fraction)
        (artifact,) = _artifacts(UUID(flow_run.get_id()), key)
        readings.append((artifact.id, artifact.data, artifact.description))
    clock.at(14)
    reporter.finish()
    (artifact,) = _artifacts(UUID(flow_run.get_id()), key)
    readings.append((artifact.id, artifact.data, artifact.description))
    return readings


@flow
def _one_step(key: str) -> list[tuple[UUID, float, str]]:
    return _report_and_read_back(key)


@pytest.mark.usefixtures("prefect_api")
def test_a_step_updates_one_progress_artifact_in_place() -> None:
    key = artifact_key(disc_id=7, title_index=1, step="transcode")
    readings = _one_step(key)
    ids = {artifact_id for artifact_id, _, _ in readings}
    assert len(ids) == 1  # created once, then updated
    percents = [percent for _, percent, _ in readings]
    assert percents == [0.0, 0.0, 25.0, 50.0, 100.0]  # 0.5 % at 2 s was held back
    descriptions = [description for _, _, description in readings]
    assert descriptions[0] == "transcode title 1 (2 of 3): 0%"
    assert descriptions[2] == "transcode title 1 (2 of 3): 25%, 75.0x, 0:12 left"
    assert descriptions[3] == "transcode title 1 (2 of 3): 50%, 75.0x, 0:08 left"
    assert descriptions[4] == "transcode title 1 (2 of 3): done in 0:14, 92.3x"


@task
def _step(key: str, fractions: list[float], fail: bool) -> None:
    with reporting(Progress.of_bytes(key, 1_000_000), key) as report:
        for fraction in fractions:
            report(fraction)
        if fail:
            raise ValueError("the disc is scratched")


@flow
def _transcode_child(key: str) -> None:
    _step(key, [0.0, 0.4], fail=True, return_state=True)


@flow
def _rip_parent(rip_key: str, transcode_key: str) -> None:
    _step(rip_key, [0.0, 0.3, 0.6], fail=False)
    _transcode_child(transcode_key)


@pytest.mark.usefixtures("prefect_api")
def test_the_terminal_bars_follow_a_run_and_its_child_runs() -> None:
    """The bars read the run by its tag and its child run by its parent; after the block,
    one last poll shows how each step ended."""
    tag = f"test-{uuid4().hex[:8]}"
    console_file = io.StringIO()
    bars = ProgressBars(Console(file=console_file, force_terminal=True, width=100))
    with tags(tag), bars.following(tag, every_s=0.2):
        _rip_parent("test-rip", "test-transcode")
    tasks = bars.bars.tasks
    assert [(t.completed, t.description.split(":")[0]) for t in tasks] == [
        (100.0, "test-rip"),
        (40.0, "test-transcode"),
    ]
    assert tasks[0].description.startswith("test-rip: done in ")
    assert tasks[1].description == "test-transcode: stopped at 40%"
    assert "stopped at 40%" in console_file.getvalue()

    with get_client(sync_client=True) as client:
        assert runs_progress(client, f"test-{uuid4().hex[:8]}") == []  # an unknown tag


def test_a_bar_per_step_updated_in_place() -> None:
    # Like Prefect's log console: a theme without rich's style names.
    console = Console(record=True, force_terminal=True, width=100, theme=Theme({}, inherit=False))
    bars = ProgressBars(console)
    rip, transcode = uuid4(), uuid4()
    bars.show([StepProgress(rip, 40.0, "rip title 1 (1 of 2): 40%, 6.0 MB/s, 0:10 left")])
    bars.show(
        [
            StepProgress(rip, 100.0, "rip title 1 (1 of 2): done in 0:17, 6.0 MB/s"),
            StepProgress(transcode, 12.5, "transcode title 1 (1 of 2): 12%, 3.1x, 1:00 left"),
        ]
    )
    assert [(t.completed, t.total) for t in bars.bars.tasks] == [(100.0, 100), (12.5, 100)]
    console.print(bars.bars.get_renderable())
    lines = [line.strip() for line in console.export_text().splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].endswith("rip title 1 (1 of 2): done in 0:17, 6.0 MB/s")
    assert lines[1].endswith("transcode title 1 (1 of 2): 12%, 3.1x, 1:00 left")
    assert lines[0].startswith("━")  # a bar before each description


@pytest.mark.usefixtures("prefect_api")
def test_boz_rip_draws_a_bar_per_rip_and_transcode(disc_factory, boz_home: Path) -> None:
    done = run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes", "--progress")
    bars = [line.strip("━ ") for line in done.stderr.splitlines() if line.startswith("━")]
    steps = [bar.split(":")[0] for bar in bars]
    assert sorted(steps) == sorted(
        f"{step} title {i} ({i + 1} of 3)" for step in ("rip", "transcode") for i in (0, 1, 2)
    )
    assert all(": done in " in bar for bar in bars)
    assert " done in " not in done.stdout  # the result alone on stdout
