"""What the transcode task costs on top of the ffmpeg command it runs.

A DVD-sized title (720x480, two audio streams, subtitles, chapters; a minute by default)
is ripped once per run, untimed (the rip also samples it for the source fit, so the
transcode host decides from that). Then, in the same run on the same machine, each file is
transcoded twice: (a) by the Prefect task `encode_title` against a local Prefect server
(task run, job claim, source fit analysis, encoder choice, progress artifacts,
verification), and (b) by the very ffmpeg command that task builds, run by hand,
alternating. A 2-core machine's encode times vary by several percent from run to run,
more than the goal, so the ratio is of the fastest of each (what the work costs when
nothing else intrudes); the medians are printed too. Only the ratio is meaningful across
machines (goal: 1.02 or less).

    .venv/bin/python benchmarks/transcode.py [--seconds 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from prefect.logging.handlers import APILogHandler
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    temporary_settings,
)

from boz.db.engine import open_database
from boz.deployments.local_server import start, stop
from boz.media.probe import probe
from boz.media.sample import make_title
from boz.models import RipRequest
from boz.pipeline import detect, preview, rip
from boz.pipeline.jobs import Runner
from boz.pipeline.transcode import plan
from boz.settings import Settings
from boz.tasks.steps import encode_title


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ripped_title(title: Path, label: str, settings: Settings) -> tuple[int, Path]:
    """A disc of one title, approved and ripped into staging: what the transcode gets."""
    folder = title.parent.parent / label
    folder.mkdir()
    shutil.copy(title, folder / "title_t00.mkv")
    db = open_database(settings.db_url)
    disc = detect.detect(db, settings, str(folder))
    assert disc.id is not None
    kwargs = {"min_seconds": 1, "library": settings.library_dir}
    proposal = preview.propose(db, disc.id, RipRequest(show="Bench", season=1), **kwargs)
    preview.decide(db, disc.id, proposal.decision(), **kwargs)
    return disc.id, rip.rip_title(db, settings, disc.id, 0, Runner(host=settings.host_name))


def by_hand(ripped: Path, target: Path, settings: Settings) -> float:
    """The task's own command, decided untimed, run as an operator would run it."""
    args = plan(settings, probe(ripped, count_packets=True), target).args
    began = time.perf_counter()
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - began


def by_task(disc_id: int, settings: Settings) -> float:
    began = time.perf_counter()
    encode_title(disc_id, 0, settings)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="boz-bench-transcode-") as tmp_name:
        tmp = Path(tmp_name)
        title = make_title(tmp / "made" / "title.mkv", seconds=opts.seconds, size="720x480")
        settings = Settings(
            home=tmp / "home", library=tmp / "library", staging=tmp / "staging", min_title_seconds=1
        )
        url = start(tmp / "server", port=_free_port())
        try:
            # The task alone, as a flow would run it; its log outside a flow stays local.
            quiet = {PREFECT_API_URL: url, PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}
            with temporary_settings(updates=quiet):
                ripped = [
                    ripped_title(title, f"BENCH_S1_D{n + 1}", settings) for n in range(opts.runs)
                ]
                # One task run first: the host's encoder trials, cached for a day, are
                # start-up, not per title.
                warm_disc, _ = ripped_title(title, "BENCH_WARM", settings)
                by_task(warm_disc, settings)
                hand, task = [], []
                for n, (disc_id, file) in enumerate(ripped):
                    hand.append(by_hand(file, tmp / f"hand-{n}.mkv", settings))
                    task.append(by_task(disc_id, settings))
                APILogHandler().flush()  # before the server stops
        finally:
            stop(tmp / "server")

    h, t = min(hand), min(task)
    hm, tm = statistics.median(hand), statistics.median(task)
    print(f"title: {opts.seconds:.0f} s, 720x480, {opts.runs} runs each (fastest; median)")
    print(f"ffmpeg by hand:    {h:7.2f} s; {hm:7.2f} s")
    print(f"encode_title task: {t:7.2f} s; {tm:7.2f} s  (+{t - h:.2f} s)")
    print(f"ratio:             {t / h:7.3f}; {tm / hm:7.3f}  (goal <= 1.02)")


if __name__ == "__main__":
    main()
