"""Approval, without Prefect: what the operator sees and what their answer becomes.

The pause itself is Prefect's (tasks/approval.py); the CLI's ``boz approve`` builds
the same Decision from the stored preview plus its flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boz.db import store
from boz.db.engine import Database
from boz.errors import BadDecision, NotAwaitingApproval, NothingToRip
from boz.models import (
    Decision,
    DiscStatus,
    ExtraKind,
    Preview,
    Role,
    TitleChoice,
    TitleRole,
)
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


def landed_rows(final: Preview) -> list[dict[str, object]]:
    """The run's last table: each selected title and the library file it became."""
    return [
        {
            "index": t.index,
            "role": t.role.value if t.role else "",
            "episodes": ",".join(str(n) for n in t.episodes),
            "status": "in library" if t.in_library else "not filed",
            "file": t.destination if t.in_library and t.destination else "",
        }
        for t in final.selected
    ]


def summary_markdown(preview: Preview) -> str:
    """The disc, what it is taken for, the notes and the titles (selected ones in bold)."""
    d = preview.disc
    lines = [
        f"### Disc `{d.label}` (id {d.id})",
        _identity_line(preview),
        *(
            [f"Confidence: **{preview.confidence}** ({'; '.join(preview.reasons)})"]
            if preview.confidence
            else []
        ),
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


def _identity_line(preview: Preview) -> str:
    d = preview.disc
    return (
        f"TV: **{d.show}** season {d.season}" if d.show
        else f"Movie: **{d.movie_title}** ({d.year or 'year unknown'})" if d.movie_title
        else "**unknown**: set kind and show/season or movie title"
    )  # fmt: skip


def form_description(preview: Preview) -> str:
    """One line above the form: the dialog shows it only while the form is short."""
    return f"Disc `{preview.disc.label}` (id {preview.disc.id}): {_identity_line(preview)}."


def about_disc(preview: Preview, refused: str | None) -> str:
    """The first field's description: what the disc is taken for, why the run asks, and
    the notes; always in view, as the form's fields are."""
    d = preview.disc
    lines = [f"**Disc `{d.label}`** (id {d.id}): {_identity_line(preview)}."]
    if preview.confidence:
        lines.append(f"Confidence **{preview.confidence}**: {'; '.join(preview.reasons)}.")
    if refused:
        lines.append(f"**{refused}**")
    lines += [f"- {n}" for n in preview.notes]
    lines.append("Turn off to reject the disc: nothing is ripped.")
    return "\n\n".join(lines)


def titles_markdown(preview: Preview) -> str:
    """The titles field's description: each title's length, proposed role and destination
    in the library, above the rows that change them."""
    lines = [
        "Set each title's role (episode, main feature, extra with its kind, skip). Episode "
        "numbers set the order and how many a title holds (two for a double); the run "
        "starts at First Episode.",
    ]  # a loose list, not a table: field descriptions render no tables, nor single newlines
    for row in preview_rows(preview):
        role = row["role"] if row["selected"] else f"skip ({row['role']})"
        episodes = f" E{row['episodes']}" if row["episodes"] else ""
        where = f" → {row['destination']}" if row["selected"] and row["destination"] else ""
        lines.append(f"- **title {row['index']}** ({row['duration']}): {role}{episodes}{where}")
    return "\n\n".join(lines)


def check_something_selected(preview: Preview, min_seconds: int) -> None:
    """Approving a proposal that selects nothing would end a run with nothing ripped and the
    disc called done: say why nothing was selected instead."""
    if preview.selected:
        return
    d = preview.disc
    longest = max((t.duration_s for t in preview.titles), default=0.0)
    if longest < min_seconds:
        cause = (
            f"all {len(preview.titles)} titles are shorter than BOZ_MIN_TITLE_SECONDS "
            f"({min_seconds} s; the longest is {_duration(longest)}): lower it, or"
        )
    else:
        roles = sorted({t.role.value for t in preview.titles if t.role})
        cause = f"no title was taken for an episode or feature (roles: {', '.join(roles)}):"
    raise NothingToRip(
        f"disc {d.label} (id {d.id}): nothing to rip: {cause} rip it without --yes and "
        "choose its titles"
    )


@dataclass(frozen=True)
class TitleEdits:
    """``boz approve``'s title options; None leaves the proposal as it is."""

    titles: list[int] | None = None  # rip these, in the roles proposed
    episodes: list[int] | None = None  # the disc's episodes, in this order
    extras: dict[int, ExtraKind] | None = None
    skip: list[int] | None = None


def edited_titles(preview: Preview, edits: TitleEdits) -> list[TitleChoice]:
    """The proposal's title choices with the operator's options applied.

    ``episodes`` is the complete list: proposed episodes not in it are skipped (unless
    named an extra), and the listed ones are numbered in the order given.
    """
    named: dict[int, str] = {}
    for option, indices in (("--episodes", edits.episodes), ("--extras", edits.extras),
                            ("--skip", edits.skip)):  # fmt: skip
        for i in indices or ():
            if i in named:
                raise BadDecision(f"title {i} is in both {named[i]} and {option}: give it one role")
            named[i] = option
    exists = [t.index for t in preview.titles]
    for i in [*named, *(edits.titles or ())]:
        if i not in exists:
            raise BadDecision(
                f"disc {preview.disc.label} has no title {i} (its titles are "
                f"{','.join(map(str, exists))})"
            )
    rows = {c.title: c for c in preview.decision().titles}
    if edits.titles is not None:
        proposed = {t.index: t.role for t in preview.titles}
        for i in edits.titles:
            rows[i] = _as_proposed(i, proposed.get(i), rows.get(i))
        for i in rows.keys() - set(edits.titles):
            rows[i] = rows[i].model_copy(update={"role": Role.skip})
    if edits.episodes is not None:
        for i, c in rows.items():
            if c.role is Role.episode:
                rows[i] = c.model_copy(update={"role": Role.skip, "episodes": []})
        listed = [TitleChoice(title=i, role=Role.episode) for i in edits.episodes]
        rows = {c.title: c for c in listed} | {i: c for i, c in rows.items()
                                              if i not in edits.episodes}  # fmt: skip
    for i, kind in (edits.extras or {}).items():
        rows[i] = TitleChoice(title=i, role=Role.extra, extra_kind=kind)
    for i in edits.skip or ():
        rows[i] = TitleChoice(title=i, role=Role.skip)
    return list(rows.values())


def _as_proposed(index: int, role: TitleRole | None, row: TitleChoice | None) -> TitleChoice:
    """A title ``--titles`` selects, in the role the preview gave it."""
    wanted = {TitleRole.episode: Role.episode, TitleRole.main_feature: Role.main_feature,
              TitleRole.extra: Role.extra}.get(role)  # type: ignore[arg-type]  # fmt: skip
    if row is None or wanted is None:
        what = f"is proposed as {role.value}" if role else "has no role"
        raise BadDecision(
            f"title {index} {what}: say what it is with --episodes {index} or --extras {index}:KIND"
        )
    return row if row.selected else row.model_copy(update={"role": wanted})


def pending_decision(
    db: Database, disc_id: int, library: Path, edits: TitleEdits, **changes: object
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
    given["titles"] = edited_titles(preview, edits)
    return disc.approval_flow_run_id, base.model_copy(update=given)
