"""The check before the first rip: an unwritable or full library or staging stops a run at
once, with one line naming the folder and its setting.

Tests run as root here, and root writes through a 0o555 folder: read-only folders are real
read-only tmpfs mounts when this process may mount (root with CAP_SYS_ADMIN), a 0o555 folder
for any other user, and one test fakes EROFS from os.open so the message is checked
everywhere.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections import namedtuple
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import boz_json, run_boz

from boz.errors import LibraryUnwritable, NoSpace
from boz.media.profiles import Profile
from boz.models import Title
from boz.pipeline import preflight
from boz.settings import Settings

MB = 1_000_000
TITLES = [  # sizes as a disc declares them: nothing of this size is written
    Title(index=i, name=f"title_t{i:02d}.mkv", duration_s=2600, size_bytes=(3 + i) * 100 * MB)
    for i in range(3)
]
PROFILE = Profile()


def _settings(tmp_path: Path, **paths: Path) -> Settings:
    return Settings(**{"library": tmp_path / "library", "staging": tmp_path / "staging", **paths})


MountTmpfs = Callable[[Path, str], Path]


@pytest.fixture
def mount_tmpfs() -> Iterator[MountTmpfs]:
    """``mount(path, options)``: a tmpfs at ``path``, unmounted after the test; skips where
    this process may not mount."""
    mounted: list[Path] = []

    def mount(path: Path, options: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _need(titles: list[Title]) -> int:
    """On one filesystem: every rip and every output."""
    return sum(t.size_bytes + PROFILE.expected_bytes(t.size_bytes) for t in titles)


Usage = namedtuple("Usage", "total used free")


def _free(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    def usage(path: os.PathLike[str] | str) -> Usage:
        return Usage(10 * free, 9 * free, free)

    monkeypatch.setattr(shutil, "disk_usage", usage)


def test_enough_space_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    preflight.check(settings, TITLES[:1], PROFILE)  # 0.6 GB on this disk's real free space
    assert settings.library_dir.is_dir() and settings.staging_dir.is_dir()  # made
    assert [*settings.library_dir.iterdir(), *settings.staging_dir.iterdir()] == []


def test_not_enough_space_on_the_shared_filesystem_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    need = _need(TITLES)
    _free(monkeypatch, need)
    preflight.check(settings, TITLES, PROFILE)  # exactly enough
    _free(monkeypatch, need - 1)
    with pytest.raises(NoSpace) as caught:
        preflight.check(settings, TITLES, PROFILE)
    assert str(caught.value) == (
        f"BOZ_STAGING {settings.staging_dir} and BOZ_LIBRARY {settings.library_dir} "
        f"(one filesystem): the selected titles need {need / 1e9:.1f} GB and "
        f"{(need - 1) / 1e9:.1f} GB is free; free space or point either setting at a larger disk"
    )


def test_a_small_library_disk_of_its_own_is_no_space(
    tmp_path: Path, mount_tmpfs: MountTmpfs
) -> None:
    """The library on its own filesystem needs every output, staging every rip plus the
    largest output; staging (this test's disk) has room, the library's 1 GiB tmpfs not."""
    library = mount_tmpfs(tmp_path / "library", "size=1g")
    settings = _settings(tmp_path, library=library)
    outputs = sum(PROFILE.expected_bytes(t.size_bytes) for t in TITLES)
    with pytest.raises(NoSpace) as caught:
        preflight.check(settings, TITLES, PROFILE)
    free = shutil.disk_usage(library).free
    assert str(caught.value) == (
        f"BOZ_LIBRARY {library}: the selected titles need {outputs / 1e9:.1f} GB and "
        f"{free / 1e9:.1f} GB is free; free space or point BOZ_LIBRARY at a larger disk"
    )
    preflight.check(settings, TITLES[:1], PROFILE)  # one title fits


@pytest.fixture
def read_only(tmp_path: Path, mount_tmpfs: MountTmpfs) -> Iterator[Path]:
    folder = tmp_path / "read-only"
    if os.geteuid() == 0:
        yield mount_tmpfs(folder, "ro,size=1m")
        return
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("below", ["", "library"], ids=["existing", "to-create"])
def test_a_read_only_library_stops_the_run_before_the_first_rip(
    tmp_path: Path, read_only: Path, below: str
) -> None:
    library = read_only / below
    settings = _settings(tmp_path, library=library)
    with pytest.raises(LibraryUnwritable) as caught:
        preflight.check(settings, TITLES, PROFILE)
    message = str(caught.value)
    assert message.startswith(f"BOZ_LIBRARY {library} cannot be written on host ")
    assert message.endswith("make it writable for this user or set BOZ_LIBRARY")


def test_staging_refusing_writes_is_named_as_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    real_open = os.open

    def refuse(path: os.PathLike[str] | str, flags: int, *args: int, **kwargs: int) -> int:
        if Path(path).parent == settings.staging_dir and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(LibraryUnwritable) as caught:
        preflight.check(settings, TITLES, PROFILE)
    assert str(caught.value) == (
        f"BOZ_STAGING {settings.staging_dir} cannot be written on host {settings.host_name} "
        f"({os.strerror(errno.EROFS)}): make it writable for this user or set BOZ_STAGING"
    )


@pytest.mark.usefixtures("prefect_api")
def test_boz_rip_stops_before_the_first_rip_when_the_library_cannot_be_made(
    disc_factory, boz_home: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the library's parent should be")
    library = blocker / "library"
    done = run_boz("rip", str(disc_factory("SAMPLE_SHOW_S1_D1")), "--yes", "--library",
                   str(library), check=False)  # fmt: skip
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"boz: BOZ_LIBRARY {library} cannot be written on host ")
    assert [j for j in boz_json("jobs") if j["kind"] == "rip"] == []  # nothing was read
    [disc] = boz_json("discs")
    assert disc["status"] == "failed" and "cannot be written" in disc["error"]
