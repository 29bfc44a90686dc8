"""What the idle local Prefect server costs an encode that shares its core.

On one host the Prefect server runs beside the encodes; idle, it still wakes many times a
second (its background services and their polls). The pipeline's own command for one
DVD-sized title runs twice at once, pinned one to each core, with the server (as ``boz
server start`` runs it) pinned to one of them; each round runs that pair with the server
frozen (SIGSTOP: as if it were not there) and then running, and rounds alternate which
core the server shares. Prints, per pair, the encode beside the server against the one on
the other core: without the server the two cores agree to about 1 %, so what the running
server adds is its cost. Also the server's CPU time during the pair, as a share of a core.

    .venv/bin/python benchmarks/server_cost.py [--seconds 120] [--rounds 4] [--size WxH]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from overhead import pin, process_cpu, run_at_once
from servers import prefect_server

from boz.deployments.local_server import server_pid
from boz.media.probe import probe
from boz.media.sample import make_disc
from boz.pipeline.transcode import plan
from boz.settings import Settings

SETTLE_S = 5  # after a thaw, the server's timers that came due meanwhile run first


def pair(args: list[list[str]], server_core: int) -> float:
    """Both encodes at once, one per core; the one on ``server_core`` over the other."""
    env = dict(os.environ)
    for one in args:
        Path(one[-1].removeprefix("file:")).unlink(missing_ok=True)
    ended = run_at_once([(one, env, core) for core, one in enumerate(args)])
    return ended[server_core].wall / ended[1 - server_core].wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--size", default="720x480")
    opts = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs two cores: one encode on each")

    with tempfile.TemporaryDirectory(prefix="boz-bench-") as tmp_name:
        tmp = Path(tmp_name)
        disc = make_disc(tmp / "COST_D1", episodes=1, episode_seconds=opts.seconds, extras=0,
                         size=opts.size)  # fmt: skip
        source = probe(next(disc.glob("*.mkv")), count_packets=True)
        settings = Settings(home=tmp / "settings-only")
        args = []
        for core in (0, 1):
            command = plan(settings, source, tmp / f"out-{core}.mkv").args
            args.append([command[0], "-nostdin", "-v", "error", *command[1:]])
        alone, beside, shares = [], [], []
        with prefect_server(tmp / "server", "sqlite"):
            pid = server_pid(tmp / "server")
            assert pid is not None
            time.sleep(SETTLE_S)  # past its start-up work
            for round_ in range(opts.rounds):
                core = round_ % 2
                pin(pid, core)
                os.kill(pid, signal.SIGSTOP)
                try:
                    alone.append(pair(args, core))
                finally:
                    os.kill(pid, signal.SIGCONT)
                time.sleep(SETTLE_S)
                began, cpu_began = time.perf_counter(), process_cpu(pid)
                beside.append(pair(args, core))
                shares.append((process_cpu(pid) - cpu_began) / (time.perf_counter() - began))
                print(f"round {round_ + 1}, server on core {core}: frozen {alone[-1]:.3f}, "
                      f"running {beside[-1]:.3f} (its CPU {shares[-1]:.1%} of a core)",
                      flush=True)  # fmt: skip

    print(f"title: {opts.seconds:g} s at {opts.size}, libx264 {settings.x264_preset} crf "
          f"{settings.crf}, one encode per core; median of {opts.rounds} rounds")  # fmt: skip
    for label, value in (
        (
            "encode on the server's core / on the other, server frozen",
            f"{statistics.median(alone):.3f}",
        ),
        (
            "encode on the server's core / on the other, server idle",
            f"{statistics.median(beside):.3f}",
        ),
        ("the idle server's CPU", f"{statistics.median(shares):.1%} of a core"),
    ):
        print(f"{label:58s}: {value}")


if __name__ == "__main__":
    main()
