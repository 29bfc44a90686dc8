"""Preview: decide what the disc is and what each title becomes, before anything is ripped.

The same planning serves the first proposal, a re-insert of a known disc (which keeps
its numbers and selection) and the operator's decision (which may change the show,
the season, the first episode or the selection).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from boz.db import seasons, store
from boz.db.engine import Database
from boz.errors import NeedsDecision
from boz.models import (
    Decision,
    Disc,
    DiscKind,
    DiscStatus,
    JobKind,
    PlannedTitle,
    Preview,
    PreviewStatus,
    RipRequest,
    Title,
    TitleRole,
)
from boz.pipeline.labels import parse_label
from boz.pipeline.naming import destination


@dataclass(frozen=True)
class Identity:
    kind: DiscKind
    show: str | None
    season: int | None
    movie_title: str | None
    year: int | None


def classify(titles: list[Title], kind: DiscKind, min_seconds: int) -> dict[int, TitleRole]:
    """Roles by length: long titles are episodes (TV) or the main feature (the longest)."""
    long = [t for t in titles if t.duration_s >= min_seconds]
    roles = {t.index: TitleRole.extra for t in titles}
    if kind is DiscKind.movie or (kind is DiscKind.unknown and len(long) == 1):
        if long:
            main = max(long, key=lambda t: (t.duration_s, t.chapters, -t.index))
            roles[main.index] = TitleRole.main_feature
    else:
        roles.update({t.index: TitleRole.episode for t in long})
    return roles


def _identity(disc: Disc, overrides: RipRequest | Decision, min_seconds: int) -> Identity:
    """Operator input wins, then what an earlier preview stored, then the label."""
    guess = parse_label(disc.label)
    kind = getattr(overrides, "kind", DiscKind.unknown)
    if kind is DiscKind.unknown:
        if overrides.show:
            kind = DiscKind.tv
        elif overrides.movie_title:
            kind = DiscKind.movie
        elif disc.kind is not DiscKind.unknown:
            kind = disc.kind
        elif guess.kind is not DiscKind.unknown:
            kind = guess.kind
        else:
            long = sum(t.duration_s >= min_seconds for t in disc.titles)
            if long == 1:
                kind = DiscKind.movie
            elif long > 1 and guess.disc is not None:
                kind = DiscKind.tv  # a numbered disc with several features: a box set
    if kind is DiscKind.tv:
        show = overrides.show or disc.show or guess.show
        season = next(
            (s for s in (overrides.season, disc.season, guess.season) if s is not None), 1
        )
        return Identity(kind, show, season, None, overrides.year or disc.year)
    if kind is DiscKind.movie:
        title = overrides.movie_title or disc.movie_title or guess.title
        return Identity(kind, None, None, title, overrides.year or disc.year or guess.year)
    return Identity(kind, None, None, None, None)


def _plan(
    s: Session,
    disc_id: int,
    overrides: RipRequest | Decision,
    min_seconds: int,
    selection: list[int] | None,
) -> None:
    disc = store.get_disc(s, disc_id)
    ident = _identity(disc, overrides, min_seconds)
    decided = all(t.role is not None for t in disc.titles) and ident.kind is disc.kind
    if decided:
        roles = {t.index: t.role for t in disc.titles}
        chosen = {t.index for t in disc.titles if t.selected}
    else:
        roles = classify(disc.titles, ident.kind, min_seconds)
        wanted = (TitleRole.episode, TitleRole.main_feature)
        chosen = {i for i, r in roles.items() if r in wanted}
    if selection is not None:
        chosen = set(selection)
    store.set_title_plan(s, disc_id, {i: (r, i in chosen) for i, r in roles.items()})
    store.update_disc(
        s,
        disc_id,
        kind=ident.kind,
        show=ident.show,
        season=ident.season,
        movie_title=ident.movie_title,
        year=ident.year,
    )
    if ident.kind is DiscKind.tv and ident.show and ident.season is not None:
        episodes = [
            t for t in disc.titles if t.index in chosen and roles[t.index] is TitleRole.episode
        ]
        seasons.assign(
            s,
            disc_id=disc_id,
            show=ident.show,
            season=ident.season,
            title_ids=[t.id for t in episodes if t.id is not None],
            first_episode=overrides.first_episode,
        )
    else:
        seasons.release(s, disc_id)


def build_preview(s: Session, disc_id: int, library: Path) -> Preview:
    disc = store.get_disc(s, disc_id)
    planned = []
    for t in disc.titles:
        dest = destination(disc, t)
        placed = store.finished_output(s, t.id, JobKind.organize) if t.id else None
        planned.append(
            PlannedTitle(
                **t.model_dump(),
                destination=str(dest) if dest else None,
                in_library=placed is not None and dest is not None and placed == library / dest,
            )
        )
    return Preview(disc=disc, titles=planned)


def propose(
    db: Database, disc_id: int, request: RipRequest, *, min_seconds: int, library: Path
) -> Preview:
    with db.session() as s:
        before = store.get_disc(s, disc_id)
        _plan(s, disc_id, request, min_seconds, selection=None)
        store.update_disc(s, disc_id, preview_status=PreviewStatus.proposed)
        proposal = build_preview(s, disc_id, library)
    if before.preview_status is not PreviewStatus.none:
        seen = f"seen before on {before.first_seen:%Y-%m-%d}, status {before.status.value}"
        if before.status is DiscStatus.done and not request.again:
            seen += ": not ripping it again (pass --again to rip what is missing from the library)"
        proposal.notes.append(seen)
    return proposal


def decide(
    db: Database, disc_id: int, decision: Decision, *, min_seconds: int, library: Path
) -> Preview:
    """Apply the operator's decision; a rejection gives the disc's episode numbers back."""
    with db.session() as s:
        if not decision.approve:
            seasons.release(s, disc_id)
            store.set_disc_status(
                s, disc_id, DiscStatus.rejected, preview_status=PreviewStatus.rejected
            )
            return build_preview(s, disc_id, library)
        _plan(s, disc_id, decision, min_seconds, selection=decision.titles)
        preview = build_preview(s, disc_id, library)
        missing = [t.index for t in preview.selected if t.destination is None]
        if preview.disc.kind is DiscKind.unknown or missing:
            raise NeedsDecision(
                f"disc {preview.disc.label}: cannot name its titles; say what it is with "
                "--show NAME --season N, or --movie TITLE --year YEAR"
            )
        store.set_disc_status(
            s, disc_id, DiscStatus.approved, preview_status=PreviewStatus.approved
        )
        return build_preview(s, disc_id, library)
