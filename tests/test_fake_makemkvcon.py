"""The fake makemkvcon (tests/fakes/makemkvcon), run as a program would run the real one.

It replays real robot-mode captures, so these tests check it against the captures
themselves: the same lines back with ``--minlength=0``, MakeMKV's skip messages and
renumbering with a larger minimum, real Matroska files from ``mkv``, and each failure mode.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FAKE = TESTS / "fakes" / "makemkvcon"
SHARED_CAPTURES = Path("/work/shared/reference/makemkv")

DVD_24 = "dvd_tv_season_info_thediscdb_24_s1_disc1.txt"
BLURAY_DEMO = "bluray_movie_info_pawlh-deno_demo_disc.txt"


def capture(name: str) -> Path:
    """A capture from tests/fixtures/makemkv, or from the shared reference before it is copied."""
    local = TESTS / "fixtures" / "makemkv" / name
    return local if local.is_file() else SHARED_CAPTURES / name


def fake(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_MAKEMKV_")}
    return subprocess.run(
        [str(FAKE), *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def fields(line: str) -> tuple[str, list[str]]:
    """``("MSG", [...])`` for a robot line; quoted values may hold commas and ``\\"``."""
    prefix, _, body = line.partition(":")
    return prefix, next(csv.reader([body], escapechar="\\", doublequote=False))


def records(output: str, prefix: str) -> list[list[str]]:
    return [fields(line)[1] for line in output.splitlines() if line.startswith(prefix + ":")]


def messages(output: str, code: int) -> list[list[str]]:
    return [f for f in records(output, "MSG") if f[0] == str(code)]


def title_numbers(output: str) -> set[int]:
    return {int(f[0]) for f in records(output, "TINFO")}


def title_attr(output: str, title: int, attr: int) -> str:
    return next(f[3] for f in records(output, "TINFO") if f[:2] == [str(title), str(attr)])


def capture_seconds(path: Path) -> dict[int, int]:
    """Each title's length in the capture itself (TINFO attribute 9)."""
    lengths = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("TINFO:"):
            f = fields(line)[1]
            if f[1] == "9":
                h, m, s = (int(x) for x in f[3].split(":"))
                lengths[int(f[0])] = h * 3600 + m * 60 + s
    return lengths


def probe(path: Path) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def languages(info: dict, kind: str) -> list[str]:
    streams = [s for s in info["streams"] if s["codec_type"] == kind]
    return [s.get("tags", {}).get("language", "") for s in streams]


def calls(state: Path) -> list[list[str]]:
    lines = (state / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# --- info ----------------------------------------------------------------------------------


def test_info_with_minlength_zero_replays_the_capture() -> None:
    path = capture(DVD_24)
    done = fake("-r", "--minlength=0", "info", f"file:{path}")

    assert done.returncode == 0, done.stderr
    assert "TCOUNT:6" in done.stdout.splitlines()
    assert title_numbers(done.stdout) == set(range(6))
    assert not messages(done.stdout, 3025)
    # Byte for byte the capture, minus the HSH lines TheDiscDB appends.
    expected = [
        line for line in path.read_text("utf-8").splitlines() if not line.startswith("HSH:")
    ]
    assert done.stdout.splitlines() == expected


def test_info_drops_short_titles_the_way_makemkv_does() -> None:
    done = fake(
        "-r",
        "--minlength=600",
        "info",
        "disc:0",
        env={"FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24))},
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert "TCOUNT:4" in out
    assert title_numbers(done.stdout) == {0, 1, 2, 3}
    # The two tiny DVD titles (#5, 7 s and #8, 16 s) are announced as skipped where the
    # capture announced them as added, in MakeMKV's own wording.
    skipped = messages(done.stdout, 3025)
    assert [f[5:] for f in skipped] == [["5", "7", "600"], ["8", "16", "600"]]
    assert skipped[0][3] == (
        "Title #5 has length of 7 seconds which is less than minimum title length of 600 "
        "seconds and was therefore skipped"
    )
    assert [f[5] for f in messages(done.stdout, 3028)] == ["1", "2", "3", "4"]
    codes = [fields(line)[1][0] for line in out if line.startswith("MSG:")]
    between = codes[codes.index("3028") : codes.index("5011")]
    assert between == ["3028", "3028", "3028", "3028", "3025", "3026", "3025"]
    assert [title_attr(done.stdout, t, 27) for t in range(4)] == [
        "B1_t00.mkv", "B2_t01.mkv", "B3_t02.mkv", "B4_t03.mkv",
    ]  # fmt: skip


def test_info_renumbers_a_blu_ray_with_the_default_minlength() -> None:
    path = capture(BLURAY_DEMO)
    lengths = capture_seconds(path)
    assert len(lengths) == 108
    kept = sorted(t for t, s in lengths.items() if s >= 120)

    done = fake("-r", "info", f"iso:{path}")

    assert done.returncode == 0, done.stderr
    assert f"TCOUNT:{len(kept)}" in done.stdout.splitlines()
    assert title_numbers(done.stdout) == set(range(len(kept)))
    for new, old in enumerate(kept):  # same titles, in the same order, renumbered
        assert title_attr(done.stdout, new, 9) == title_attr(path.read_text("utf-8"), old, 9)
    # The main feature, title 4 of the capture (00001.mpls, 1:47:28), is now title 1.
    assert title_attr(done.stdout, 1, 16) == "00001.mpls"
    assert title_attr(done.stdout, 1, 27) == "Demo Movie_t01.mkv"
    added = messages(done.stdout, 3307) + messages(done.stdout, 3308)
    assert sorted(int(f[6]) for f in added) == list(range(len(kept)))
    skipped = messages(done.stdout, 3025)
    assert {f[5] for f in skipped} >= {"00113.mpls", "00112.mpls", "00099.mpls"}
    assert all(f[7] == "120" for f in skipped)
    assert not records(done.stdout, "PRGV")  # no --progress, no progress lines


def test_drive_scan_uses_the_drives_file_read_on_every_call(tmp_path: Path) -> None:
    drives = tmp_path / "drives.json"
    env = {"FAKE_MAKEMKV_DRIVES": str(drives), "FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24))}
    drive = {"device": "/dev/sr0", "drive": "BD-RE ASUS BW-16D1HT 3.10", "flags": 12}

    drives.write_text(json.dumps([{**drive, "disc": ""}]))
    empty = fake("-r", "info", "disc:9999", env=env)
    opened_empty = fake("-r", "--minlength=0", "info", "dev:/dev/sr0", env=env)
    drives.write_text(json.dumps([{**drive, "disc": "24_DISC1"}]))
    loaded = fake("-r", "info", "disc:9999", env=env)
    opened = fake("-r", "--minlength=0", "info", "dev:/dev/sr0", env=env)

    assert empty.returncode == 0
    scan = records(empty.stdout, "DRV")
    assert len(scan) == 16
    assert scan[0] == ["0", "0", "999", "12", "BD-RE ASUS BW-16D1HT 3.10", "", "/dev/sr0"]
    assert scan[1] == ["1", "256", "999", "0", "", "", ""]
    assert empty.stdout.splitlines()[-2:] == [
        'MSG:5010,0,0,"Failed to open disc","Failed to open disc"', "TCOUNT:0",
    ]  # fmt: skip
    assert records(loaded.stdout, "DRV")[0][1:] == [
        "2", "999", "12", "BD-RE ASUS BW-16D1HT 3.10", "24_DISC1", "/dev/sr0",
    ]  # fmt: skip
    assert opened_empty.returncode == 11 and messages(opened_empty.stdout, 5010)
    assert opened.returncode == 0 and "TCOUNT:6" in opened.stdout.splitlines()
    assert records(opened.stdout, "DRV")[0][5] == "24_DISC1"


def test_drive_scan_without_a_drives_file_prints_the_capture_drives() -> None:
    done = fake("-r", "info", "disc:9999", env={"FAKE_MAKEMKV_CAPTURE": str(capture(BLURAY_DEMO))})

    assert done.returncode == 0
    assert records(done.stdout, "DRV")[0][5:] == ["DEMO_MOVIE", "/dev/rdisk8"]
    assert done.stdout.splitlines()[-1] == "TCOUNT:0"
    assert not records(done.stdout, "TINFO")


# --- mkv -----------------------------------------------------------------------------------


def test_mkv_writes_a_real_file_with_progress_then_the_completion_messages(tmp_path: Path) -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)), "FAKE_MAKEMKV_SCALE": "1000"}
    out_dir = tmp_path / "rip"

    done = fake(
        "-r", "--progress=-same", "--minlength=600", "mkv", "disc:0", "0", str(out_dir), env=env
    )

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["B1_t00.mkv"]
    info = probe(out_dir / "B1_t00.mkv")
    # a thousandth of the frames, their timestamps spanning the declared 0:42:36 as a rip's
    # do (the last frame starts there, and lasts a thousand frames' time)
    assert 2556 <= float(info["format"]["duration"]) <= 2556 * 1.03
    assert languages(info, "video") == [""]
    assert languages(info, "audio") == ["eng"]
    assert languages(info, "subtitle") == ["eng", "spa"]  # three on the disc, capped at two
    assert len(info["chapters"]) == 2

    lines = done.stdout.splitlines()
    prgv = [i for i, line in enumerate(lines) if line.startswith("PRGV:")]
    assert len(prgv) >= 20
    assert all(line.endswith(",65536") for line in lines if line.startswith("PRGV:"))
    assert 'PRGT:5024,0,"Saving all titles to MKV files"' in lines
    assert 'PRGC:5017,0,"Saving to MKV file"' in lines
    assert lines[-2:] == [
        'MSG:5005,128,1,"1 titles saved","%1 titles saved","1"',
        'MSG:5036,260,1,"Copy complete. 1 titles saved.","Copy complete. %1 titles saved.","1"',
    ]
    assert max(prgv) < len(lines) - 2
    assert not records(done.stdout, "TINFO") and not any(x.startswith("TCOUNT") for x in lines)
    assert messages(done.stdout, 5014)[0][5:] == ["1", f"file://{out_dir}"]


def test_mkv_all_saves_every_title(tmp_path: Path) -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)), "FAKE_MAKEMKV_SCALE": "5000"}

    done = fake("-r", "--minlength=600", "mkv", "disc:0", "all", str(tmp_path), env=env)

    assert done.returncode == 0, done.stderr
    names = ["B1_t00.mkv", "B2_t01.mkv", "B3_t02.mkv", "B4_t03.mkv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert messages(done.stdout, 5014)[0][5] == "4"
    assert messages(done.stdout, 5036)[0][5:] == ["4"]


def test_info_and_mkv_number_titles_alike(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {
        "FAKE_MAKEMKV_CAPTURE": str(capture(BLURAY_DEMO)),
        "FAKE_MAKEMKV_SCALE": "3000",
        "FAKE_MAKEMKV_STATE": str(state),
    }
    info = fake("-r", "--minlength=120", "info", "disc:0", env=env)
    name = title_attr(info.stdout, 1, 27)

    done = fake("-r", "--minlength=120", "mkv", "disc:0", "1", str(tmp_path / "rip"), env=env)

    assert done.returncode == 0, done.stderr
    ripped = probe(tmp_path / "rip" / name)
    # 1:47:28 as declared, and the last video and audio frames (stretched 3000 times)
    assert 6448 <= float(ripped["format"]["duration"]) <= 6448 * 1.03
    assert languages(ripped, "audio") == ["eng", "eng"]  # five on the disc
    assert languages(ripped, "subtitle") == ["eng", "eng"]
    assert len(ripped["chapters"]) == 10  # 20 on the disc, capped
    assert messages(done.stdout, 5036)
    assert not records(done.stdout, "PRGV")  # no --progress, no progress lines
    assert calls(state) == [
        ["-r", "--minlength=120", "info", "disc:0"],
        ["-r", "--minlength=120", "mkv", "disc:0", "1", str(tmp_path / "rip")],
    ]


def test_read_error_once_fails_the_first_save_then_succeeds(tmp_path: Path) -> None:
    env = {
        "FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)),
        "FAKE_MAKEMKV_SCALE": "2000",
        "FAKE_MAKEMKV_STATE": str(tmp_path / "state"),
        "FAKE_MAKEMKV_FAIL": "read-error-once",
    }
    out_dir = tmp_path / "rip"
    args = ("-r", "--progress=-same", "--minlength=600", "mkv", "disc:0", "2", str(out_dir))

    first = fake(*args, env=env)
    partial = (out_dir / "B3_t02.mkv").stat().st_size
    second = fake(*args, env=env)

    assert first.returncode == 0
    assert records(first.stdout, "PRGV")
    read_errors = messages(first.stdout, 2003)
    assert read_errors and read_errors[0][5] == "Scsi error - MEDIUM ERROR:L-EC UNCORRECTABLE ERROR"
    assert read_errors[0][3].startswith(
        "Error 'Scsi error - MEDIUM ERROR:L-EC UNCORRECTABLE ERROR' occurred while reading "
        "'/VIDEO_TS/VTS_01_1.VOB' at offset '"
    )
    assert (
        messages(first.stdout, 5003)[0][3] == f"Failed to save title 2 to file {out_dir}/B3_t02.mkv"
    )
    assert first.stdout.splitlines()[-1] == (
        'MSG:5037,516,2,"Copy complete. 0 titles saved, 1 failed.",'
        '"Copy complete. %1 titles saved, %2 failed.","0","1"'
    )
    assert not messages(first.stdout, 5036)

    assert second.returncode == 0
    assert not messages(second.stdout, 2003)
    assert messages(second.stdout, 5036)
    assert (out_dir / "B3_t02.mkv").stat().st_size > partial
    assert float(probe(out_dir / "B3_t02.mkv")["format"]["duration"]) > 0.5


def test_no_space_fails_every_save(tmp_path: Path) -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)), "FAKE_MAKEMKV_FAIL": "no-space"}

    done = fake("-r", "mkv", "disc:0", "0", str(tmp_path), env=env)

    assert done.returncode == 0
    assert "No space left on device" in messages(done.stdout, 1002)[0][3]
    assert messages(done.stdout, 5003)
    assert messages(done.stdout, 5037)[0][5:] == ["0", "1"]
    assert (tmp_path / "B1_t00.mkv").is_file()  # what was written before the disk filled


# --- failures before the disc opens ---------------------------------------------------------


@pytest.mark.parametrize("command", [["info", "disc:0"], ["mkv", "disc:0", "0", "out"]])
def test_key_failure(command: list[str], tmp_path: Path) -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(BLURAY_DEMO)), "FAKE_MAKEMKV_FAIL": "key"}

    done = fake("-r", *command, env=env)

    assert done.returncode == 11
    assert messages(done.stdout, 3303)[0][3] == (
        "The volume key is unknown for this disc - video can't be decrypted"
    )
    assert messages(done.stdout, 5010)
    assert not records(done.stdout, "TINFO")
    assert ("TCOUNT:0" in done.stdout.splitlines()) == (command[0] == "info")
    assert not (tmp_path / "out").exists()


def test_too_old() -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)), "FAKE_MAKEMKV_FAIL": "too-old"}

    done = fake("-r", "info", "disc:0", env=env)

    assert done.returncode == 253
    [too_old] = messages(done.stdout, 5021)
    assert too_old[1] == "131332"
    assert too_old[3].startswith("This application version is too old.  Please download")
    assert not records(done.stdout, "DRV")


def test_no_disc_prints_the_real_no_disc_output() -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(BLURAY_DEMO)), "FAKE_MAKEMKV_FAIL": "no-disc"}

    done = fake("-r", "info", "disc:0", env=env)

    assert done.returncode == 11
    drives = records(done.stdout, "DRV")
    assert len(drives) == 16 and all(d[5] == "" for d in drives)
    assert drives[0][6] == "/dev/rdisk8"
    assert done.stdout.splitlines()[-2:] == [
        'MSG:5010,0,0,"Failed to open disc","Failed to open disc"', "TCOUNT:0",
    ]  # fmt: skip


def test_unknown_failure_mode_is_refused() -> None:
    env = {"FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)), "FAKE_MAKEMKV_FAIL": "gremlins"}

    done = fake("-r", "info", "disc:0", env=env)

    assert done.returncode == 2
    assert "gremlins" in done.stderr


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a killed child nobody reaped yet is a zombie


def test_hang_stays_silent_until_its_process_group_is_killed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_MAKEMKV_")}
    env = {
        **clean,
        "FAKE_MAKEMKV_CAPTURE": str(capture(DVD_24)),
        "FAKE_MAKEMKV_STATE": str(state),
        "FAKE_MAKEMKV_FAIL": "hang",
    }
    proc = subprocess.Popen(
        [str(FAKE), "-r", "--progress=-same", "mkv", "disc:0", "0", str(tmp_path / "rip")],
        stdout=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.communicate(timeout=3)
        child = int((state / "hang-child.pid").read_text())
        assert _alive(child)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
    output, _ = proc.communicate(timeout=10)

    assert b"PRGV:" in output
    assert b"MSG:5036" not in output
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
