import itertools
from pathlib import Path

from boz.media.commands import stream_copy_args, transcode_args


def _maps(args: list[str]) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == "-map"]


def test_transcode_keeps_every_audio_and_subtitle_stream_and_chapters() -> None:
    args = transcode_args(
        Path("/in/-odd name:1.mkv"), Path("/out/o.mkv"),
        ffmpeg_path="/usr/bin/ffmpeg", encoder="libx264", crf=20, preset="medium",
    )  # fmt: skip
    assert args[0] == "/usr/bin/ffmpeg"
    assert _maps(args) == ["0:v:0", "0:a?", "0:s?"]
    pairs = dict(itertools.pairwise(args))
    assert pairs["-c:v"] == "libx264" and pairs["-crf"] == "20" and pairs["-preset"] == "medium"
    assert pairs["-c:a"] == "copy" and pairs["-c:s"] == "copy"
    assert pairs["-map_chapters"] == "0" and pairs["-default_mode"] == "passthrough"
    # a title name is never read as an option or a protocol
    assert args[args.index("-i") + 1] == "file:/in/-odd name:1.mkv"
    assert args[-1] == "file:/out/o.mkv"


def test_stream_copy_maps_all_video_audio_subtitles() -> None:
    args = stream_copy_args(Path("/in/a.mkv"), Path("/out/b.mkv"), ffmpeg_path="ffmpeg")
    assert _maps(args) == ["0:v", "0:a?", "0:s?"]
    assert args[args.index("-c") + 1] == "copy"
    assert "-crf" not in args
