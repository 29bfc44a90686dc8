"""``boz setup``: put on a Prefect server what the hosts need, idempotently.

The work pools that map to hardware (``boz-drives`` for hosts with drives,
``boz-transcode`` for transcode hosts), a concurrency limit per known drive, the
deployments of ``prefect.yaml``, and an automation that reschedules a crashed run of
those deployments, so a killed worker's run is finished by another. All of it is
Prefect's own machinery; running setup again changes nothing that is already there.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from prefect import get_client
from prefect.automations import Automation, EventTrigger, Posture
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import get_current_settings

from boz.drives.limits import drive_limit_name
from boz.errors import PrefectUnavailable

POOLS = {"boz-drives": "hosts with optical drives", "boz-transcode": "transcode hosts"}
FLOWS = ("disc_to_library", "transcode_title")
RESCHEDULE = "boz: reschedule crashed runs"
ZOMBIES = "boz: crash runs whose process is gone"
TRANSCODE_DEPLOYMENT = "transcode_title/transcode-title"


def checkout_with_prefect_yaml(cwd: Path) -> Path:
    """``prefect.yaml`` in the current folder, else in the checkout boz runs from."""
    for folder in (cwd, Path(__file__).resolve().parent.parent):
        if (folder / "prefect.yaml").is_file():
            return folder
    raise PrefectUnavailable(
        "boz setup deploys prefect.yaml from a checkout of boz-ripper: run it in the checkout"
    )


def _created(done: bool, what: str) -> str:
    return f"{'created' if done else 'exists '} {what}"


def ensure_pools() -> list[str]:
    lines = []
    with get_client(sync_client=True) as client:
        for name, about in POOLS.items():
            try:
                client.create_work_pool(
                    WorkPoolCreate(name=name, type="process", description=about)
                )
                lines.append(_created(True, f"work pool {name} ({about})"))
            except ObjectAlreadyExists:
                lines.append(_created(False, f"work pool {name}"))
    return lines


def ensure_drive_limit(name: str) -> bool:
    """One slot for the drive ``name``: one read per drive, whichever run asks. Whether
    it was created now."""
    with get_client(sync_client=True) as client:
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        except ObjectAlreadyExists:
            return False
    return True


def ensure_drive_limits(drives: list[tuple[str, str]]) -> list[str]:
    """The limits of the drives the catalog knows (``(host, device)``)."""
    names = filter(None, (drive_limit_name(host, f"dev:{device}") for host, device in drives))
    return [
        _created(done, f"concurrency limit {name}" + (" (1 slot)" if done else ""))
        for name in names
        for done in [ensure_drive_limit(name)]
    ]


def ensure_reschedule_automation() -> list[str]:
    """A run of our deployments that crashed (its worker or host killed) goes back to
    Scheduled, and a worker of its pool runs it again: job claims and rows make the
    rerun finish the work without doing any of it twice."""
    return _ensure_automation(
        Automation(
            name=RESCHEDULE,
            description="Reschedule crashed runs of disc_to_library and transcode_title",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Crashed"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=[
                    {"prefect.resource.role": "flow", "prefect.resource.name": list(FLOWS)},
                    {"prefect.resource.role": "deployment"},
                ],
                for_each={"prefect.resource.id"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            actions=[
                ChangeFlowRunState(
                    state=StateType.SCHEDULED,
                    name="Rescheduled",
                    message="crashed: rescheduled by boz setup's automation",
                )
            ],
        )
    )


def ensure_zombie_automation() -> list[str]:
    """A run whose whole worker host died reports nothing; its missing heartbeats are
    how Prefect learns it crashed (three beats of PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    180 s by default: 30 s on workers is a good choice), and then the automation above
    reschedules it."""
    beat = get_current_settings().flows.heartbeat_frequency or 180
    ended = {f"prefect.flow-run.{s}" for s in ("Completed", "Failed", "Cancelled", "Crashed")}
    return _ensure_automation(
        Automation(
            name=ZOMBIES,
            description=f"No heartbeat for {3 * beat} s: the run's process is gone",
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={"prefect.flow-run.heartbeat", *ended},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related={
                    "prefect.resource.role": "flow",
                    "prefect.resource.name": list(FLOWS),
                },
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=3 * beat),
            ),
            actions=[
                ChangeFlowRunState(
                    state=StateType.CRASHED, message="no heartbeat: its process or host is gone"
                )
            ],
        )
    )


def _ensure_automation(automation: Automation) -> list[str]:
    """Create ``automation`` unless one of its name exists (operators may have edited it)."""
    with get_client(sync_client=True) as client:
        if client.read_automations_by_name(automation.name):
            return [_created(False, f"automation {automation.name!r}")]
    automation.create()
    return [_created(True, f"automation {automation.name!r}")]


def deploy(checkout: Path) -> list[str]:
    """``prefect deploy --all`` from the checkout the workers run."""
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        words = (done.stderr or done.stdout).strip().splitlines()
        raise PrefectUnavailable(
            f"prefect deploy --all failed in {checkout}: {words[-1] if words else done.returncode}"
        )
    return [f"deployed  {d} from {checkout}/prefect.yaml" for d in deployment_names(checkout)]


def deployment_names(checkout: Path) -> list[str]:
    import yaml

    config = yaml.safe_load((checkout / "prefect.yaml").read_text())
    return [
        f"{d['entrypoint'].rpartition(':')[2]}/{d['name']} (pool {d['work_pool']['name']})"
        for d in config.get("deployments", [])
    ]
