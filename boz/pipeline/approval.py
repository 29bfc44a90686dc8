"""Approval, without Prefect: what the operator sees and what their answer becomes.

The pause itself is Prefect's (tasks/approval.py); the CLI's ``boz approve`` builds
the same Decision from the stored preview plus its flags.
"""

from __future__ import annotations

from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.errors import NotAwaitingApproval
from boz.models import Decision, DiscStatus, Preview
from boz.pipeline.preview import build_preview


def mark_awaiting(db: Database, disc_id: int, flow_run_id: str | None) -> None:
    with db.session() as s:
        store.set_disc_status(
            s, disc_id, DiscStatus.awaiting_approval, approval_flow_run_id=flow_run_id
        )


def summary_markdown(preview: Preview) -> str:
    d = preview.disc
    what = (
        f"TV: **{d.show}** season {d.season}" if d.show
        else f"Movie: **{d.movie_title}** ({d.year or 'year unknown'})" if d.movie_title
        else "**unknown**: set kind and show/season or movie title"
    )  # fmt: skip
    lines = [
        f"### Disc `{d.label}` (id {d.id})",
        f"{what}",
        *[f"- {n}" for n in preview.notes],
        "",
        "| title | duration | size | chapters | role | episodes | destination |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in preview.titles:
        eps = ",".join(str(n) for n in t.episodes) or "-"
        mark = "**" if t.selected else ""
        lines.append(
            f"| {mark}{t.index}{mark} | {t.duration_s / 60:.1f} min | {t.size_bytes / 1e6:.1f} MB "
            f"| {t.chapters} | {t.role.value if t.role else '-'} | {eps} | {t.destination or '-'} |"
        )
    lines += ["", "Selected titles are in bold. Edit the fields below, then submit."]
    return "\n".join(lines)


def pending_decision(
    db: Database, disc_id: int, library: Path, **changes: object
) -> tuple[str, Decision]:
    """The paused run to resume and the decision: the stored proposal with ``changes``."""
    with db.session() as s:
        preview = build_preview(s, disc_id, library)
    disc = preview.disc
    if disc.status is not DiscStatus.awaiting_approval or not disc.approval_flow_run_id:
        raise NotAwaitingApproval(
            f"disc {disc_id} ({disc.label}) is {disc.status.value}, not awaiting approval"
        )
    base = preview.decision()
    given = {k: v for k, v in changes.items() if v is not None}
    return disc.approval_flow_run_id, base.model_copy(update=given)
