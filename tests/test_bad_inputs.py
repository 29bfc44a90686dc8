"""Bad input, table-driven: each case is a command a user could type, in a home that holds a
disc waiting for approval and a finished one. Every case exits 1 with exactly one line on
stderr that names the input and says what to do, and leaves the library, staging and the
database as they were.

Each case is one ``boz`` process in its own copy of a home seeded once per test process;
``PREFECT_API_URL`` points nowhere, so a case that reached a run would fail on that line
instead of its own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import BOZ

DEAD_API = "http://127.0.0.1:9/api"  # the discard port: nothing answers


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    line: str  # stderr, without "boz: "; {home}, {files} and {api} are filled in
    env: dict[str, str] = field(default_factory=dict)
    config: str | None = None  # config.toml for this case


CASES = [
    # sources
    Case("empty source", ("rip", ""),
         "no source given: name a folder of titles, disc:N, dev:/dev/sr0 or iso:FILE"),
    Case("missing folder", ("rip", "/nonexistent/disc"), "no such folder: /nonexistent/disc"),
    Case("a file", ("rip", "{files}/notes.txt"),
         "{files}/notes.txt is not a folder: give the folder that holds the titles"),
    Case("missing image", ("rip", "iso:/nonexistent.iso"), "no such image: /nonexistent.iso"),
    Case("no makemkvcon", ("rip", "disc:0"),
         "makemkvcon not found: install MakeMKV (https://www.makemkv.com) or set BOZ_MAKEMKVCON",
         {"BOZ_MAKEMKVCON": "/nonexistent/makemkvcon"}),
    Case("preview missing", ("preview", "/nonexistent/disc"), "no such folder: /nonexistent/disc"),
    # options
    Case("season -1", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--season", "-1"),
         "Invalid value for '--season': Input should be greater than or equal to 0 "
         "(see boz rip --help)"),
    Case("first episode 0", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--first-episode", "0"),
         "Invalid value for '--first-episode': Input should be greater than or equal to 1 "
         "(see boz rip --help)"),
    Case("first episode 99999", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--first-episode", "99999"),
         "Invalid value for '--first-episode': Input should be less than or equal to 999 "
         "(see boz rip --help)"),
    Case("year 99999", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--year", "99999"),
         "Invalid value for '--year': Input should be less than or equal to 2200 "
         "(see boz rip --help)"),
    Case("year text", ("preview", "{files}/SAMPLE_SHOW_S1_D1", "--year", "soon"),
         "Invalid value for '--year': Input should be a valid integer, unable to parse string "
         "as an integer (see boz preview --help)"),
    Case("unknown profile", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--profile", "nope"),
         "no transcode profile 'nope': use one of copy, default, or define it in BOZ_PROFILES "
         "or under [profiles] in config.toml"),
    Case("unknown option", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--sesaon", "1"),
         "No such option: --sesaon (Possible options: --season, --yes) (see boz rip --help)"),
    Case("unknown command", ("ripp",),
         "No such command 'ripp'. Did you mean 'rip'? (see boz --help)"),
    Case("missing argument", ("rip",), "Missing argument 'source'. (see boz rip --help)"),
    Case("jobs status", ("jobs", "--status", "lost"),
         "Invalid value for '--status': 'lost' is not one of 'pending', 'running', 'done', "
         "'failed'. (see boz jobs --help)"),
    Case("jobs disc text", ("jobs", "--disc", "one"),
         "Invalid value for '--disc': Input should be a valid integer, unable to parse string "
         "as an integer (see boz jobs --help)"),
    Case("disc unknown", ("disc", "99"), "no disc with id 99: see `boz discs`"),
    Case("prune age", ("prune", "--older-than", "soon"),
         "--older-than 'soon': give a number of hours, days or weeks: 12h, 30d, 2w"),
    Case("prune missing age", ("prune",),
         "Missing option '--older-than'. (see boz prune --help)"),
    Case("backup over a file", ("db", "backup", "{files}/notes.txt"),
         "{files}/notes.txt exists: choose a new file name (a backup never overwrites)"),
    # approvals (disc 1 waits, disc 2 is done)
    Case("approve unknown disc", ("approve", "99"), "no disc with id 99: see `boz discs`"),
    Case("approve done disc", ("approve", "2"),
         "disc 2 (SAMPLE_MOVIE_2008) is done, not awaiting approval"),
    Case("approve no title", ("approve", "1", "--episodes", "0,9"),
         "disc SAMPLE_SHOW_S1_D1 has no title 9 (its titles are 0,1,2,3)"),
    Case("approve two roles", ("approve", "1", "--episodes", "0,1", "--skip", "1"),
         "title 1 is in both --episodes and --skip: give it one role"),
    Case("approve extra kind", ("approve", "1", "--extras", "3:blooper"),
         "Invalid value: '3:blooper': give TITLE or TITLE:KIND, e.g. 3:featurette (kinds: "
         "featurette, deleted_scene, behind_the_scenes, interview, trailer, other) "
         "(see boz approve --help)"),
    Case("approve titles text", ("approve", "1", "--titles", "a,b"),
         "Invalid value: give title numbers separated by commas, e.g. 1,2,4 "
         "(see boz approve --help)"),
    Case("approve nothing", ("approve", "1", "--skip", "0,1,2"),
         "disc SAMPLE_SHOW_S1_D1: no title is selected: give titles a role, or reject the disc"),
    Case("approve episodes as a movie", ("approve", "1", "--movie", "X"),
         "title 0 is an episode but the disc is a movie: set the kind to tv (with show and "
         "season), or make the title a main feature or an extra"),
    Case("approve season -1", ("approve", "1", "--season", "-1"),
         "Invalid value for '--season': Input should be greater than or equal to 0 "
         "(see boz approve --help)"),
    Case("approve past E999", ("approve", "1", "--first-episode", "998"),
         "episodes from E998 would run past E999: give a lower first episode"),
    Case("approve held numbers", ("approve", "1", "--first-episode", "1"),
         "Other Show season 1: E01, E02, E03 already belong to another disc; choose another "
         "first episode (the counter is at 3)", {}, None),
    Case("reject done disc", ("reject", "2"),
         "disc 2 (SAMPLE_MOVIE_2008) is done, not awaiting approval"),
    # settings
    Case("crf text", ("discs",), "BOZ_CRF='abc': Input should be a valid integer, unable to "
         "parse string as an integer", {"BOZ_CRF": "abc"}),
    Case("crf range", ("discs",), "BOZ_CRF='99': Input should be less than or equal to 51",
         {"BOZ_CRF": "99"}),
    Case("min title negative", ("discs",),
         "BOZ_MIN_TITLE_SECONDS='-5': Input should be greater than or equal to 0",
         {"BOZ_MIN_TITLE_SECONDS": "-5"}),
    Case("collision", ("discs",),
         "BOZ_COLLISION='explode': Input should be 'skip', 'keep-both' or 'replace'",
         {"BOZ_COLLISION": "explode"}),
    Case("port", ("discs",), "BOZ_SERVER_PORT='99999': Input should be less than 65536",
         {"BOZ_SERVER_PORT": "99999"}),
    Case("profiles json", ("discs",),
         "BOZ_PROFILES is not valid JSON: give a JSON value, e.g. '[\"a\", \"b\"]' or '{{}}'",
         {"BOZ_PROFILES": "{fast"}),
    Case("notify json", ("discs",),  # its URLs hold tokens: never echoed
         "BOZ_NOTIFY_URLS: Value error, Expecting value: line 1 column 2 (char 1)",
         {"BOZ_NOTIFY_URLS": "[json://x"}),
    Case("toml syntax", ("discs",),
         "{home}/config.toml: Invalid value (at line 2, column 6): fix the file (TOML) or move "
         "it away", config="crf = 20\ncrf =\n"),
    Case("toml type", ("discs",),
         "{home}/config.toml line 2 (stall_seconds): Input should be a valid number, unable "
         "to parse string as a number", config='crf = 20\nstall_seconds = "x"\n'),
    Case("toml profile", ("discs",),
         "{home}/config.toml line 1 (profiles): fast.codec: Input should be 'h264', 'hevc', "
         "'av1' or 'copy'", config='[profiles.fast]\ncodec = "vp9"\n'),
    # databases and servers
    Case("database url", ("discs",),
         "BOZ_DATABASE_URL 'garbage' is not a database URL: give sqlite:///PATH or "
         "postgresql+psycopg://USER:PASSWORD@HOST/DB", {"BOZ_DATABASE_URL": "garbage"}),
    Case("database kind", ("discs",),
         "BOZ_DATABASE_URL 'mysql://x/y': mysql is not supported; use SQLite (sqlite:///PATH) "
         "or PostgreSQL (postgresql+psycopg://…)", {"BOZ_DATABASE_URL": "mysql://x/y"}),
    Case("database down", ("discs",),
         "cannot open the database at postgresql+psycopg://boz@127.0.0.1:9/boz: connection "
         "failed: connection to server at \"127.0.0.1\", port 9 failed: Connection refused Is "
         "the server running on that host and accepting TCP/IP connections?",
         {"BOZ_DATABASE_URL": "postgresql+psycopg://boz@127.0.0.1:9/boz"}),
    Case("no psycopg", ("discs",),
         "PostgreSQL needs the Python module 'psycopg': install boz-ripper with its postgres "
         "extra (pip install 'boz-ripper[postgres]')",
         {"BOZ_DATABASE_URL": "postgresql+psycopg://boz@127.0.0.1:9/boz",
          "PYTHONPATH": "{files}/no-psycopg"}),
    Case("home is a file", ("discs",),
         "the database's folder {files}/notes.txt is a file, not a folder: set BOZ_HOME (or "
         "BOZ_DATABASE_URL) to a folder", {"BOZ_HOME": "{files}/notes.txt"}),
    Case("dead prefect", ("rip", "{files}/SAMPLE_SHOW_S1_D1", "--yes"),
         "no Prefect server answers at PREFECT_API_URL={api}: start it, or unset "
         "PREFECT_API_URL to use this machine's local server (`boz server start`)"),
]  # fmt: skip


def _fill(text: str, home: Path, files: Path) -> str:
    return (
        text.replace("{home}", str(home))
        .replace("{files}", str(files))
        .replace("{api}", DEAD_API)
        .replace("{{}}", "{}")
    )


def _state(home: Path) -> dict[str, str]:
    """Every file under home (the database as its rows) by content."""
    seen = {}
    for path in sorted(home.rglob("*")):
        if path.is_dir() or path.name.endswith(("-wal", "-shm", "-journal", "-writers")):
            continue
        if path.name == "boz.db":
            with closing(sqlite3.connect(path)) as db:
                seen[str(path)] = "\n".join(db.iterdump())
        else:
            seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, disc_factory) -> tuple[Path, Path]:
    """A home with disc 1 waiting for approval (E04-E06 of Other Show season 1 held by
    nobody; E01-E03 held by disc 3) and disc 2 done, plus files the cases point at."""
    files = tmp_path_factory.mktemp("files")
    (files / "notes.txt").write_text("not a disc")
    shutil.copytree(disc_factory("SAMPLE_SHOW_S1_D1"), files / "SAMPLE_SHOW_S1_D1")
    shadow = files / "no-psycopg" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(name='psycopg')\n")
    home = tmp_path_factory.mktemp("seeded") / "home"
    env = {**os.environ, "BOZ_HOME": str(home), "BOZ_MIN_TITLE_SECONDS": "2"}
    other = disc_factory("OTHER_SHOW_S1_D1", variant=7)
    for args in (
        ("preview", str(files / "SAMPLE_SHOW_S1_D1")),
        ("preview", str(disc_factory("SAMPLE_MOVIE_2008", episodes=1, extras=0))),
        ("preview", str(other), "--show", "Other Show", "--season", "1"),
        ("preview", str(files / "SAMPLE_SHOW_S1_D1"), "--show", "Other Show", "--season", "1",
         "--first-episode", "4"),
    ):  # fmt: skip
        subprocess.run([*BOZ, *args], env=env, check=True, capture_output=True)
    with closing(sqlite3.connect(home / "boz.db")) as db, db:
        db.execute("UPDATE discs SET status = 'awaiting_approval', approval_flow_run_id = "
                   "'00000000-0000-0000-0000-000000000001' WHERE id = 1")  # fmt: skip
        db.execute("UPDATE discs SET status = 'done' WHERE id = 2")
    return home, files


def _run(
    case: Case, home: Path, files: Path, base: Path
) -> tuple[subprocess.CompletedProcess[str], Path, dict, dict]:
    """The case run once in its own copy of the seeded home."""
    own = base / "home"
    shutil.copytree(home, own)
    if case.config is not None:
        (own / "config.toml").write_text(case.config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOZ_")}  # config.toml rules
    env |= {"BOZ_HOME": str(own), "BOZ_MIN_TITLE_SECONDS": "2", "PREFECT_API_URL": DEAD_API}
    env.update({k: _fill(v, own, files) for k, v in case.env.items()})
    before = _state(own)
    done = subprocess.run(
        [*BOZ, *(_fill(a, own, files) for a in case.args)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return done, own, before, _state(own)


def test_the_table_holds_at_least_forty_bad_inputs() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_is_one_line_and_changes_nothing(
    case: Case, seeded: tuple[Path, Path], tmp_path: Path
) -> None:
    done, home, before, after = _run(case, *seeded, tmp_path)
    assert (done.returncode, done.stderr) == (1, f"boz: {_fill(case.line, home, seeded[1])}\n")
    assert after == before
