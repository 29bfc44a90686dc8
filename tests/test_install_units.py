"""The home-lab install files: systemd units that run real commands, a udev rule that only
tags, and pools that are the ones prefect.yaml declares."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import BOZ

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "deployments/systemd").glob("*.service"))
VENV_BIN = "/opt/boz-ripper/.venv/bin/"


def _unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    unit.read(path)
    return unit


def test_there_is_a_unit_for_the_server_a_worker_and_the_watcher() -> None:
    assert [u.name for u in UNITS] == [
        "boz-prefect-server.service", "boz-watch.service", "boz-worker@.service"
    ]  # fmt: skip


@pytest.mark.parametrize("path", UNITS, ids=[u.name for u in UNITS])
def test_a_unit_runs_an_installed_command_with_the_shared_settings(path: Path) -> None:
    unit = _unit(path)
    service = unit["Service"]
    assert service["EnvironmentFile"] == "/etc/boz-ripper/boz.env"
    assert service["User"] == "boz" and service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    program, *args = shlex.split(service["ExecStart"])
    assert program.startswith(VENV_BIN)
    if program.endswith("/boz"):  # the boz command line it runs exists
        done = subprocess.run([*BOZ, *args, "--help"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    else:
        assert args[:2] in (["server", "start"], ["worker", "start"])


def test_workers_serve_the_pools_prefect_yaml_declares() -> None:
    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    pools = {d["work_pool"]["name"] for d in declared["deployments"]}
    assert pools == {"boz-drives", "boz-transcode"}
    readme = (ROOT / "README.md").read_text()
    for pool in pools:
        assert f"boz-worker@{pool}" in readme  # the README enables one per pool


def test_the_udev_rule_only_tags_optical_drives() -> None:
    rules = [
        line for line in (ROOT / "deployments/udev/70-boz-optical.rules").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]  # fmt: skip
    assert rules and all('ENV{ID_CDROM}=="1"' in r and 'TAG+="boz-ripper"' in r for r in rules)
    assert not any("RUN" in r or "SYSTEMD_WANTS" in r for r in rules)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_systemd_reads_the_units(tmp_path: Path) -> None:
    for path in UNITS:
        shutil.copy(path, tmp_path / path.name.replace("@", "@pool"))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
        capture_output=True, text=True,
    )  # fmt: skip
    problems = [line for line in done.stderr.splitlines()
                if "Unknown" in line or "Invalid" in line or "Missing" in line]  # fmt: skip
    assert problems == [], done.stderr
