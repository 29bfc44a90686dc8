"""What Boz Ripper costs on top of the ffmpeg work it orchestrates.

The same sample disc goes through `boz rip --yes` (a new process: imports, Prefect
flow and task runs against a local Prefect server, SQLite, verification, organizing)
and through the same ffmpeg commands run directly, in one run on one machine. Prints
both times and the ratio; only the ratio is meaningful across machines. Each run also
says what the steps took in sum on either side (for ``boz rip`` from its job rows, so a
transcode includes the check of its output) and how much of ``boz rip``'s wall time no
step covered (start-up, hand-overs, flow runs starting and ending). As an encode's time
varies from run to run by more than the overhead, it also prints ``boz rip``'s wall time
against the tools' own time in that run: its rip jobs (copies and their checks) plus its
encodes as timed inside the transcode jobs. And the CPU time spent beside the tools (boz's
own processes and the Prefect server, beyond what the commands took): on a machine whose
cores an encode already fills, that is time taken from the encodes.

Each run is a new disc (the same files under the next disc's name) in one boz home that
has ripped before, as an operator's next disc: its database migrated and the host's
encoder trials cached for the day. ``--fresh-home`` gives each run a home of its own, as
the first disc ever: the migrations and the trials (a second of trial encodes beside the
first rip) count too. Runs alternate which side goes first.

``--together`` runs the two sides at the same time instead, each pinned to one core (its
children inherit the pin; the Prefect server is pinned to boz's core, as it serves boz
alone), the cores swapped from run to run. The same encode takes 10-20 % more or less
time from one run to the next on a shared machine, more than the overhead measured; side
by side, both sides meet the same machine. Each has half of it, so the encodes take about
twice as long and a fixed cost weighs about half as much as in a run one after the other.

    .venv/bin/python benchmarks/overhead.py [--episodes 3] [--seconds 20] [--runs 3] [--size WxH]
        [--prefect-database sqlite|postgresql] [--transcode-nice N] [--fresh-home] [--together]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from servers import PREFECT_DATABASES, prefect_server

from boz.deployments.local_server import server_pid
from boz.media.commands import stream_copy_args
from boz.media.encoders import usable_encoders
from boz.media.probe import probe
from boz.media.runner import run_ffmpeg
from boz.media.sample import make_disc
from boz.pipeline.transcode import plan
from boz.settings import Settings


@dataclass
class Run:
    """One run's wall time and what its steps took in sum (for ``boz rip``, from its job
    rows: a transcode job includes its output's check, a rip job the copy's)."""

    wall: float
    rips: float
    transcodes: float
    organizes: float = 0.0
    in_jobs: float | None = None  # wall time covered by at least one job
    encodes: float | None = None  # the encodes' own ffmpeg time inside the transcode jobs
    cpu: float = 0.0  # CPU seconds of the run's processes (boz rip and its tools, or ffmpeg)
    server_cpu: float = 0.0  # CPU seconds the Prefect server spent during the run

    def line(self, name: str) -> str:
        text = (
            f"{name}: {self.wall:.2f} s; rips {self.rips:.2f} s, transcodes {self.transcodes:.2f} s"
        )
        if self.in_jobs is not None and self.encodes is not None:
            text += f" (their encodes {self.encodes:.2f} s), organizes {self.organizes:.2f} s; "
            text += f"outside any step {self.wall - self.in_jobs:.2f} s; "
            text += f"wall / (rips + encodes) {self.own_ratio:.3f}; "
            text += f"CPU {self.cpu:.1f} s, the Prefect server's {self.server_cpu:.1f} s"
        else:
            text += f"; CPU {self.cpu:.1f} s"
        return text

    @property
    def own_ratio(self) -> float:
        """Against the tools' time in this very run: the encodes vary by 5-15 % from run to
        run on a small machine, more than the overhead measured."""
        assert self.encodes is not None
        return self.wall / (self.rips + self.encodes)


def _children_cpu() -> float:
    """CPU seconds of this process' ended children and theirs: the tools run directly,
    or ``boz rip`` with its ffmpeg."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds of a running process (the Prefect server), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pin(pid: int, core: int) -> None:
    """Every thread of a running process (the Prefect server) onto ``core``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {core})


@dataclass
class Ended:
    """A command's wall time from the common start, and the CPU time of its process and
    of the children it waited for (ffmpeg under ``boz rip``)."""

    wall: float
    cpu: float
    output: str


Command = tuple[list[str], dict[str, str], int | None]  # arguments, environment, core


def run_at_once(commands: list[Command]) -> list[Ended]:
    """Start ``commands`` together, each pinned to its core when it has one (the children
    it starts inherit the pin), and wait for all of them."""

    def pinned(core: int | None) -> Callable[[], None] | None:
        return None if core is None else lambda: os.sched_setaffinity(0, {core})

    def wait(proc: subprocess.Popen[bytes]) -> tuple[float, float]:
        _, status, usage = os.wait4(proc.pid, 0)  # unlike Popen.wait, gives the CPU time
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not poll
        return time.perf_counter() - began, usage.ru_utime + usage.ru_stime

    with contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in commands]
        began = time.perf_counter()
        procs = [
            subprocess.Popen(
                args, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pinned(core)
            )
            for (args, env, core), out in zip(commands, outputs, strict=True)
        ]
        with ThreadPoolExecutor(len(procs)) as pool:
            waited = list(pool.map(wait, procs))
        ended = []
        for proc, out, (wall, cpu) in zip(procs, outputs, waited, strict=True):
            out.seek(0)
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(proc.args)} failed:\n{out.read()}")
            ended.append(Ended(wall, cpu, out.read()))
        return ended


def raw_ffmpeg(disc: Path, work: Path, settings: Settings, titles: list[Path]) -> Run:
    work.mkdir(parents=True)
    copies = encodes = cpu = 0.0
    for n, title in enumerate(titles):
        ripped, encoded = work / f"{n}.rip.mkv", work / f"{n}.mkv"
        began, cpu_began = time.perf_counter(), _children_cpu()
        run_ffmpeg(stream_copy_args(title, ripped, ffmpeg_path="ffmpeg"), stall_seconds=120)
        copies += time.perf_counter() - began
        cpu += _children_cpu() - cpu_began
        # The pipeline's own command, decided untimed: the tools alone are the baseline.
        args = plan(settings, probe(ripped, count_packets=True), encoded).args
        began, cpu_began = time.perf_counter(), _children_cpu()
        run_ffmpeg(args, stall_seconds=120)
        encodes += time.perf_counter() - began
        cpu += _children_cpu() - cpu_began
    return Run(copies + encodes, copies, encodes, cpu=cpu)


def _next_disc(disc: Path, number: int) -> Path:
    """The same title files as disc ``number`` of the season (hard links): a new disc to
    boz, read as fast as the first."""
    named = disc.with_name(disc.name.removesuffix("1") + str(number))
    if not named.exists():
        named.mkdir()
        for file in disc.iterdir():
            os.link(file, named / file.name)
    return named


def _covered(spans: list[tuple[float, float]]) -> float:
    """Seconds inside at least one of ``spans``."""
    total, end = 0.0, float("-inf")
    for began, finish in sorted(spans):
        if finish > end:
            total += finish - max(began, end)
            end = finish
    return total


def boz_run(ended: Ended, env: dict[str, str], server_cpu: float) -> Run:
    """``boz rip --yes`` as it ended, its job rows (its home's newest disc's) timed."""
    done = subprocess.run([sys.executable, "-m", "boz", "jobs", "--json"], check=True, env=env,
                          capture_output=True, text=True)  # fmt: skip
    spans: dict[str, list[tuple[float, float]]] = {"rip": [], "transcode": [], "organize": []}
    encodes = 0.0
    jobs = json.loads(done.stdout)
    newest = max(job["disc_id"] for job in jobs)
    for job in (job for job in jobs if job["disc_id"] == newest):
        started = datetime.fromisoformat(job["started"]).timestamp()
        spans[job["kind"]].append((started, datetime.fromisoformat(job["finished"]).timestamp()))
        encodes += (job.get("details") or {}).get("encode_seconds", 0.0)
    took = {kind: sum(b - a for a, b in found) for kind, found in spans.items()}
    return Run(ended.wall, took["rip"], took["transcode"], took["organize"],
               _covered([span for found in spans.values() for span in found]),
               encodes, ended.cpu, server_cpu)  # fmt: skip


def tools_run(ended: Ended) -> Run:
    """The commands' own times and CPU, as ``--tools`` printed them."""
    took = json.loads(ended.output.splitlines()[-1])
    return Run(took["rips"] + took["transcodes"], took["rips"], took["transcodes"], cpu=took["cpu"])


def boz_alone(rip: Command, server: int) -> tuple[Ended, float]:
    """``boz rip`` run alone, and the CPU time the Prefect server spent meanwhile."""
    began = process_cpu(server)
    [ended] = run_at_once([rip])
    return ended, process_cpu(server) - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="320x180", help="720x480 for DVD-sized episodes")
    parser.add_argument("--prefect-database", choices=PREFECT_DATABASES, default="sqlite",
                        help="the Prefect server's own data")  # fmt: skip
    parser.add_argument("--transcode-nice", type=int, help="BOZ_TRANSCODE_NICE for boz rip")
    parser.add_argument("--fresh-home", action="store_true",
                        help="each run in a new boz home: migrations, encoder trials")  # fmt: skip
    parser.add_argument("--together", action="store_true",
                        help="both sides at once, one core each, swapped between runs")  # fmt: skip
    # The commands run directly, in a process of their own so both sides are timed alike.
    parser.add_argument("--tools", nargs=3, metavar=("DISC", "WORK", "HOME"),
                        help=argparse.SUPPRESS)  # fmt: skip
    opts = parser.parse_args()
    if opts.tools:
        disc, work, home = map(Path, opts.tools)
        titles = sorted(disc.glob("*.mkv"))[: opts.episodes]
        run = raw_ffmpeg(disc, work, Settings(home=home), titles)
        print(json.dumps({"rips": run.rips, "transcodes": run.transcodes, "cpu": run.cpu}))
        return

    with tempfile.TemporaryDirectory(prefix="boz-bench-") as tmp_name:
        tmp = Path(tmp_name)
        disc = make_disc(tmp / "BENCH_SHOW_S1_D1", episodes=opts.episodes,
                         episode_seconds=opts.seconds, extras=1, extra_seconds=2,
                         size=opts.size)  # fmt: skip
        min_seconds = str(int(opts.seconds / 2))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOZ_", "PREFECT_"))}
        env |= {"BOZ_MIN_TITLE_SECONDS": min_seconds, "PREFECT_HOME": str(tmp / "prefect-client")}
        if opts.transcode_nice is not None:
            env["BOZ_TRANSCODE_NICE"] = str(opts.transcode_nice)
        settings = Settings(home=tmp / "settings-only")
        with prefect_server(tmp / "server", opts.prefect_database) as url:
            env["PREFECT_API_URL"] = url
            pid = server_pid(tmp / "server")
            assert pid is not None
            home = tmp / "home"
            if not opts.fresh_home:  # as a home that has ripped before
                subprocess.run([sys.executable, "-m", "boz", "db", "upgrade"], check=True,
                               env=env | {"BOZ_HOME": str(home)}, capture_output=True)  # fmt: skip
                usable_encoders(Settings(home=home))
            raw, boz = [], []
            for run in range(opts.runs):
                named = _next_disc(disc, run + 1)
                boz_env = env | {"BOZ_HOME": str(tmp / f"home-{run}" if opts.fresh_home else home)}
                tools_args = [sys.executable, __file__, "--tools", str(disc),
                              str(tmp / f"raw-{run}"), str(settings.home),
                              "--episodes", str(opts.episodes)]  # fmt: skip
                rip_args = [sys.executable, "-m", "boz", "rip", str(named), "--yes"]
                if opts.together:
                    core = run % 2  # boz's; the commands run directly get the other
                    pin(pid, core)
                    began = process_cpu(pid)
                    by_tools, by_boz = run_at_once(
                        [(tools_args, env, 1 - core), (rip_args, boz_env, core)]
                    )
                    server_cpu = process_cpu(pid) - began
                    how = f"together, boz rip on core {core}"
                else:
                    # boz went second until 2026-12-08 and its encodes ran up to 11 % slower
                    # in 7 runs of 12: alternate, so an effect of order (a host slowing after
                    # minutes of full load) cannot pass for boz's.
                    if run % 2:
                        by_boz, server_cpu = boz_alone((rip_args, boz_env, None), pid)
                    [by_tools] = run_at_once([(tools_args, env, None)])
                    if not run % 2:
                        by_boz, server_cpu = boz_alone((rip_args, boz_env, None), pid)
                    how = "boz rip first" if run % 2 else "directly first"
                raw.append(tools_run(by_tools))
                boz.append(boz_run(by_boz, boz_env, server_cpu))
                print(f"run {run + 1} ({how}), ratio {boz[-1].wall / raw[-1].wall:.3f}", flush=True)
                print("  " + raw[-1].line("directly"), flush=True)
                print("  " + boz[-1].line("boz rip "), flush=True)

    raw_s = statistics.median(r.wall for r in raw)
    boz_s = statistics.median(r.wall for r in boz)
    home = "a new home each run" if opts.fresh_home else "one home, a new disc each run"
    how = "both sides at once, one core each" if opts.together else "one side after the other"
    print(f"disc: {opts.episodes} episodes x {opts.seconds:g} s, {opts.size}, libx264 "
          f"{settings.x264_preset} crf {settings.crf}; median of {opts.runs} runs, {how}; "
          f"Prefect server on {opts.prefect_database}; {home}")  # fmt: skip
    print(f"ffmpeg commands run directly : {raw_s:7.2f} s")
    print(f"boz rip --yes (new process)  : {boz_s:7.2f} s")
    print(f"ratio boz / raw              : {boz_s / raw_s:7.2f}")
    ratios = ", ".join(f"{b.wall / r.wall:.3f}" for b, r in zip(boz, raw, strict=True))
    print(f"ratio per run                : {ratios}")
    own = statistics.median(r.own_ratio for r in boz)
    print(f"boz wall / its own rips + encodes: {own:7.3f} (the same tools, timed in that run)")
    print(f"overhead per title           : {(boz_s - raw_s) / opts.episodes:7.2f} s")
    more = statistics.median(b.cpu + b.server_cpu - r.cpu for b, r in zip(boz, raw, strict=True))
    print(
        f"CPU beside the tools         : {more:7.2f} s (boz's processes and the Prefect "
        f"server, over the commands'; {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
