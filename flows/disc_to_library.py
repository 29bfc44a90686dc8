"""The drive host's flow: detect -> preview -> await approval -> rip each title, handing
each ripped title to ``transcode_title`` (transcode -> organize) as soon as it is off
the disc, so the drive moves on while titles transcode here or on other hosts."""

from __future__ import annotations

from prefect import flow, tags
from prefect.exceptions import FlowPauseTimeout
from prefect.states import Cancelled, State

from boz import notices
from boz.db.engine import open_database
from boz.errors import DiscBusy
from boz.flows.handoff import Handoff
from boz.models import DiscStatus, Preview, RipRequest, StoredDecision
from boz.pipeline import lifecycle, run_labels
from boz.pipeline.organize import disc_outcome
from boz.settings import Settings
from boz.tasks.approval import await_approval
from boz.tasks.artifacts import publish_landed
from boz.tasks.notices import tell
from boz.tasks.runtime import current_runner, label_run
from boz.tasks.steps import (
    decide_disc,
    detect_disc,
    preflight_titles,
    preview_disc,
    rip_title,
)


@flow(name="disc_to_library", flow_run_name="{source}")
def disc_to_library(
    source: str,
    request: RipRequest | None = None,
    resume: StoredDecision | None = None,
) -> Preview | State:
    """Rip ``source`` into the library; with ``resume``, carry out a decision on a disc that
    was previewed before (its paused run is gone) without reading the disc again.

    A rejected disc ends the run Cancelled: in the UI, nothing ran to completion."""
    request = request or RipRequest()
    settings = Settings.with_library(request.library)  # this host's environment
    db = open_database(settings.db_url)
    disc_id = resume.disc_id if resume else detect_disc(source, settings).id
    assert disc_id is not None
    handoff = Handoff(settings, request.library, request.profile)
    handoff.warm_up()
    notes: list[str] = []
    try:
        with lifecycle.owning(db, disc_id, current_runner(settings)):
            if resume is not None:
                plan = decide_disc(disc_id, resume.decision, settings)
            else:
                proposal = preview_disc(disc_id, request, settings)
                notes = proposal.notes
                label_run(proposal.disc, settings.host_name)  # the paused run says what it is
                if proposal.ripped_before and not request.again:
                    return proposal  # its note says how to rip it again
                plan = await_approval(proposal, request, settings)
            if plan.disc.status is DiscStatus.rejected:
                return Cancelled(message=f"disc {plan.disc.label} rejected: nothing ripped")
            run_tags = label_run(plan.disc, settings.host_name)
            preflight_titles(plan.to_rip, settings, request.profile)
            ripped = False
            try:
                with tags(*run_tags):
                    for n, title in enumerate(plan.to_rip, start=1):
                        position = (n, len(plan.to_rip))  # "title 2 of 3" in the progress
                        rip = rip_title.with_options(
                            task_run_name=run_labels.step_name("rip", plan.disc, title)
                        )
                        rip(disc_id, title.index, settings, position)
                        handoff.submit(disc_id, title.index, position, run_tags)
                ripped = True
            finally:
                lifecycle.drive_free(db, disc_id, ripped=ripped)
        handoff.wait()
    except (FlowPauseTimeout, DiscBusy):
        raise  # nobody answered (the disc stays awaiting approval), or another run has it
    except Exception as exc:
        handoff.wait_quietly()
        reason = str(exc) or type(exc).__name__
        lifecycle.fail(db, disc_id, reason)
        tell(settings, notices.failed(disc_id, reason))
        raise
    final = disc_outcome(db, disc_id, settings.library_dir, ids=settings.library_ids)
    publish_landed(final)
    tell(settings, notices.done(final))
    return final.model_copy(update={"notes": notes})
