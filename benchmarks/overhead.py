"""What Boz Ripper costs on top of the ffmpeg work it orchestrates.

The same sample disc goes through `boz rip --yes` (a new process: imports, Prefect
flow and task runs against a local Prefect server, SQLite, verification, organizing)
and through the same ffmpeg commands run directly, in one run on one machine. Prints
both times and the ratio; only the ratio is meaningful across machines.

    .venv/bin/python benchmarks/overhead.py [--episodes 3] [--seconds 20] [--runs 3] [--size WxH]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boz.deployments.local_server import start, stop
from boz.media.commands import stream_copy_args
from boz.media.probe import probe
from boz.media.runner import run_ffmpeg
from boz.media.sample import make_disc
from boz.pipeline.transcode import plan
from boz.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_ffmpeg(disc: Path, work: Path, settings: Settings, titles: list[Path]) -> float:
    work.mkdir(parents=True)
    spent = 0.0
    for n, title in enumerate(titles):
        ripped, encoded = work / f"{n}.rip.mkv", work / f"{n}.mkv"
        began = time.perf_counter()
        run_ffmpeg(stream_copy_args(title, ripped, ffmpeg_path="ffmpeg"), stall_seconds=120)
        spent += time.perf_counter() - began
        # The pipeline's own command, decided untimed: the tools alone are the baseline.
        args = plan(settings, probe(ripped, count_packets=True), encoded).args
        began = time.perf_counter()
        run_ffmpeg(args, stall_seconds=120)
        spent += time.perf_counter() - began
    return spent


def boz_rip(disc: Path, home: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "boz", "rip", str(disc), "--yes"], check=True,
                   env=env | {"BOZ_HOME": str(home)}, capture_output=True)  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="320x180", help="720x480 for DVD-sized episodes")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="boz-bench-") as tmp_name:
        tmp = Path(tmp_name)
        disc = make_disc(tmp / "BENCH_SHOW_S1_D1", episodes=opts.episodes,
                         episode_seconds=opts.seconds, extras=1, extra_seconds=2,
                         size=opts.size)  # fmt: skip
        min_seconds = str(int(opts.seconds / 2))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOZ_", "PREFECT_"))}
        env |= {"BOZ_MIN_TITLE_SECONDS": min_seconds, "PREFECT_HOME": str(tmp / "prefect-client")}
        settings = Settings(home=tmp / "settings-only")
        episodes = sorted(disc.glob("*.mkv"))[: opts.episodes]
        url = start(tmp / "server", port=_free_port())
        env["PREFECT_API_URL"] = url
        try:
            raw, boz = [], []
            for run in range(opts.runs):
                raw.append(raw_ffmpeg(disc, tmp / f"raw-{run}", settings, episodes))
                boz.append(boz_rip(disc, tmp / f"home-{run}", env))
                print(f"run {run + 1}: directly {raw[-1]:.2f} s, boz rip {boz[-1]:.2f} s "
                      f"({boz[-1] / raw[-1]:.3f})", flush=True)  # fmt: skip
        finally:
            stop(tmp / "server")

    raw_s, boz_s = statistics.median(raw), statistics.median(boz)
    print(f"disc: {opts.episodes} episodes x {opts.seconds:g} s, {opts.size}, libx264 "
          f"{settings.x264_preset} crf {settings.crf}; median of {opts.runs} runs")  # fmt: skip
    print(f"ffmpeg commands run directly : {raw_s:7.2f} s")
    print(f"boz rip --yes (new process)  : {boz_s:7.2f} s")
    print(f"ratio boz / raw              : {boz_s / raw_s:7.2f}")
    print(f"overhead per title           : {(boz_s - raw_s) / opts.episodes:7.2f} s")


if __name__ == "__main__":
    main()
