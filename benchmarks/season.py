"""What pipelining buys on a TV season: rips and transcodes in sequence, then overlapped.

A season of discs (4 discs of 3 episode titles by default) goes through ``boz rip disc:0
--yes``, one process per disc handed its disc as ``boz watch`` does (a ``boz rip -``
started ahead, so its start-up is not the drive's idle time), twice in one run on one
machine, each time on a fresh BOZ_HOME (SQLite) against one local Prefect server:

- (a) in sequence, ``BOZ_TRANSCODE_SLOTS=0``: each title is ripped, transcoded and filed
  before the next rip, and the next disc goes in when its process has ended;
- (b) pipelined, ``BOZ_TRANSCODE_SLOTS=2``: one drive and two transcode slots standing for
  two transcode hosts; the next disc goes in as soon as the drive is free (the disc's rip
  jobs are done), as ``boz watch`` does, while its titles still transcode. The slots are
  each process's own, so while one disc drains the next may add a third transcode: the
  report says how many ran at once (``--next-disc process-end`` keeps it to two, and
  leaves the drive idle while a disc drains).

The drive is the test suite's fake makemkvcon, paced like a real one, and the transcodes
are real x264. The discs are a small synthetic capture cut from a real one (24, season 1,
disc 1) with one label per disc, so each disc is new to the catalog. Both runs limit each
ffmpeg to one thread of x264: the project has no setting for encoder threads, and without
the limit each transcode of (a) would take every core while (b)'s two would share them, so
(a) would be flattered and the two slots would not stand for two hosts. BOZ_FFMPEG points
at a wrapper (written into the temporary directory) that inserts ``-threads 1`` before the
output file, the last argument of every ffmpeg command the project builds.

The fake's pace is calibrated on this machine first (printed): a title's rip takes about
``--rip-seconds`` and its transcode about ``--ratio`` times as long. The preset is
``veryslow``: the fake writes each title with ffmpeg, so its CPU grows with the file's
length, while a real drive's read costs little CPU; with ``medium`` the files must be four
times longer for the same transcode time and the fake drive burns about half as much CPU
as the transcodes, taking it from (b)'s slots. From the job rows
(``boz jobs --json``) each run reports its rips, transcodes, the first rip and the last
transcode, and (b) is compared with the ideal pipeline
``max(sum of rips, sum of transcodes / slots) + first rip + last transcode``. The goal:
(b) at least 1.8x faster than (a), within 10 % of that ideal. The ideal is also given
with (a)'s job times: (b)'s own run slower when the machine has no core to spare for the
drive and the orchestration, which the first ideal absorbs. What lies between the jobs
(process start-up, drive idle, hand-over latency) is printed for both runs. Only ratios
are meaningful across machines, and a machine busy with other work moves them.

    .venv/bin/python benchmarks/season.py [--discs 4] [--titles 3] [--slots 2] [-v]
        [--prefect-database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from servers import PREFECT_DATABASES, prefect_server

from boz.media.probe import probe
from boz.media.runner import run_ffmpeg
from boz.pipeline.transcode import plan
from boz.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "fakes" / "makemkvcon"
SOURCE = (
    ROOT / "tests" / "fixtures" / "thediscdb" / "series" / "24 (2001)" / "season-1" / "disc01.txt"
)
EPISODES = 4  # titles 0-3 of the capture; 4 and 5 are seconds long
LABEL_ATTRS = ("CINFO:2,", "CINFO:30,", "CINFO:32,")
MIN_TITLE_SECONDS = 600  # the real default: the titles declare 41-43 min, whatever the files last
MINLENGTH = 120
PROBE_SCALE = 80.0  # a half-minute file: long enough to time an encode
POLL_S = 0.2
SPARE_READY_S = 10.0


# --- the discs and the encoder limit ---------------------------------------------------------


def write_captures(folder: Path, discs: int, titles: int) -> list[Path]:
    """One ``info`` capture per disc, cut from a real one: its header and ``titles`` titles.

    The label differs per disc (as a box set's do not, but the season reads better) and so
    does the first title's byte size, so every disc has its own fingerprint either way."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    if not 1 <= titles <= EPISODES:
        raise SystemExit(f"--titles must be 1..4: {SOURCE.name} has 4 episode titles")
    folder.mkdir(parents=True)
    captures = []
    for disc in range(1, discs + 1):
        label = f"BENCH_SHOW_S1_D{disc}"
        added = 0
        kept = []
        for line in lines:
            if line.startswith("HSH:"):
                continue  # TheDiscDB's, makemkvcon never prints them
            if line.startswith(("TINFO:", "SINFO:")):
                if int(line.split(":", 1)[1].split(",", 1)[0]) >= titles:
                    continue
                if line.startswith("TINFO:0,11,0,"):
                    size = int(line.rsplit(",", 1)[1].strip('"')) + disc
                    line = f'TINFO:0,11,0,"{size}"'
            elif line.startswith("MSG:3028,"):  # "Title #N was added", one per title in order
                added += 1
                if added > titles:
                    continue
            elif line.startswith("MSG:3026,"):  # a fake title MakeMKV dropped: not in the cut
                continue
            elif line.startswith("TCOUNT:"):
                line = f"TCOUNT:{titles}"
            elif line.startswith(LABEL_ATTRS):
                line = f'{line.split(",", 2)[0]},0,"{label}"'
            kept.append(line)
        capture = folder / f"{label}.txt"
        capture.write_text("\n".join(kept) + "\n", encoding="utf-8")
        captures.append(capture)
    return captures


def write_ffmpeg_wrapper(folder: Path) -> Path:
    """An ffmpeg that encodes on one thread; see the module docstring for why."""
    real = shutil.which("ffmpeg")
    if real is None:
        raise SystemExit("ffmpeg not found on PATH")
    wrapper = folder / "ffmpeg-1-thread"
    wrapper.write_text(
        f"#!{sys.executable} -I\n"
        "import os\nimport sys\n\n"
        f"REAL = {real!r}\n"
        "args = sys.argv[1:]\n"
        "# the output file is the last argument of every command boz.media.commands builds\n"
        'os.execv(REAL, [REAL, *args[:-1], "-threads", "1", *args[-1:]])\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


# --- calibration -------------------------------------------------------------------------------


@dataclass
class Pace:
    scale: float
    delay: float
    rip_s: float
    rip_cpu_s: float
    transcode_s: float
    transcode_cpu_s: float

    def lines(self, preset: str) -> list[str]:
        return [
            f"calibration: FAKE_MAKEMKV_SCALE={self.scale:.2f} "
            f"FAKE_MAKEMKV_PROGRESS_DELAY={self.delay:.3f}",
            f"  a rip (the fake alone): {self.rip_s:.2f} s, {self.rip_cpu_s:.2f} s of CPU",
            f"  a transcode (ffmpeg alone, x264 {preset}, 1 thread): {self.transcode_s:.2f} s, "
            f"{self.transcode_cpu_s:.2f} s of CPU ({self.transcode_cpu_s / self.rip_s:.2f}x a rip)",
        ]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _fake_rip(capture: Path, out: Path, scale: float, delay: float) -> tuple[float, Path]:
    shutil.rmtree(out, ignore_errors=True)
    env = os.environ | {
        "FAKE_MAKEMKV_CAPTURE": str(capture),
        "FAKE_MAKEMKV_SCALE": f"{scale:.4f}",
        "FAKE_MAKEMKV_PROGRESS_DELAY": f"{delay:.4f}",
    }
    env.pop("FAKE_MAKEMKV_STATE", None)
    began = time.perf_counter()
    subprocess.run([str(FAKE), "-r", f"--minlength={MINLENGTH}", "mkv", "disc:0", "0", str(out)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - began, next(out.glob("*.mkv"))


def _transcode(ripped: Path, wrapper: Path, preset: str, settings: Settings) -> tuple[float, float]:
    """Wall and CPU seconds of the transcode the pipeline would run."""
    target = ripped.with_name("transcoded.mkv")
    tuned = settings.model_copy(update={"ffmpeg": str(wrapper), "x264_preset": preset})
    args = plan(tuned, probe(ripped, count_packets=True), target).args
    began, cpu = time.perf_counter(), _children_cpu()
    run_ffmpeg(args, stall_seconds=120)
    return time.perf_counter() - began, _children_cpu() - cpu


def calibrate(folder: Path, capture: Path, wrapper: Path, opts: argparse.Namespace) -> Pace:
    """Find the fake's scale (file length) and progress delay that give this machine a rip of
    about ``--rip-seconds`` and a one-thread transcode ``--ratio`` times as long.

    The transcode's CPU time is proportional to the file's length, and it is what a
    transcode takes on an idle core: wall times vary with whatever else the machine does.
    The rip is the fake's 20 progress sleeps (10 of them overlap its own ffmpeg writing the
    file) plus fixed costs."""
    settings = Settings(home=folder / "settings-only")
    declared = 42 * 60 + 36  # title 0 of the capture, 0:42:36
    _, ripped = _fake_rip(capture, folder / "probe", PROBE_SCALE, 0.0)
    _, cpu_s = _transcode(ripped, wrapper, opts.preset, settings)
    scale = declared / (opts.ratio * opts.rip_seconds / (cpu_s / (declared / PROBE_SCALE)))
    delay = opts.rip_seconds / 20
    rip_s, _ = _fake_rip(capture, folder / "pace", scale, delay)
    delay = max(0.0, delay + (opts.rip_seconds - rip_s) / 20)  # linear once the sleeps lead
    cpu = _children_cpu()
    rip_s, ripped = _fake_rip(capture, folder / "pace", scale, delay)
    rip_cpu_s = _children_cpu() - cpu
    transcode_s, transcode_cpu_s = _transcode(ripped, wrapper, opts.preset, settings)
    return Pace(scale, delay, rip_s, rip_cpu_s, transcode_s, transcode_cpu_s)


# --- runs --------------------------------------------------------------------------------------


@dataclass
class Job:
    disc: int
    title: int
    kind: str
    started: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def key(self) -> tuple[int, int]:
        return self.disc, self.title


@dataclass
class DiscProcess:
    """One ``boz rip`` process and when it ran (epoch seconds, to the poll)."""

    proc: subprocess.Popen[bytes]
    log: Path
    started: float
    ended: float | None = None
    detected: float = 0.0  # the disc row's first_seen: detect is done


@dataclass
class Run:
    name: str
    slots: int
    began: float
    discs: list[DiscProcess]
    jobs: list[Job]

    @property
    def wall(self) -> float:
        return max(d.ended or 0.0 for d in self.discs) - self.began

    def of(self, kind: str) -> list[Job]:
        return sorted((j for j in self.jobs if j.kind == kind), key=lambda j: j.started)

    def total(self, kind: str) -> float:
        return sum(j.seconds for j in self.of(kind))

    @property
    def first_rip(self) -> float:
        return self.of("rip")[0].seconds

    @property
    def last_transcode(self) -> float:
        return max(self.of("transcode"), key=lambda j: j.finished).seconds

    def ideal(self, slots: int) -> float:
        """These jobs in a pipeline with no overhead: the drive or the slots, whichever is
        the bottleneck, plus filling and draining it (with no slots, all in a row)."""
        rips, transcodes = self.total("rip"), self.total("transcode")
        if slots == 0:
            return rips + transcodes
        return max(rips, transcodes / slots) + self.first_rip + self.last_transcode


def _epoch(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _boz_json(args: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "boz", *args, "--json"], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout)


def _reap(discs: list[DiscProcess]) -> None:
    """Note which processes have ended; stop the benchmark at the first that failed."""
    for disc in discs:
        if disc.ended is None and disc.proc.poll() is not None:
            disc.ended = time.time()
            if disc.proc.returncode != 0:
                tail = disc.log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"boz rip failed ({disc.proc.returncode}), {disc.log}:\n{tail}")


def _rips_done(database: Path) -> int:
    """Rip jobs done so far, read straight from SQLite: a `boz jobs` process per poll would
    cost a second of CPU that the transcodes need."""
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as con:
            row = con.execute(
                "SELECT count(*) FROM jobs WHERE kind = 'rip' AND status = 'done'"
            ).fetchone()
    except sqlite3.OperationalError:
        return 0  # not migrated yet
    return int(row[0])


def _spare(env: dict[str, str], capture: Path, log: Path) -> subprocess.Popen[bytes]:
    """A ``boz rip -`` started ahead of its disc, as ``boz watch`` keeps one: it imports
    and checks the database, then waits for the source on stdin. The fake drive replays
    the disc named in its environment, so each spare is started for the disc that comes
    next (a real drive reports whatever disc is in it)."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "boz", "rip", "-", "--yes"], cwd=ROOT,
            env=env | {"FAKE_MAKEMKV_CAPTURE": str(capture)}, stdin=subprocess.PIPE,
            stdout=out, stderr=out,
        )  # fmt: skip


def season(name: str, home: Path, env: dict[str, str], captures: list[Path], slots: int,
           titles: int, next_when_drive_free: bool) -> Run:  # fmt: skip
    """Rip the season disc by disc, each in its own ``boz rip`` as ``boz watch`` runs it:
    handed to a spare started ahead."""
    home.mkdir(parents=True)
    env = env | {
        "BOZ_HOME": str(home),
        "BOZ_TRANSCODE_SLOTS": str(slots),
        "BOZ_HOST_NAME": f"bench-{name}",
        "FAKE_MAKEMKV_STATE": str(home / "fake"),
    }
    discs: list[DiscProcess] = []
    spare = _spare(env, captures[0], home / "disc-1.log")
    time.sleep(SPARE_READY_S)  # the watcher starts its spare long before the first disc
    began = time.time()
    for n in range(1, len(captures) + 1):
        log = home / f"disc-{n}.log"
        proc = spare
        assert proc.stdin is not None
        proc.stdin.write(b"disc:0\n")
        proc.stdin.close()
        discs.append(DiscProcess(proc, log, time.time()))
        if n < len(captures):
            spare = _spare(env, captures[n], home / f"disc-{n + 1}.log")
        while True:
            _reap(discs)
            if n == len(captures):
                if all(d.ended for d in discs):
                    break
            elif discs[-1].ended or (
                next_when_drive_free and _rips_done(home / "boz.db") >= n * titles
            ):
                break
            time.sleep(POLL_S)

    rows = _boz_json(["jobs"], env)
    if any(r["status"] != "done" for r in rows) or len(rows) != 3 * titles * len(captures):
        raise SystemExit(f"run {name}: not every job is done: {rows}")
    jobs = [Job(r["disc_id"], r["title_index"], r["kind"], _epoch(r["started"]),
                _epoch(r["finished"])) for r in rows]  # fmt: skip
    for row in _boz_json(["discs"], env):  # a fresh catalog: disc ids in the order of insertion
        discs[row["id"] - 1].detected = _epoch(row["first_seen"])
    return Run(name, slots, began, discs, jobs)


# --- report ------------------------------------------------------------------------------------


def _most_at_once(jobs: list[Job]) -> int:
    edges = sorted([(j.finished, -1) for j in jobs] + [(j.started, 1) for j in jobs])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def _mean(values: list[float]) -> str:
    return f"{statistics.mean(values):6.2f} s mean of {len(values):2d}" if values else "     -"


def where_time_goes(run: Run) -> list[str]:
    """What lies between the jobs: process start-up, the drive idle, hand-over latency,
    and a slot's turnaround from one child flow run to the next."""
    rips, transcodes, organizes = run.of("rip"), run.of("transcode"), run.of("organize")
    rip_of = {j.key: j for j in rips}
    encoded = {j.key: j.finished for j in transcodes}
    filed = {j.key: j.finished for j in organizes}
    first_rip = {d: min(j.started for j in rips if j.disc == d) for d in {j.disc for j in rips}}
    detect = [d.detected - d.started for d in run.discs]
    to_rip = [first_rip[k + 1] - d.detected for k, d in enumerate(run.discs)]
    exits = [(d.ended or 0.0) - max(j.finished for j in run.jobs if j.disc == k + 1)
             for k, d in enumerate(run.discs)]  # fmt: skip
    idle_in = idle_between = 0.0
    for a, b in itertools.pairwise(rips):
        if a.disc == b.disc:
            idle_in += max(0.0, b.started - a.finished)
        else:
            idle_between += max(0.0, b.started - a.finished)
    free_slot, turnaround = [], []  # rip end -> transcode start; slot freed -> next transcode
    for t in transcodes:
        ripped = rip_of[t.key].finished
        busy = [  # the slots are the disc's process'
            filed[o.key]
            for o in transcodes
            if o.disc == t.disc and o is not t and o.started <= ripped < filed[o.key]
        ]
        if run.slots and len(busy) >= run.slots:
            turnaround.append(t.started - min(busy))
        else:
            free_slot.append(t.started - ripped)
    next_rip = [b.started - filed[a.key] for a, b in itertools.pairwise(rips) if a.disc == b.disc]
    span = max(j.finished for j in run.jobs) - min(j.started for j in run.jobs)
    lines = [
        f"  disc handed over to disc detected        : {_mean(detect)}",
        f"  detected to its first rip (preview, ok)  : {_mean(to_rip)}",
        f"  last job of a disc to its process' exit  : {_mean(exits)}",
        f"  drive idle between rips of a disc        : {idle_in:6.2f} s in all",
        f"  drive idle between discs                 : {idle_between:6.2f} s in all",
        f"  rip end to its transcode's start, free   : {_mean(free_slot)}",
        f"  slot freed (organize end) to next start  : {_mean(turnaround)}",
        f"  transcode end to its organize's start    : "
        f"{_mean([o.started - encoded[o.key] for o in organizes])}",
        f"  organize                                 : {_mean([o.seconds for o in organizes])}",
        f"  a rip / a transcode                      : {_mean([r.seconds for r in rips])} / "
        f"{statistics.mean(t.seconds for t in transcodes):.2f} s",
        f"  transcodes at once (most)                : {_most_at_once(transcodes):6d}",
        f"  first job start to last job end          : {span:6.2f} s "
        f"({100 * (span / run.ideal(run.slots) - 1):+.1f} % from the ideal)",
    ]
    if run.slots == 0:
        lines.insert(7, f"  organize end to the next rip, same disc  : {_mean(next_rip)}")
    return lines


def timeline(run: Run) -> list[str]:
    def at(t: float | None) -> str:
        return f"{(t or 0.0) - run.began:7.2f}"

    lines = [f"  disc {k + 1} process {at(d.started)} .. {at(d.ended)}, detected {at(d.detected)}"
             for k, d in enumerate(run.discs)]  # fmt: skip
    for j in sorted(run.jobs, key=lambda j: j.started):
        lines.append(f"  d{j.disc} t{j.title} {j.kind:9} {at(j.started)} .. {at(j.finished)} "
                     f"({j.seconds:5.2f} s)")  # fmt: skip
    return lines


def check_previews(home: Path, env: dict[str, str], captures: list[Path], titles: int) -> None:
    """Every disc must be new to the catalog and give ``titles`` episode titles."""
    home.mkdir(parents=True)
    env = env | {"BOZ_HOME": str(home), "FAKE_MAKEMKV_STATE": str(home / "fake")}
    ids, fingerprints = set(), set()
    for capture in captures:
        shown = subprocess.run(
            [sys.executable, "-m", "boz", "preview", "disc:0", "--json"], cwd=ROOT,
            env=env | {"FAKE_MAKEMKV_CAPTURE": str(capture)}, check=True, capture_output=True,
            text=True,
        )  # fmt: skip
        preview = json.loads(shown.stdout)
        disc = preview["disc"]
        episodes = [t for t in preview["titles"] if t["role"] == "episode"]
        numbers = [n for t in episodes for n in t["episodes"]]
        print(f"preview: {disc['label']} disc {disc['id']}: {len(episodes)} episode titles, "
              f"episodes {numbers}")  # fmt: skip
        if len(episodes) != titles:
            raise SystemExit(f"{capture.name}: {len(episodes)} episode titles, not {titles}")
        ids.add(disc["id"])
        fingerprints.add(disc["fingerprint"])
    if len(ids) != len(captures) or len(fingerprints) != len(captures):
        raise SystemExit("the discs are not distinct (disc ids or fingerprints repeat)")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discs", type=int, default=4, help="discs of the season")
    parser.add_argument("--titles", type=int, default=3, help="episode titles a disc (1-4)")
    parser.add_argument("--slots", type=int, default=2, help="transcode slots of run (b)")
    parser.add_argument("--preset", default="veryslow", help="BOZ_X264_PRESET of both runs")
    parser.add_argument("--rip-seconds", type=float, default=4.0, help="a title's rip, about")
    parser.add_argument("--ratio", type=float, default=2.0, help="a transcode / a rip, about")
    parser.add_argument("--next-disc", choices=("drive-free", "process-end"), default="drive-free",
                        help="when (b) starts the next disc's process")  # fmt: skip
    parser.add_argument("--prefect-database", choices=PREFECT_DATABASES, default="sqlite",
                        help="the Prefect server's database (sqlite: boz's local one)")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="work here (a new folder) and keep its logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every job")
    opts = parser.parse_args()

    if opts.keep:
        opts.keep.mkdir(parents=True)
    workdir = tempfile.TemporaryDirectory(prefix="boz-season-") if opts.keep is None else None
    with workdir or contextlib.nullcontext(str(opts.keep)) as tmp_name:
        tmp = Path(tmp_name).resolve()
        captures = write_captures(tmp / "captures", opts.discs, opts.titles)
        wrapper = write_ffmpeg_wrapper(tmp)
        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        pace = calibrate(tmp / "calibration", captures[0], wrapper, opts)
        print("\n".join(pace.lines(opts.preset)))

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("BOZ_", "PREFECT_", "FAKE_MAKEMKV_"))}  # fmt: skip
        env |= {
            "PREFECT_HOME": str(tmp / "prefect-client"),
            "BOZ_MAKEMKVCON": str(FAKE),
            "BOZ_FFMPEG": str(wrapper),
            "BOZ_X264_PRESET": opts.preset,
            "BOZ_MIN_TITLE_SECONDS": str(MIN_TITLE_SECONDS),
            "BOZ_MAKEMKV_MINLENGTH": str(MINLENGTH),
            "FAKE_MAKEMKV_SCALE": f"{pace.scale:.4f}",
            "FAKE_MAKEMKV_PROGRESS_DELAY": f"{pace.delay:.4f}",
        }
        with prefect_server(tmp / "server", opts.prefect_database) as url:
            env["PREFECT_API_URL"] = url
            check_previews(tmp / "home-preview", env, captures, opts.titles)
            a = season("a", tmp / "home-a", env, captures, 0, opts.titles, False)
            b = season("b", tmp / "home-b", env, captures, opts.slots, opts.titles,
                       opts.next_disc == "drive-free")  # fmt: skip

    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print()
    print(f"{opts.discs} discs x {opts.titles} titles; (a) in sequence, (b) {opts.slots} "
          f"transcode slots, next disc at {opts.next_disc}")  # fmt: skip
    print(f"{'':32}{'(a)':>10}{'(b)':>10}")
    rows = [
        ("wall", a.wall, b.wall),
        ("sum of rips", a.total("rip"), b.total("rip")),
        ("sum of transcodes", a.total("transcode"), b.total("transcode")),
        ("sum of organizes", a.total("organize"), b.total("organize")),
        ("first rip", a.first_rip, b.first_rip),
        ("last transcode", a.last_transcode, b.last_transcode),
        ("ideal", a.ideal(0), b.ideal(opts.slots)),
    ]
    for label, x, y in rows:
        print(f"{label + ' (s)':32}{x:10.2f}{y:10.2f}")
    print(f"{'wall from the ideal (%)':32}{100 * (a.wall / a.ideal(0) - 1):+10.1f}"
          f"{100 * (b.wall / b.ideal(opts.slots) - 1):+10.1f}")  # fmt: skip
    speedup, off = a.wall / b.wall, 100 * (b.wall / b.ideal(opts.slots) - 1)
    print(f"ratio a / b: {speedup:.2f} (goal >= 1.8: {_verdict(speedup >= 1.8)}); (b) "
          f"{off:+.1f} % from the ideal (goal <= 10 %: {_verdict(off <= 10)})")  # fmt: skip
    print(
        f"(b) from the ideal of (a)'s job times ({a.ideal(opts.slots):.2f} s): "
        f"{100 * (b.wall / a.ideal(opts.slots) - 1):+.1f} %"
    )
    for run in (a, b):
        print(f"\nwhere the time goes in ({run.name}):")
        print("\n".join(where_time_goes(run)))
        if opts.verbose:
            print("\n".join(timeline(run)))


if __name__ == "__main__":
    main()
