"""Notices sent from a run: what Apprise could not deliver goes to the run's log."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.runtime import flow_run
from prefect.settings import get_current_settings

from boz.notices import Notice, send
from boz.settings import Settings


def tell(settings: Settings, notice: Notice) -> None:
    for problem in send(settings.notify_to, notice):
        get_run_logger().warning("notice: %s", problem)


def run_link() -> str | None:
    """This flow run's page in the Prefect UI, when the API has a UI beside it."""
    ui = get_current_settings().ui_url
    return f"{ui.rstrip('/')}/runs/flow-run/{flow_run.get_id()}" if ui else None
