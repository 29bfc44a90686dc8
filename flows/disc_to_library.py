"""The main flow: detect -> preview -> await approval -> rip -> transcode -> organize."""

from __future__ import annotations

from prefect import flow
from prefect.exceptions import FlowPauseTimeout

from boz.db.engine import open_database
from boz.models import DiscStatus, Preview, RipRequest, StoredDecision
from boz.pipeline.detect import mark_failed
from boz.pipeline.organize import finish_disc
from boz.settings import Settings
from boz.tasks.approval import await_approval
from boz.tasks.steps import (
    decide_disc,
    detect_disc,
    organize_title,
    preview_disc,
    rip_title,
    transcode_title,
)


@flow(name="disc_to_library", flow_run_name="{source}")
def disc_to_library(
    source: str,
    request: RipRequest | None = None,
    resume: StoredDecision | None = None,
) -> Preview:
    """Rip ``source`` into the library; with ``resume``, carry out a decision on a disc that
    was previewed before (its paused run is gone) without reading the disc again."""
    request = request or RipRequest()
    settings = Settings.with_library(request.library)  # this host's environment
    disc_id = resume.disc_id if resume else detect_disc(source, settings).id
    assert disc_id is not None
    notes: list[str] = []
    try:
        if resume is not None:
            plan = decide_disc(disc_id, resume.decision, settings)
        else:
            proposal = preview_disc(disc_id, request, settings)
            notes = proposal.notes
            if proposal.ripped_before and not request.again:
                return proposal  # its note says how to rip it again
            plan = await_approval(proposal, request.auto_approve, settings)
        if plan.disc.status is DiscStatus.rejected:
            return plan
        for title in plan.to_rip:
            ripped = rip_title(disc_id, title.index, settings)
            transcoded = transcode_title(disc_id, title.index, ripped, settings)
            organize_title(disc_id, title.index, transcoded, settings)
    except FlowPauseTimeout:
        raise  # nobody answered: the disc stays awaiting approval
    except Exception as exc:
        mark_failed(open_database(settings.db_url), disc_id, str(exc) or type(exc).__name__)
        raise
    final = finish_disc(open_database(settings.db_url), disc_id, settings.library_dir)
    return final.model_copy(update={"notes": notes})
