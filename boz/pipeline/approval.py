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


def artifact_key(disc_id: int, what: str) -> str:
    """A Prefect artifact key for a disc (keys allow only lowercase letters, digits, dashes)."""
    return f"disc-{disc_id}-{what}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def preview_rows(preview: Preview) -> list[dict[str, object]]:
    """One row per title, as the preview table shows it (the run's table artifact).

    No role, episodes or destination is an empty cell: the Prefect UI renders each cell as
    markdown, where a lone "-" becomes a bullet.
    """
    return [
        {
            "index": t.index,
            "duration": _duration(t.duration_s),
            "size": f"{t.size_bytes / 1e6:.1f} MB",
            "chapters": t.chapters,
            "role": t.role.value if t.role else "",
            "selected": t.selected,
            "episodes": ",".join(str(n) for n in t.episodes),
            "destination": t.destination or "",
        }
        for t in preview.titles
    ]


def summary_markdown(preview: Preview) -> str:
    """The disc, what it is taken for, the notes and the titles (selected ones in bold)."""
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
    for row in preview_rows(preview):
        mark = "**" if row["selected"] else ""
        lines.append(
            f"| {mark}{row['index']}{mark} | {row['duration']} | {row['size']} "
            f"| {row['chapters']} | {row['role'] or '-'} | {row['episodes'] or '-'} "
            f"| {row['destination'] or '-'} |"
        )
    lines += ["", "Selected titles are in bold."]
    return "\n".join(lines)


def form_description(preview: Preview) -> str:
    """The markdown above the approval form: the summary and what to do."""
    return summary_markdown(preview) + " Edit the fields below, then submit."


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
