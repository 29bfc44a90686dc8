"""A tool started by run_lines dies with the Python process that started it, even by SIGKILL.

Before, ffmpeg and makemkvcon outlived a killed ``boz`` for a minute, writing into staging
beside the rerun.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boz.process import _in_child

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
)

# The tool prints its pid, then stays silent (well within the stall limit) for 5 minutes.
TOOL = [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(300)"]
# A boz stand-in: run_lines on the tool, from the main thread or a worker thread (as the
# flows do), echoing the tool's lines.
CALLER = """
import sys, threading
from boz.errors import ToolMissing
from boz.process import run_lines

def run():
    run_lines(sys.argv[2:], on_line=lambda line: print(line, flush=True), stall_seconds=600,
              missing=ToolMissing("no python"))

if sys.argv[1] == "thread":
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
else:
    run()
"""


def _alive(pid: int) -> bool:
    """Running, not merely a zombie: an orphan's zombie waits for an init that may not reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.parametrize("where", ["main", "thread"])
def test_the_tool_dies_when_its_caller_is_killed(where: str) -> None:
    caller = subprocess.Popen(
        [sys.executable, "-c", CALLER, where, *TOOL], stdout=subprocess.PIPE, text=True
    )
    tool = None
    try:
        assert caller.stdout is not None
        ready, _, _ = select.select([caller.stdout], [], [], 60)
        assert ready, "the tool never printed its pid"
        tool = int(caller.stdout.readline())
        assert _alive(tool)

        caller.send_signal(signal.SIGKILL)
        caller.wait(timeout=10)
        gone_by = time.monotonic() + 5
        while _alive(tool) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not _alive(tool), "the tool outlived the process that started it"
    finally:
        caller.kill()
        caller.wait()
        if tool is not None and _alive(tool):
            os.kill(tool, signal.SIGKILL)


def test_a_tool_whose_caller_died_before_prctl_kills_itself() -> None:
    """The caller can die between fork and prctl; the child then has a new parent and no
    death signal coming, so it must not go on to exec the tool."""
    not_the_parent = os.getppid()
    tool = subprocess.Popen(["sleep", "30"], preexec_fn=_in_child(not_the_parent))
    try:
        assert tool.wait(timeout=10) == -signal.SIGKILL
    finally:
        tool.kill()
        tool.wait()


# Prints its niceness, then that of a thread it starts afterwards, as an encoder's would be.
NICENESS = [
    sys.executable,
    "-c",
    "import os, threading\n"
    "print(os.nice(0), flush=True)\n"
    "t = threading.Thread(target=lambda: print(os.nice(0), flush=True))\n"
    "t.start(); t.join()",
]


def test_a_niced_tool_and_its_threads_run_at_lower_priority() -> None:
    """A transcode yields the CPU to the drive's rip and the pipeline's own work on a busy
    host: every thread of the tool runs at the caller's niceness plus ``nice``."""
    from boz.errors import ToolMissing
    from boz.process import run_lines

    base = os.nice(0)
    seen: list[str] = []
    done = run_lines(NICENESS, on_line=seen.append, stall_seconds=60, missing=ToolMissing("-"),
                     nice=7)  # fmt: skip
    assert done.returncode == 0
    assert seen == [str(min(base + 7, 19))] * 2
    seen.clear()
    run_lines(NICENESS, on_line=seen.append, stall_seconds=60, missing=ToolMissing("-"))
    assert seen == [str(base)] * 2  # the default leaves it alone
