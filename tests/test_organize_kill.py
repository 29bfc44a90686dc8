"""Organize killed with SIGKILL at every point of a placement, then run again: the title
ends in the library exactly once, whole, with no temporary file left, and its job done.

The kill comes from the child process itself, at a point chosen by monkeypatching
organize's own steps in that child (production code has no hooks).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_organize import clone, only_disc, organize_job, other_fs, template  # noqa: F401 (fixtures)

from boz.db.engine import open_database
from boz.models import JobStatus
from boz.pipeline import organize, transcode
from boz.pipeline.jobs import Runner
from boz.settings import Settings

FINAL = "TV/Kill Show/Season 01/Kill Show - S01E01.mkv"
OLD = b"the file that was there before"

CHILD = r"""
import json, os, signal, sys
from boz.db import store
from boz.db.engine import open_database
from boz.pipeline import organize
from boz.pipeline.jobs import Runner
from boz.settings import Settings

point, config, disc_id = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])


def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)


def then_die(real, when):
    def wrapper(*args):
        result = real(*args)
        if when(*args):
            die()
        return result
    return wrapper


def half(src, dst, digest):
    dst.write(src.read(os.fstat(src.fileno()).st_size // 2))
    dst.flush()
    die()


def named(suffix):
    return lambda source, target: str(target).endswith(suffix)


kills = {
    "before copy": (organize, "_copy_into", die),
    "mid copy": (organize, "_copy_into", half),
    "after copy": (organize, "_copy_into", then_die(organize._copy_into, lambda *a: True)),
    "after temp link": (os, "link", then_die(os.link, named(".boz-part"))),
    "after link": (os, "link", then_die(os.link, named(".mkv"))),
    "after aside": (os, "rename", then_die(os.rename, named(".boz-old"))),
    "before done": (store, "finish_job", die),
}
setattr(*kills[point])
settings = Settings(**config)
db = open_database(settings.db_url)
organize.organize_title(db, settings, disc_id, 0, Runner(host=settings.host_name))
sys.exit("organize finished without being killed")
"""


def _killed_at(point: str, settings: Settings) -> None:
    config = {k: str(v) for k, v in settings.model_dump(include={
        "home", "staging", "library", "collision", "min_title_seconds", "x264_preset",
    }).items()}  # fmt: skip
    disc_id = str(only_disc(settings))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, point, json.dumps(config), disc_id],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr


def _state(path: Path, whole: bytes) -> str:
    if not path.exists():
        return "absent"
    data = path.read_bytes()
    if data == whole:
        return "whole"
    if data == OLD:
        return "old"
    return "partial" if len(data) < len(whole) and whole.startswith(data) else "other"


CASES = [
    # filesystem, collision, kill point, (final, temp, aside) after the kill, rerun outcome
    ("other", "skip", "before copy", ("absent", "partial", "absent"), "placed"),
    ("other", "skip", "mid copy", ("absent", "partial", "absent"), "placed"),
    ("other", "skip", "after copy", ("absent", "whole", "absent"), "placed"),
    ("other", "skip", "after link", ("whole", "whole", "absent"), "already there"),
    ("other", "skip", "before done", ("whole", "absent", "absent"), "already there"),
    ("same", "skip", "after temp link", ("absent", "whole", "absent"), "placed"),
    ("same", "skip", "after link", ("whole", "whole", "absent"), "already there"),
    ("same", "replace", "after aside", ("absent", "whole", "old"), "replaced"),
    ("same", "replace", "after link", ("whole", "whole", "old"), "already there"),
]


@pytest.mark.parametrize(
    ("filesystem", "collision", "point", "after_kill", "outcome"),
    CASES,
    ids=[f"{c[0]} fs, {c[1]}: {c[2]}" for c in CASES],
)
def test_a_kill_at_any_point_ends_with_one_whole_file_on_the_rerun(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    template: dict[str, str],  # noqa: F811
    filesystem: str,
    collision: str,
    point: str,
    after_kill: tuple[str, str, str],
    outcome: str,
) -> None:
    other: Path = request.getfixturevalue("other_fs") if filesystem == "other" else tmp_path
    staging = other / "staging"
    library = tmp_path / "library"
    settings = clone(template, tmp_path / "home", staging, library, collision=collision)
    [staged] = staging.rglob("t00.transcoded.mkv")
    ours = staged.read_bytes()
    final = library / FINAL
    temp = final.with_name(f".{final.name}.boz-part")
    aside = final.with_name(f".{final.name}.boz-old")
    if collision == "replace":
        final.parent.mkdir(parents=True)
        final.write_bytes(OLD)

    _killed_at(point, settings)
    assert tuple(_state(p, ours) for p in (final, temp, aside)) == after_kill

    db = open_database(settings.db_url)
    runner = Runner(host=settings.host_name)
    placed = organize.organize_title(db, settings, only_disc(settings), 0, runner).path
    assert placed == final and final.read_bytes() == ours
    assert [p for p in library.rglob("*") if p.is_file()] == [final]  # no temp, no old file
    status, output, details = organize_job(settings)
    assert (status, output, details["outcome"]) == (JobStatus.done, FINAL, outcome)
    assert not staged.exists()  # cleaned once the job was done


def test_a_title_transcoded_again_after_a_kill_is_recognised_as_placed(
    tmp_path: Path,
    other_fs: Path,  # noqa: F811
    template: dict[str, str],  # noqa: F811
) -> None:
    """Killed after the link, before the job was done; staging lost its file, so the rerun
    transcodes again and gets a file whose container header differs."""
    library = tmp_path / "library"
    settings = clone(template, tmp_path / "home", other_fs / "staging", library)
    [staged] = settings.staging_dir.rglob("t00.transcoded.mkv")
    _killed_at("after link", settings)
    placed = (library / FINAL).read_bytes()
    staged.unlink()

    db = open_database(settings.db_url)
    runner = Runner(host=settings.host_name)
    disc_id = only_disc(settings)
    again = transcode.transcode_title(db, settings, disc_id, 0, runner)
    assert again.read_bytes() != placed  # the header bytes differ

    assert organize.organize_title(db, settings, disc_id, 0, runner).path == library / FINAL
    assert (library / FINAL).read_bytes() == placed
    assert [p for p in library.rglob("*") if p.is_file()] == [library / FINAL]
    status, _, details = organize_job(settings)
    assert (status, details["outcome"]) == (JobStatus.done, "already there")
