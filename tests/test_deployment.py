"""The operator path: prefect.yaml deployed from a clean checkout, run by a real worker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import boz_json, library_files

ROOT = Path(__file__).resolve().parent.parent
PREFECT = [sys.executable, "-m", "prefect"]


def _clean_checkout(target: Path) -> Path:
    """The files a clone would have (tracked or not ignored), without venv or caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_prefect_yaml_declares_the_deployment_on_a_process_pool() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    [deployment] = config["deployments"]
    assert deployment["name"] == "disc-to-library"
    assert deployment["entrypoint"] == "boz.flows.disc_to_library:disc_to_library"
    assert deployment["work_pool"]["name"] == "boz-drives"


@pytest.mark.usefixtures("prefect_api")
def test_a_worker_runs_the_deployment_from_a_clean_checkout(
    disc_factory, boz_home: Path, tmp_path: Path
) -> None:
    from prefect.deployments import run_deployment

    checkout = _clean_checkout(tmp_path / "checkout")
    subprocess.run([*PREFECT, "work-pool", "create", "boz-drives", "--type", "process",
                    "--overwrite"], check=True, capture_output=True)  # fmt: skip
    deployed = subprocess.run([*PREFECT, "--no-prompt", "deploy", "--all"], cwd=checkout,
                              capture_output=True, text=True)  # fmt: skip
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    worker_log = tmp_path / "worker.log"
    with open(worker_log, "w") as log:
        worker = subprocess.Popen(
            [*PREFECT, "worker", "start", "--pool", "boz-drives"],
            cwd=tmp_path, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    try:
        disc = disc_factory("SAMPLE_SHOW_S1_D1")
        run = run_deployment(
            "disc_to_library/disc-to-library",
            parameters={"source": str(disc), "request": {"auto_approve": True}},
            timeout=240,
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # workers may ignore SIGTERM
            worker.wait()
    assert run.state is not None and run.state.is_completed(), worker_log.read_text()[-3000:]
    assert library_files(boz_home) == [
        f"TV/Sample Show/Season 01/Sample Show - S01E{n:02d}.mkv" for n in (1, 2, 3)
    ]
    assert {j["flow_run_id"] for j in boz_json("jobs")} == {str(run.id)}
