"""The approval step: a Prefect pause with a typed form, or the proposal when auto-approved."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NONE
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import Field, create_model

from boz import notices
from boz.db.engine import open_database
from boz.errors import BadDecision, EpisodeConflict, NeedsDecision
from boz.models import AutoApprove, Decision, Preview, RipRequest
from boz.pipeline import approval
from boz.pipeline.preview import Planner
from boz.settings import Settings
from boz.tasks.artifacts import publish_preview
from boz.tasks.notices import run_link, tell

REFUSABLE = (BadDecision, NeedsDecision, EpisodeConflict)
"""What an answer can get wrong: the run says so and asks again."""


class ApprovalForm(Decision, RunInput):
    """The Resume form in the Prefect UI; ``boz approve`` sends the same fields."""


def approval_form(proposal: Preview, refused: str | None) -> type[ApprovalForm]:
    """The form for this disc: its summary and its titles' table in the descriptions of
    the first fields, where the Resume dialog shows them at any height (the dialog squeezes
    the form's own description to nothing once the fields fill it)."""
    initial = proposal.decision().model_dump(mode="json")
    described = {
        "approve": approval.about_disc(proposal, refused),
        "titles": approval.titles_markdown(proposal),
    }
    fields = {
        name: (info.annotation, Field(default=initial[name],
                                      description=described.get(name, info.description)))
        for name, info in Decision.model_fields.items()
    }  # fmt: skip
    # Not RunInput.with_initial_data: it keeps each field's type but drops its description.
    form = create_model("ApprovalForm", __base__=ApprovalForm, **fields)  # type: ignore[call-overload]
    form._description = approval.form_description(proposal)
    return form  # type: ignore[no-any-return]


@task(name="await_approval", cache_policy=NONE, retries=0)
def await_approval(proposal: Preview, request: RipRequest, settings: Settings) -> Preview:
    """The plan to rip: the proposal under ``--yes``, or under ``--auto LEVEL`` when it is
    that sure, and when it names every selected title (otherwise the operator is asked
    after all); else the operator's answer, asked again with the reason until it can be
    carried out."""
    db = open_database(settings.db_url)
    planner = Planner.for_settings(settings, db)
    disc_id = proposal.disc.id
    assert disc_id is not None
    refused = None
    auto_approve = request.auto_approve or request.auto.accepts(proposal.confidence)
    if not auto_approve and request.auto is not AutoApprove.off:
        refused = (f"not approved automatically: confidence {proposal.confidence} is below "
                   f"--auto {request.auto.value} ({'; '.join(proposal.reasons)})")  # fmt: skip
        get_run_logger().warning("disc %s %s; asking the operator", disc_id, refused)
    if auto_approve:
        approval.check_something_selected(proposal, settings.min_title_seconds)
        try:
            plan = planner.decide(disc_id, proposal.decision())
        except NeedsDecision as exc:
            refused = f"not approved automatically: {exc}"
            get_run_logger().warning("disc %s %s; asking the operator", disc_id, refused)
        else:
            publish_preview(plan, "auto-approved")
            return plan
    publish_preview(proposal, "proposed, awaiting approval")
    approval.mark_awaiting(db, disc_id, flow_run.get_id())
    tell(settings, notices.awaiting(proposal, run_link()))
    while True:
        form = approval_form(proposal, refused)
        answer = pause_flow_run(
            wait_for_input=form,
            timeout=settings.approval_timeout_seconds,
            poll_interval=settings.approval_poll_seconds,
        )
        decision = Decision.model_validate(answer.model_dump(include=set(Decision.model_fields)))
        try:
            plan = planner.decide(disc_id, decision)
        except REFUSABLE as exc:
            refused = f"your last answer was refused: {exc}"
            get_run_logger().warning("disc %s: %s; waiting for another", disc_id, refused)
            continue
        publish_preview(plan, "as decided by the operator")
        return plan
