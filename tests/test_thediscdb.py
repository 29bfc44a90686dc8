"""TheDiscDB's data as exact answers: the import, the layout match (a disc matches itself
whatever the drive's minlength dropped, and not once one title differs), the plan taken
from a record, and the preview that uses it first and says so."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from helpers import library_files, run_boz

from boz.db import thediscdb
from boz.db.engine import Database
from boz.metadata.thediscdb import KnownDisc, KnownTitle, read_repository
from boz.models import Confidence, DiscKind, ExtraKind, RipRequest, TitleRole
from boz.pipeline import detect, known_disc, preview
from boz.settings import Settings

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures" / "thediscdb"
SHARED = TESTS.parent.parent / "shared" / "corpus" / "thediscdb"
FAKE = TESTS / "fakes" / "makemkvcon"
EP, EXTRA, MAIN, PLAY, SKIP = (TitleRole.episode, TitleRole.extra, TitleRole.main_feature,
                               TitleRole.play_all, TitleRole.skipped)  # fmt: skip


def _shared() -> list[KnownDisc]:
    assert SHARED.is_dir(), f"the shared corpus is missing: {SHARED}"
    found = list(read_repository(SHARED))
    assert all(isinstance(d, KnownDisc) for d in found), [str(d) for d in found]
    return found  # type: ignore[return-value]


def test_every_disc_of_the_shared_corpus_is_read_with_its_title_map() -> None:
    discs = {d.path: d for d in _shared()}
    assert len(discs) == 43
    assert sum(d.kind is DiscKind.tv for d in discs.values()) == 36
    first = discs["series/24 (2001)/season-1/disc01"]
    assert (first.name, first.year, first.release) == ("24", 2001, "season-1")
    assert first.titles[0].role is EP
    assert (first.titles[0].name, first.titles[0].season, first.titles[0].episodes) == (
        "12:00 A.M.-1:00 A.M.", 1, (1,))  # fmt: skip
    frasier = discs["series/Frasier (1993)/2005-season6dvd/disc04"]
    assert frasier.titles[4].episodes == (23, 24)  # "23 & 24": one title, two numbers
    farscape = discs["series/Farscape (1999)/2002-dvd-the-complete-season-one/disc01"]
    assert farscape.titles[11].extra_kind is ExtraKind.featurette
    assert farscape.titles[0].role is None  # no Item: TheDiscDB says nothing of it


def _scanned(disc: KnownDisc, minlength: int) -> list[tuple[int, int, str, str]]:
    """The keys a drive reading this disc with ``minlength`` reports (MakeMKV drops shorter
    titles and numbers the rest from 0)."""
    return [t.key for t in disc.titles if t.key[0] >= minlength]


def test_every_disc_matches_itself_whatever_the_minlength(db: Database) -> None:
    discs = _shared()
    with db.session() as s:
        assert thediscdb.save(s, discs) == 43
    with db.session() as s:
        for disc in discs:
            for minlength in (0, 120, 600):
                keys = _scanned(disc, minlength)
                found = thediscdb.find(s, keys, minlength)
                assert disc.path in [m.disc.path for m in found], (disc.path, minlength)
                mine = next(m for m in found if m.disc.path == disc.path)
                assert [t.key for t in mine.titles] == keys
                assert mine.titles == [t for t in disc.titles if t.key[0] >= minlength]


def _changed(key: tuple[int, int, str, str], field: int) -> tuple[int, int, str, str]:
    seconds, size, segments, source = key
    return (
        seconds + (field == 0),
        size + 2048 * (field == 1),
        segments + ",99" * (field == 2),
        source + "x" * (field == 3),
    )  # type: ignore[return-value]


@pytest.mark.parametrize("field", [0, 1, 2, 3], ids=["duration", "size", "segments", "source"])
def test_a_disc_with_one_title_changed_matches_nothing(db: Database, field: int) -> None:
    discs = _shared()
    with db.session() as s:
        thediscdb.save(s, discs)
    with db.session() as s:
        for disc in discs:
            kept = [t for t in disc.titles if t.key[0] >= 120]
            keys = [t.key for t in kept]
            assert thediscdb.find(s, keys[:-1], 120) == [], disc.path  # one title fewer
            episode = next(  # an episode or feature if there is one, else the last title
                (i for i, t in enumerate(kept) if t.role in (EP, MAIN)), len(keys) - 1
            )
            keys[episode] = _changed(keys[episode], field)
            assert thediscdb.find(s, keys, 120) == [], disc.path


def test_the_import_is_one_line_replaces_by_path_and_refuses_what_is_not_discdb_data(
    tmp_path: Path,
) -> None:
    first = run_boz("thediscdb", "import", str(SHARED))
    assert first.stdout.strip().endswith(
        f"imported 43 discs (36 TV, 7 movies) from {SHARED}; the index holds 43; 0 skipped"
    )
    again = run_boz("thediscdb", "import", str(FIXTURES))  # a subset, imported again
    assert "imported 20 discs" in again.stdout and "the index holds 43" in again.stdout
    broken = tmp_path / "data" / "series" / "Show (2000)" / "release"
    broken.mkdir(parents=True)
    (broken / "disc01.txt").write_text("TCOUNT:0\n")  # and no disc01.json
    shutil.copy(
        FIXTURES / "movie/27 Dresses (2008)/2008-widescreen-dvd/disc01.txt", broken / "disc02.txt"
    )
    (broken / "disc02.json").write_text("{not json")
    for path, line in [
        (tmp_path / "nowhere", f"boz: {tmp_path / 'nowhere'} is not a folder: give a clone of "
                               "TheDiscDB/data or its data/"),
        (tmp_path, f"boz: {tmp_path} holds no disc of TheDiscDB's layout (<series|movie>/"
                   "<Name (Year)>/<release>/discNN.txt with discNN.json beside it)"),
    ]:  # fmt: skip
        done = run_boz("thediscdb", "import", str(path), check=False)
        assert (done.returncode, done.stderr.strip()) == (1, line)
    listed = run_boz("discs", "--json").stdout
    assert json.loads(listed) == []  # a refused import touched nothing else


def _title(index: int, type_: str | None = None, **kw: object) -> KnownTitle:
    return KnownTitle((600 + index, 10**9 + index, "1", f"{index:02d}"), type_, **kw)  # type: ignore[arg-type]


def _match(kind: DiscKind, name: str, titles: list[KnownTitle]) -> thediscdb.Match:
    disc = KnownDisc(f"x/{name}/r/disc01", kind, name, 2001, "r", tuple(titles))
    return thediscdb.Match(disc, titles)


def test_a_record_gives_roles_numbers_names_and_kinds() -> None:
    titles = [
        _title(0, "Episode", name="Pilot", season=1, episodes=(1, 2)),
        _title(1, "Episode", name="Two", season=1, episodes=(3,)),
        _title(2),  # a play-all TheDiscDB leaves unnamed
        _title(3, "DeletedScene", name="Cut"),
        _title(4, "Episode", name="Special", season=0, episodes=(5,)),
        _title(5),
    ]
    rules = {0: EP, 1: EP, 2: PLAY, 3: EP, 4: EP, 5: EP}
    plan, notes = known_disc.plan([_match(DiscKind.tv, "Show", titles)], list(range(6)), rules)
    assert plan is not None and notes == []
    assert [plan.roles[i] for i in range(6)] == [EP, EP, PLAY, EXTRA, EXTRA, SKIP]
    assert (plan.season, plan.order, plan.all_numbers, plan.counts) == (1, [0, 1], [1, 2, 3],
                                                                        {0: 2})  # fmt: skip
    assert plan.extra_kinds == {3: ExtraKind.deleted_scene, 4: ExtraKind.other}
    assert plan.names == {0: "Pilot", 1: "Two", 3: "Cut", 4: "Special"}
    assert "title 4 is S00E05 in TheDiscDB, not the disc's season: kept as an extra" in plan.notes


def test_a_second_main_movie_is_an_extra_under_its_own_name() -> None:
    titles = [
        _title(0, "MainMovie", name="2012 (Picture-In-Picture)"),
        _title(1),
        _title(2, "MainMovie", name="2012"),
        _title(3, "Trailer", name="Trailer"),
    ]
    titles[0] = dataclasses.replace(titles[0], key=(9000, 1, "1", "00800.mpls"))  # the longer
    plan, _ = known_disc.plan([_match(DiscKind.movie, "2012", titles)], [0, 1, 2, 3], {})
    assert plan is not None
    assert [plan.roles[i] for i in range(4)] == [EXTRA, SKIP, MAIN, EXTRA]
    assert plan.extra_kinds == {0: ExtraKind.other, 3: ExtraKind.trailer}


def test_records_of_one_layout_that_disagree_are_no_answer() -> None:
    one = _match(DiscKind.tv, "Show", [_title(0, "Episode", season=1, episodes=(1,))])
    other = _match(DiscKind.tv, "Show", [_title(0, "Episode", season=1, episodes=(4,))])
    plan, notes = known_disc.plan([one, other], [0], {0: EP})
    assert plan is None
    assert notes == ["TheDiscDB has 2 different records of this layout (x/Show/r/disc01, "
                     "x/Show/r/disc01): the rules decide"]  # fmt: skip
    same, _ = known_disc.plan([one, one], [0], {0: EP})
    assert same is not None


@pytest.fixture
def drive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, Database]:
    """A home whose drive replays TheDiscDB captures at MakeMKV's default minlength (120 s),
    so the tiny titles of the records are not on the scanned disc."""
    from boz.db.engine import open_database

    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(tmp_path / "fake"))
    settings = Settings(home=tmp_path / "home", makemkvcon=str(FAKE), min_title_seconds=600)
    return settings, open_database(settings.db_url)


def _propose(
    drive: tuple[Settings, Database],
    capture: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: RipRequest | None = None,
):  # type: ignore[no-untyped-def]
    settings, db = drive
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(capture))
    disc = detect.detect(db, settings, "disc:0")
    assert disc.id is not None
    return preview.propose(db, disc.id, request or RipRequest(), min_seconds=600,
                           library=settings.library_dir)  # fmt: skip


def test_a_known_disc_is_named_from_its_record_with_strong_confidence(
    drive: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    thediscdb.import_repository(drive[1], SHARED)
    farscape = SHARED / "series" / "Farscape (1999)" / "2002-dvd-the-complete-season-one"
    shown = _propose(drive, farscape / "disc01.txt", monkeypatch)  # no --show: the label alone
    disc = shown.disc
    assert (disc.kind, disc.show, disc.season, disc.year) == (DiscKind.tv, "Farscape", 1, 1999)
    assert shown.confidence is Confidence.strong
    source = "from TheDiscDB: Farscape (1999), 2002-dvd-the-complete-season-one/disc01"
    assert shown.reasons == [source] and source in shown.notes
    picked = {t.known_name: (t.role, t.episodes, t.destination) for t in shown.titles if t.selected}
    show, season = "TV/Farscape (1999)", "TV/Farscape (1999)/Season 01/Farscape (1999)"
    assert picked == {
        "Premiere": (EP, [1], f"{season} - S01E01 - Premiere.mkv"),
        "I, E.T.": (EP, [2], f"{season} - S01E02 - I, E.T.mkv"),  # no dot before .mkv
        "Video Profile: John Crichton": (
            EXTRA, [], f"{show}/Other/Video Profile - John Crichton.mkv"),
        "Making of a Space Opera Documentary": (
            EXTRA, [], f"{show}/Featurettes/Making of a Space Opera Documentary.mkv"),
    }  # fmt: skip


def test_a_record_that_skips_a_number_keeps_the_gap(
    drive: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record numbers a feature-length pilot E01 alone and the next title E03: the
    numbers are the record's, not a run that shifts the disc."""
    thediscdb.import_repository(drive[1], SHARED)
    monk = SHARED / "series" / "Monk (2002)" / "2003-season1-dvd"
    shown = _propose(drive, monk / "disc01.txt", monkeypatch, RipRequest(show="Monk", season=1))
    assert [t.episodes for t in shown.titles if t.role is EP] == [[1], [3], [4]]
    assert shown.confidence is Confidence.strong
    assert any("(E02)" in n for n in shown.notes)  # the gap is shown, nobody holds E02
    two = _propose(drive, monk / "disc02.txt", monkeypatch)
    assert [t.episodes for t in two.titles if t.role is EP] == [[5], [6], [7]]


def test_numbers_another_disc_holds_give_way_and_lower_the_confidence(
    drive: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    frasier = FIXTURES / "series" / "Frasier (1993)" / "2005-season6dvd"
    request = RipRequest(show="Frasier", season=6)
    guessed = _propose(drive, frasier / "disc02.txt", monkeypatch, request)  # before the import
    assert next(t.episodes for t in guessed.titles if t.role is EP) == [1]
    thediscdb.import_repository(drive[1], FIXTURES)
    shown = _propose(drive, frasier / "disc01.txt", monkeypatch, request)
    assert [t.episodes for t in shown.titles if t.role is EP] == [[n] for n in range(7, 13)]
    assert shown.confidence is Confidence.medium
    assert shown.reasons[1].startswith("TheDiscDB's numbers are taken (Frasier season 6: E01, ")


def test_an_unknown_layout_falls_back_to_the_rules(
    drive: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    release = tmp_path / "data" / "series" / "Frasier (1993)" / "2005-season6dvd"
    shutil.copytree(FIXTURES / "series" / "Frasier (1993)" / "2005-season6dvd", release)
    text = (release / "disc01.txt").read_text()
    size = next(line.split(",", 3)[3].strip('"') for line in text.splitlines()
                if line.startswith("TINFO:0,11,"))  # fmt: skip
    grown = text.replace(f'TINFO:0,11,0,"{size}"', f'TINFO:0,11,0,"{int(size) + 2048}"')
    (release / "disc01.txt").write_text(grown)
    thediscdb.import_repository(drive[1], tmp_path)
    capture = FIXTURES / "series" / "Frasier (1993)" / "2005-season6dvd" / "disc01.txt"
    shown = _propose(drive, capture, monkeypatch, RipRequest(show="Frasier", season=6))
    assert not any("TheDiscDB" in r for r in shown.reasons + shown.notes)
    assert [t.episodes for t in shown.titles if t.role is EP] == [[n] for n in range(1, 7)]
    assert all(t.known_name is None for t in shown.titles)


def test_auto_strong_rips_a_disc_thediscdb_knows_without_a_word_from_the_operator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, boz_home: Path, prefect_api: str
) -> None:
    """The unattended drive host's case: no --show, a label that names nothing sure, and
    the record's names all the way to the library."""
    farscape = SHARED / "series" / "Farscape (1999)" / "2002-dvd-the-complete-season-one"
    monkeypatch.setenv("BOZ_MAKEMKVCON", str(FAKE))
    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(tmp_path / "fake"))
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(farscape / "disc01.txt"))
    monkeypatch.setenv("BOZ_MIN_TITLE_SECONDS", "600")
    run_boz("thediscdb", "import", str(SHARED))
    run_boz("rip", "disc:0", "--auto", "strong", timeout=600)
    assert library_files(boz_home) == [
        "TV/Farscape (1999)/Featurettes/Making of a Space Opera Documentary.mkv",
        "TV/Farscape (1999)/Other/Video Profile - John Crichton.mkv",
        "TV/Farscape (1999)/Season 01/Farscape (1999) - S01E01 - Premiere.mkv",
        "TV/Farscape (1999)/Season 01/Farscape (1999) - S01E02 - I, E.T.mkv",
    ]


def test_the_record_names_stay_through_the_operators_changes(
    drive: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, db = drive
    thediscdb.import_repository(db, SHARED)
    farscape = SHARED / "series" / "Farscape (1999)" / "2002-dvd-the-complete-season-one"
    shown = _propose(drive, farscape / "disc01.txt", monkeypatch)
    moved = shown.decision().model_copy(update={"first_episode": 5})
    decided = preview.decide(db, shown.disc.id, moved, min_seconds=600,  # type: ignore[arg-type]
                             library=settings.library_dir)  # fmt: skip
    assert [t.destination for t in decided.titles if t.role is EP] == [
        "TV/Farscape (1999)/Season 01/Farscape (1999) - S01E05 - Premiere.mkv",
        "TV/Farscape (1999)/Season 01/Farscape (1999) - S01E06 - I, E.T.mkv",
    ]
