"""prefect.yaml: the deployments operators edit, one per kind of host."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_prefect_yaml_declares_a_deployment_per_pool() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {"disc-to-library", "transcode-title"}
    rip, transcode = deployments["disc-to-library"], deployments["transcode-title"]
    assert rip["entrypoint"] == "boz.flows.disc_to_library:disc_to_library"
    assert rip["work_pool"]["name"] == "boz-drives"
    # a drive host's runs hand their titles to the transcode pool
    assert rip["work_pool"]["job_variables"]["env"] == {
        "BOZ_TRANSCODE_DEPLOYMENT": "transcode_title/transcode-title"
    }
    assert transcode["entrypoint"] == "boz.flows.transcode_title:transcode_title"
    assert transcode["work_pool"]["name"] == "boz-transcode"
