"""The approval step: a Prefect pause with a typed form, or the proposal when auto-approved."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run

from boz.db.engine import open_database
from boz.models import Decision, Preview
from boz.pipeline import approval
from boz.pipeline.preview import Planner
from boz.settings import Settings


class ApprovalForm(Decision, RunInput):
    """The Resume form in the Prefect UI; ``boz approve`` sends the same fields."""


def publish_preview(proposal: Preview, how: str) -> None:
    """The plan on the flow run's Artifacts tab: a table of titles and the summary. Published
    again under the same keys once decided, so the latest version is what gets ripped."""
    disc = proposal.disc
    assert disc.id is not None
    create_table_artifact(
        table=approval.preview_rows(proposal),
        key=approval.artifact_key(disc.id, "preview"),
        description=f"Titles of disc {disc.label} (id {disc.id}), {how}",
    )
    create_markdown_artifact(
        markdown=approval.summary_markdown(proposal),
        key=approval.artifact_key(disc.id, "summary"),
        description=f"Preview of disc {disc.label} (id {disc.id}), {how}",
    )


@task(name="await_approval", cache_policy=NONE, retries=0)
def await_approval(proposal: Preview, auto_approve: bool, settings: Settings) -> Preview:
    db = open_database(settings.db_url)
    publish_preview(proposal, "auto-approved" if auto_approve else "proposed, awaiting approval")
    if auto_approve:
        answer = proposal.decision()
    else:
        disc_id = proposal.disc.id
        assert disc_id is not None
        approval.mark_awaiting(db, disc_id, flow_run.get_id())
        form = ApprovalForm.with_initial_data(
            description=approval.form_description(proposal), **proposal.decision().model_dump()
        )
        answer = pause_flow_run(
            wait_for_input=form,
            timeout=settings.approval_timeout_seconds,
            poll_interval=settings.approval_poll_seconds,
        )
    assert proposal.disc.id is not None
    decision = Decision.model_validate(answer.model_dump(include=set(Decision.model_fields)))
    plan = Planner.for_settings(settings, db).decide(proposal.disc.id, decision)
    if not auto_approve:
        publish_preview(plan, "as decided by the operator")
    return plan
