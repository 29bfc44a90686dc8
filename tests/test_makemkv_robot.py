"""The robot-mode parser against real ``makemkvcon -r`` output only.

Two kinds of fixtures, both copied with their SOURCES.md (attribution, oddities):
``fixtures/makemkv`` holds five captures from public repositories; ``fixtures/thediscdb``
holds whole discs from TheDiscDB, whose JSON repeats each title's MakeMKV attributes and
tracks and so checks the parser title by title.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boz.sources.makemkv.robot import (
    DiscAttr,
    DiscScan,
    DriveSlot,
    Message,
    Progress,
    RobotFormatError,
    StreamAttr,
    TitleAttr,
    TitleCount,
    parse_duration,
    parse_info,
    parse_line,
    split_fields,
)

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = FIXTURES / "makemkv"
THEDISCDB = FIXTURES / "thediscdb"

PAWLH = "bluray_movie_info_pawlh-deno_demo_disc.txt"
HOWL = "bluray_movie_mkv_rip_gomakemkv_howls_moving_castle.txt"
DEMON_SLAYER = "bluray_tv_season_info_gomakemkv_demon_slayer_disc1.txt"
NO_DISC = "drive_scan_no_disc_info_disc9999_arm.txt"
DVD_24 = "dvd_tv_season_info_thediscdb_24_s1_disc1.txt"

CAPTURE_FILES = sorted(CAPTURES.glob("*.txt"))
CORPUS_DISCS = sorted(THEDISCDB.rglob("disc*.txt"))


def _lines(path: Path) -> list[str]:
    # Some corpus files hold bytes that are not UTF-8 (the CC→Text arrow); the product reads
    # makemkvcon's output the same way.
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _line(path: Path, prefix: str) -> str:
    return next(line for line in _lines(path) if line.startswith(prefix))


_scans: dict[Path, DiscScan] = {}


def _scan(path: Path) -> DiscScan:
    if path not in _scans:
        _scans[path] = parse_info(_lines(path))
    return _scans[path]


def _capture(name: str) -> DiscScan:
    return _scan(CAPTURES / name)


def test_every_fixture_set_is_present() -> None:
    assert len(CAPTURE_FILES) == 5
    assert len(CORPUS_DISCS) == 20
    assert (CAPTURES / "SOURCES.md").is_file()
    assert (THEDISCDB / "SOURCES.md").is_file()


# --- split_fields -------------------------------------------------------------------------


def test_split_unquotes_and_keeps_commas_inside_quotes() -> None:
    payload = _line(CAPTURES / PAWLH, "TINFO:4,26,").removeprefix("TINFO:")
    fields = split_fields(payload)
    assert fields[:3] == ["4", "26", "0"]
    assert len(fields) == 4
    assert fields[3].startswith("120,121,122,") and fields[3].endswith(",141,142")
    assert len(fields[3].split(",")) == 22  # TINFO:4,25 says 22 segments


def test_split_keeps_empty_fields() -> None:
    assert split_fields('1,256,999,0,"","",""') == ["1", "256", "999", "0", "", "", ""]
    assert split_fields(",,") == ["", "", ""]
    assert split_fields('""') == [""]
    assert split_fields("") == [""]
    assert split_fields('"a",') == ["a", ""]


def test_split_unescapes_the_escaped_quotes_of_msg_2010() -> None:
    payload = _line(CAPTURES / PAWLH, "MSG:2010,").removeprefix("MSG:")
    assert split_fields(payload) == [
        "2010",
        "0",
        "1",
        'Optical drive "BD-RE ASUS BW-16D1X-U A104 KLZKCRE4304d" opened in OS access mode.',
        'Optical drive "%1" opened in OS access mode.',
        "BD-RE ASUS BW-16D1X-U A104 KLZKCRE4304d",
    ]


def test_split_escaped_quote_next_to_a_comma() -> None:
    assert split_fields(r'"a \",b",c') == ['a ",b', "c"]
    assert split_fields(r'"\"",""') == ['"', ""]


def test_split_backslashes() -> None:
    # No capture holds a backslash other than \": an escaped backslash is one backslash,
    # any other backslash is kept as printed (a Windows path stays a path either way).
    assert split_fields(r'"a\\b"') == ["a\\b"]
    assert split_fields(r'"C:\Video\x",1') == [r"C:\Video\x", "1"]
    assert split_fields(r"C:\dir,1") == [r"C:\dir", "1"]  # unquoted fields are left alone


@pytest.mark.parametrize("payload", ['1,"open', r'1,"ends in escape\"', '"a"b,1'])
def test_split_rejects_broken_quoting(payload: str) -> None:
    with pytest.raises(RobotFormatError):
        split_fields(payload)


# --- parse_line ---------------------------------------------------------------------------


def test_parse_line_records_from_a_blu_ray_info() -> None:
    path = CAPTURES / PAWLH
    assert parse_line(_line(path, "TCOUNT:")) == TitleCount(108)
    assert parse_line(_line(path, "CINFO:1,")) == DiscAttr(1, 6209, "Blu-ray disc")
    assert parse_line(_line(path, "TINFO:4,9,")) == TitleAttr(4, 9, 0, "1:47:28")
    assert parse_line(_line(path, "SINFO:4,0,1,")) == StreamAttr(4, 0, 1, 6201, "Video")
    assert parse_line(_line(path, "DRV:0,")) == DriveSlot(
        0, 2, 12, "BD-RE ASUS BW-16D1X-U A104 KLZKCRE4304", "DEMO_MOVIE", "/dev/rdisk8"
    )
    skipped = parse_line(_line(path, "MSG:3025,"))
    assert isinstance(skipped, Message)
    assert (skipped.code, skipped.flags) == (3025, 16777216)
    assert skipped.params == ("00080.m2ts", "7", "10")
    assert skipped.text.startswith("Title #00080.m2ts has length of 7 seconds")


def test_parse_line_progress_records_of_a_rip() -> None:
    lines = _lines(CAPTURES / HOWL)
    records = [parse_line(line) for line in lines]
    values = [r for r in records if isinstance(r, Progress) and r.kind == "value"]
    assert len(values) == 1772
    assert all(v.max == v.maximum == 65536 and v.code is None and v.name is None for v in values)
    assert values[-1] == Progress("value", current=65536, total=65536, max=65536)
    totals = [r.name for r in records if isinstance(r, Progress) and r.kind == "total"]
    assert totals == [
        "Scanning CD-ROM devices",
        "Opening Blu-ray disc",
        "Saving all titles to MKV files",
    ]
    current = parse_line(_line(CAPTURES / HOWL, "PRGC:3400,"))
    assert current == Progress("current", code=3400, id=0, name="Processing AV clips")


@pytest.mark.parametrize(
    "line",
    ["", "\n", "HSH:0,VIDEO_TS.BUP,7/8/2002 11:33:04 PM,20480", "no prefix here", "FOO:1,2"],
)
def test_parse_line_ignores_blank_and_unknown_lines(line: str) -> None:
    assert parse_line(line) is None


def test_parse_line_strips_line_ends() -> None:
    assert parse_line('CINFO:32,0,"24_DISC1"\r\n') == DiscAttr(32, 0, "24_DISC1")


@pytest.mark.parametrize(
    "line", ["TINFO:4,9", 'TINFO:x,9,0,"1:00:00"', "TCOUNT:", 'DRV:0,2,999,"a","b"', "PRGV:1,2"]
)
def test_parse_line_rejects_malformed_known_records(line: str) -> None:
    with pytest.raises(RobotFormatError):
        parse_line(line)


@pytest.mark.parametrize("path", CAPTURE_FILES + CORPUS_DISCS, ids=lambda p: p.name)
def test_msg_count_matches_its_parameters(path: Path) -> None:
    for line in _lines(path):
        if line.startswith("MSG:"):
            message = parse_line(line)
            assert isinstance(message, Message)
            assert int(split_fields(line[4:])[2]) == len(message.params), line


# --- parse_duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("1:47:28", 6448.0), ("0:00:07", 7.0), ("0:42:36", 2556.0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1:xx:00", "23.2 GB", "1:2:3:4"])
def test_parse_duration_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# --- the five captures --------------------------------------------------------------------


@pytest.mark.parametrize("path", CAPTURE_FILES, ids=lambda p: p.name)
def test_every_capture_parses(path: Path) -> None:
    scan = _scan(path)
    assert scan.messages and scan.messages[0].code in (1004, 1005)  # 1004: see SOURCES.md
    assert all(d.present for d in scan.drives)
    if scan.title_count is not None:
        assert scan.title_count == len(scan.titles)
    assert [t.index for t in scan.titles] == sorted({t.index for t in scan.titles})


def test_blu_ray_movie_with_angles() -> None:
    scan = _capture(PAWLH)
    assert scan.title_count == 108
    assert [t.index for t in scan.titles] == list(range(108))
    assert scan.label == "DEMO_MOVIE"  # CINFO:32; CINFO:2 reads "Demo Movie"
    assert scan.disc_type == "Blu-ray disc"
    [drive] = scan.drives
    assert drive.has_disc and drive.is_video and drive.flags == 4 | 8  # Blu-ray files + AACS
    assert drive.disc_name == "DEMO_MOVIE"

    main = scan.titles[4]
    assert main.duration_s == 6448.0  # 1:47:28
    assert main.chapters == 20
    assert main.size_bytes == 25003229184
    assert main.source_file == "00001.mpls"
    assert main.output_file == main.name == "Demo Movie_t04.mkv"
    assert main.segment_count == 22
    assert main.angle is None
    assert (main.video_streams, main.audio_streams, main.subtitle_streams) == (1, 5, 10)
    assert main.streams[1].codec == "TrueHD" and main.streams[1].language == "eng"
    assert main.streams[0].language is None  # video tracks carry no language

    angles = scan.titles[5:8]
    assert [t.angle for t in angles] == [1, 2, 3]
    assert {t.source_file for t in angles} == {"00150.mpls"}
    # The angle titles are 9 s longer than the real feature: "longest title" is no rule.
    assert all(t.duration_s > main.duration_s for t in angles)
    assert sum(1 for t in scan.titles if t.angle is not None) == 3

    codes = [m.code for m in scan.messages]
    assert codes.count(3307) + codes.count(3308) == 108  # one "added as title #n" per title
    assert 2010 in codes


def test_drive_scan_without_a_disc() -> None:
    scan = _capture(NO_DISC)
    assert len(scan.drives) == 6  # 16 DRV slots, 10 of them state 256
    assert [d.index for d in scan.drives] == list(range(6))
    assert not any(d.has_disc or d.is_video for d in scan.drives)
    assert {d.device for d in scan.drives} == {f"/dev/sr{i}" for i in range(6)}
    assert scan.messages[-1].code == 5010
    assert scan.title_count == 0
    assert scan.titles == []
    assert scan.label is None and scan.disc_type is None


def test_blu_ray_whose_only_title_is_a_play_all() -> None:
    scan = _capture(DEMON_SLAYER)
    assert scan.title_count == 1
    [title] = scan.titles
    assert title.segment_count == 4
    assert title.segment_map == "0,1,2,3"
    assert title.chapters == 21
    assert title.duration_s == parse_duration("1:37:28")
    assert title.source_file == "00000.mpls"
    assert title.output_file is not None and title.output_file.endswith("Disc 1_t00.mkv")
    assert (title.video_streams, title.audio_streams, title.subtitle_streams) == (1, 2, 4)
    assert [s.language for s in title.streams[1:3]] == ["eng", "jpn"]
    assert scan.label == "BDROM"  # the volume name wins over CINFO:2's long disc title
    assert {5053, 5050, 3338} <= {m.code for m in scan.messages}


def test_dvd_tv_season_disc() -> None:
    scan = _capture(DVD_24)
    assert scan.label == "24_DISC1"
    assert scan.disc_type == "DVD disc"
    assert scan.title_count == 6 == len(scan.titles)
    episodes, tiny = scan.titles[:4], scan.titles[4:]
    assert all(40 * 60 < t.duration_s < 43 * 60 for t in episodes)
    assert all(t.duration_s < 60 for t in tiny)
    # DVD: no TINFO:2, the source is the DVD title number (attribute 24).
    assert [t.source_file for t in scan.titles] == ["01", "02", "03", "04", "05", "08"]
    assert [t.name for t in episodes] == ["B1_t00.mkv", "B2_t01.mkv", "B3_t02.mkv", "B4_t03.mkv"]
    first = episodes[0]
    assert first.segment_map == "1-11,12"
    assert [s.kind for s in first.streams] == [
        "video",
        "audio",
        "subtitles",
        "subtitles",
        "subtitles",
    ]
    # A DVD subtitle's short codec name is "": the codec id stands in.
    assert [s.codec for s in first.streams] == ["Mpeg2", "DD", "S_VOBSUB", "S_VOBSUB", "CC"]
    assert [s.language for s in first.streams] == [None, "eng", "eng", "spa", "eng"]
    [drive] = scan.drives
    assert drive.has_disc and drive.flags == 1 and drive.drive_name == "***"  # anonymised


def test_rip_output_has_no_titles_but_its_messages() -> None:
    scan = _capture(HOWL)
    assert scan.titles == [] and scan.title_count is None
    assert [m.code for m in scan.messages[-2:]] == [5005, 5036]
    assert scan.messages[-1].params == ("1",)
    [drive] = scan.drives
    assert drive.disc_name == "HOWLS MOVING CASTLE"


# --- TheDiscDB: every disc against its JSON -----------------------------------------------


def _raw_title_attrs(path: Path) -> dict[int, dict[int, str]]:
    attrs: dict[int, dict[int, str]] = {}
    for line in _lines(path):
        record = parse_line(line)
        if isinstance(record, TitleAttr):
            attrs.setdefault(record.title, {})[record.attr] = record.value
    return attrs


@pytest.mark.parametrize("path", CORPUS_DISCS, ids=lambda p: str(p.relative_to(THEDISCDB)))
def test_thediscdb_disc_matches_its_json(path: Path) -> None:
    scan = _scan(path)
    disc = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    expected = {t["Index"]: t for t in disc["Titles"]}
    parsed = {t.index: t for t in scan.titles}

    assert set(parsed) == set(expected)
    assert scan.title_count == len(scan.titles)

    # SourceFile is TINFO 16 (playlist or clip) on Blu-ray and TINFO 24 (DVD title number)
    # on DVD; no disc has both, and the parser falls back from one to the other.
    source_attr = 24 if disc["Format"] == "DVD" else 16
    raw = _raw_title_attrs(path)

    for index, want in expected.items():
        got = parsed[index]
        where = f"title {index}"
        assert got.duration_s == parse_duration(want["Duration"]), where
        assert got.size_bytes == want["Size"], where
        assert got.segment_map == want["SegmentMap"], where
        assert got.source_file == want["SourceFile"] == raw[index][source_attr], where
        # TheDiscDB's "Comment" is MakeMKV's output file name (TINFO 27), not TINFO 49.
        assert got.output_file == want["Comment"], where
        tracks = want["Tracks"]
        assert [s.index for s in got.streams] == [t["Index"] for t in tracks], where
        for stream, track in zip(got.streams, tracks, strict=True):
            assert stream.kind == track["Type"].lower(), f"{where} track {track['Index']}"
            # TheDiscDB omits LanguageCode exactly where MakeMKV gives no SINFO 3 (video
            # tracks, one unlabelled DVD audio track), so absence is compared too.
            assert stream.language == track.get("LanguageCode"), f"{where} track {track['Index']}"
        assert got.video_streams == sum(t["Type"] == "Video" for t in tracks), where
        assert got.audio_streams == sum(t["Type"] == "Audio" for t in tracks), where
        assert got.subtitle_streams == sum(t["Type"] == "Subtitles" for t in tracks), where
