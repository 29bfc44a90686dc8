"""ffprobe, ffmpeg and verification on real (tiny) files."""

import os
import stat
import sys
import time
from pathlib import Path

import pytest

from boz.errors import OutputInvalid, ToolFailed, ToolMissing, ToolStalled, UnreadableMedia
from boz.media.commands import stream_copy_args
from boz.media.probe import probe
from boz.media.runner import run_ffmpeg
from boz.media.verify import verify_output


@pytest.fixture
def title(disc_factory) -> Path:  # type: ignore[no-untyped-def]
    return disc_factory("MEDIA_S1_D1") / "title_t00.mkv"


def test_probe_reads_streams_chapters_and_packets(title: Path) -> None:
    info = probe(title, count_packets=True)
    assert 2.9 < info.duration_s < 3.2
    assert (info.count("video"), info.count("audio"), info.count("subtitle")) == (1, 2, 1)
    assert info.chapters == 3
    assert info.packets("video") == 75  # 3 s at 25 fps
    assert [s.language for s in info.streams if s.kind == "audio"] == ["eng", "fre"]


def test_probe_rejects_a_corrupt_file_and_a_missing_tool(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(UnreadableMedia, match=r"cannot read bad\.mkv"):
        probe(bad)
    with pytest.raises(ToolMissing, match=r"ffprobe not found.*BOZ_FFPROBE"):
        probe(bad, ffprobe=str(tmp_path / "no-such-ffprobe"))


def test_verification_catches_a_truncated_copy(title: Path, tmp_path: Path) -> None:
    source = probe(title, count_packets=True)
    good = tmp_path / "good.mkv"
    run_ffmpeg(stream_copy_args(title, good, ffmpeg_path="ffmpeg"), stall_seconds=30)
    assert verify_output(good, source, ffprobe="ffprobe").packets("video") == 75
    truncated = tmp_path / "truncated.mkv"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(OutputInvalid, match=r"truncated\.mkv failed verification"):
        verify_output(truncated, source, ffprobe="ffprobe")


def test_ffmpeg_failure_is_one_line(tmp_path: Path) -> None:
    args = ["ffmpeg", "-i", f"file:{tmp_path / 'missing.mkv'}", f"file:{tmp_path / 'o.mkv'}"]
    with pytest.raises(ToolFailed) as err:
        run_ffmpeg(args, stall_seconds=30)
    assert "\n" not in str(err.value) and "No such file" in str(err.value)
    with pytest.raises(ToolMissing, match="BOZ_FFMPEG"):
        run_ffmpeg([str(tmp_path / "no-ffmpeg"), "-version"], stall_seconds=5)


def test_a_silent_ffmpeg_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    fake = tmp_path / "ffmpeg"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    started = time.monotonic()
    with pytest.raises(ToolStalled, match="no progress for 2 s"):
        run_ffmpeg([str(fake), "-i", "x"], stall_seconds=2)
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    for _ in range(50):  # the grandchild was in the killed process group
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("ffmpeg's child process survived the kill")
