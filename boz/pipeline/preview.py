"""Preview: decide what the disc is and what each title becomes, before anything is ripped.

The same planning serves the first proposal, a re-insert of a known disc (which keeps
its numbers and selection) and the operator's decision (which may change the show,
the season, the first episode or the selection).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from boz.db import seasons, store, thediscdb
from boz.db.engine import Database
from boz.errors import EpisodeConflict, NeedsDecision
from boz.metadata.guide import Guide, SeasonGuide, tvdb_guide
from boz.metadata.thediscdb import title_key
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
from boz.pipeline import known_disc
from boz.pipeline.classify import Classification, classify_movie, classify_tv
from boz.pipeline.confidence import Evidence, assess
from boz.pipeline.decision import Resolved, resolve
from boz.pipeline.known_disc import KnownPlan
from boz.pipeline.labels import parse_label
from boz.pipeline.naming import destination, show_key
from boz.settings import Settings


@dataclass(frozen=True)
class Identity:
    kind: DiscKind
    show: str | None
    season: int | None
    movie_title: str | None
    year: int | None


def classify(titles: list[Title], kind: DiscKind, min_seconds: int, **tv: Any) -> Classification:
    """Movie rules for movies, TV rules (with ``tv``'s evidence) otherwise (an unknown disc
    with one long title is already a movie by ``_identity``)."""
    if kind is DiscKind.movie:
        return classify_movie(titles, min_seconds=min_seconds)
    return classify_tv(titles, min_seconds=min_seconds, **tv)


def _season_complete(guide: SeasonGuide | None, start: int, notes: list[str]) -> bool:
    """Earlier discs hold every episode TheTVDB lists for the season: what is left is a
    disc of extras (a drama's last disc of 25-minute featurettes, after the finale)."""
    if guide is None or not guide.episodes or start <= max(guide.episodes):
        return False
    notes.append(f"earlier discs hold all {max(guide.episodes)} episodes TheTVDB lists for "
                 "the season: a disc of extras")  # fmt: skip
    return True


def identity(
    disc: Disc, overrides: RipRequest | Decision, min_seconds: int, known: KnownPlan | None = None
) -> Identity:
    """Operator input wins, then what an earlier preview stored, then TheDiscDB's record of
    the disc, then the label."""
    guess = parse_label(disc.label)
    kind = getattr(overrides, "kind", DiscKind.unknown)
    if kind is DiscKind.unknown:
        if overrides.show:
            kind = DiscKind.tv
        elif overrides.movie_title:
            kind = DiscKind.movie
        elif disc.kind is not DiscKind.unknown:
            kind = disc.kind
        elif known is not None:
            kind = known.kind
        elif guess.kind is not DiscKind.unknown:
            kind = guess.kind
        else:
            long = sum(t.duration_s >= min_seconds for t in disc.titles)
            if long == 1:
                kind = DiscKind.movie
            elif long > 1 and guess.disc is not None:
                kind = DiscKind.tv  # a numbered disc with several features: a box set
    known = known if known is not None and known.kind is kind else None
    year = overrides.year or disc.year or (known.year if known else None)
    if kind is DiscKind.tv:
        show = overrides.show or disc.show or (known.name if known else None) or guess.show
        seasons_given = (overrides.season, disc.season, known.season if known else None,
                         guess.season)  # fmt: skip
        season = next((s for s in seasons_given if s is not None), 1)
        return Identity(kind, show, season, None, year)
    if kind is DiscKind.movie:
        title = (overrides.movie_title or disc.movie_title or (known.name if known else None)
                 or guess.title)  # fmt: skip
        return Identity(kind, None, None, title, year or guess.year)
    return Identity(kind, None, None, None, None)


def _plan(
    s: Session,
    disc_id: int,
    overrides: RipRequest | Decision,
    min_seconds: int,
    found: Lookup | None = None,
    *,
    keep_extras: bool,
    decided_by: Resolved | None = None,
) -> tuple[list[str], Evidence]:
    """Store roles, selection, identity and episode numbers; returns notes for the operator
    and what the proposal rests on (for its confidence).

    Season counters are keyed by the show's library name (``show_key``), not by the
    spelling typed: two spellings that land in one folder share one count.
    """
    disc = store.get_disc(s, disc_id)
    known = found.known if found else None
    ident = identity(disc, overrides, min_seconds, known)
    key = show_key(ident.show or "")
    decided = all(t.role is not None for t in disc.titles) and ident.kind is disc.kind
    notes: list[str] = []
    found_guide = found.season if found else None
    tv = ident.kind is DiscKind.tv and ident.show is not None and ident.season is not None
    year = ident.year or (found_guide.year if found_guide else None)
    year = year or (found.movie_year if found else None)
    first_episode = decided_by.first_episode if decided_by else overrides.first_episode
    if decided_by is not None or decided or (known is not None and known.kind is not ident.kind):
        known = None
    known_doubt = None
    known_numbers = None
    if known is not None and tv:
        if ident.season != known.season:
            known_doubt = (f"season {ident.season} given where TheDiscDB says season "
                           f"{known.season}: numbers from the season's count")  # fmt: skip
        elif first_episode is None:
            known_numbers = known.all_numbers
        elif known.all_numbers[:1] != [first_episode]:
            known_doubt = f"numbers from --first-episode {first_episode}, not TheDiscDB"
    start = (
        seasons.next_number(s, key, ident.season, disc_id, first_episode)  # type: ignore[arg-type]
        if tv
        else 1
    )
    extra_kinds = {t.index: t.extra_kind for t in disc.titles}
    typical_from = None
    looks_double: set[int] = set()
    known_names: dict[int, str | None] | None = None
    given_alone: dict[int, list[int]] = {}
    order_unsure = False
    unlike: set[int] = set()
    if decided_by is not None:
        roles = {t.index: t.role for t in disc.titles} | decided_by.roles
        chosen = decided_by.chosen
        order = decided_by.order
        counts = decided_by.counts
        extra_kinds |= decided_by.extra_kinds
    elif decided:
        roles = {t.index: t.role for t in disc.titles}
        chosen = {t.index for t in disc.titles if t.selected}
        numbered = sorted((t.episodes[0], t.index) for t in disc.titles if t.episodes)
        order = [i for _, i in numbered] or sorted(roles)
        counts = {t.index: len(t.episodes) for t in disc.titles if len(t.episodes) > 1}
    elif known is not None:
        roles, notes = dict(known.roles), list(known.notes)
        extra_kinds |= known.extra_kinds
        order = known.order or sorted(roles)
        counts = known.counts
        chosen = _chosen(roles, disc.titles, min_seconds, keep_extras=keep_extras)
        known_names = known.names
    else:
        history = seasons.episode_history(s, key, ident.season, disc_id) if tv else None  # type: ignore[arg-type]
        from_tvdb = found_guide.typical_s() if found_guide is not None else None
        typical = weight = None
        if history is not None and not (history.discs == 1 and from_tvdb):
            typical, weight, typical_from = history.seconds, history.episodes, "earlier discs"
        elif from_tvdb:  # TheTVDB's median runtime wins over one disc
            typical, typical_from = from_tvdb, "TheTVDB"
        extras_only = parse_label(disc.label).extras or _season_complete(found_guide, start, notes)
        runtimes = None
        if found_guide is not None:
            wanted = [found_guide.runtime_s(n) for n in range(start, start + len(disc.titles))]
            runtimes = [r for r in wanted if r is not None] or None
        found = classify(
            disc.titles,
            ident.kind,
            min_seconds,
            typical_s=typical,
            typical_weight=weight,
            runtimes_s=runtimes,
            extras_only=extras_only,
            episode_subtitles=history.subtitles if history else frozenset(),
        )
        roles, notes = found.roles, [*notes, *found.notes]
        order = found.episode_order or sorted(roles)
        # Two numbers for one title when TheTVDB's runtimes say so, or it cannot say.
        counts = dict.fromkeys(_confirmed_doubles(found, disc.titles, found_guide, start), 2)
        for index in two_part(found, found_guide):
            counts[index] = 2
            notes.append(f"title {index} runs twice an episode's length: a two-part episode, "
                         "given two numbers (TheTVDB could say otherwise)")  # fmt: skip
        looks_double = set(found.doubles)
        order_unsure = found.order_unsure
        unlike = found.unlike
        chosen = _chosen(roles, disc.titles, min_seconds, keep_extras=keep_extras)
        known_names = {}
    if tv:
        ids = {t.index: t.id for t in disc.titles}
        episodes = [i for i in order if i in chosen and roles[i] is TitleRole.episode]
        episodes += sorted(
            i for i in chosen if roles.get(i) is TitleRole.episode and i not in episodes
        )
        numbered = [i for i in episodes if ids[i] is not None]
        if decided_by is None and known_numbers is None and first_episode is None:
            # Before this transaction writes to the disc's row, which that statement locks;
            # never for a decision, which a dry run rolls back.
            given_alone = seasons.append_alone(
                s.get_bind(),  # type: ignore[arg-type]
                disc_id=disc_id,
                show=key,
                season=ident.season,  # type: ignore[arg-type]
                title_ids=[ids[i] for i in numbered],
                counts=[counts.get(i, 1) for i in numbered],
            )
    if known_names is not None:
        store.set_known_names(s, disc_id, known_names)
    store.set_title_plan(
        s, disc_id, {i: (r, i in chosen, extra_kinds.get(i)) for i, r in roles.items()}
    )
    store.update_disc(
        s,
        disc_id,
        kind=ident.kind,
        show=ident.show,
        season=ident.season,
        movie_title=ident.movie_title,
        year=year,
        tvdb_id=found_guide.series_id if found_guide else disc.tvdb_id,
    )
    if tv:

        def assign(exactly: list[int] | None) -> dict[int, list[int]]:
            return seasons.assign(
                s,
                disc_id=disc_id,
                show=key,
                season=ident.season,  # type: ignore[arg-type]
                title_ids=[ids[i] for i in numbered],
                first_episode=first_episode,
                counts=[counts.get(i, 1) for i in numbered],
                numbers=exactly,
            )

        try:
            given = given_alone or assign(known_numbers)
        except EpisodeConflict as held:
            if known_numbers is None:
                raise
            known_doubt = f"TheDiscDB's numbers are taken ({held}); numbered in a run"
            given = assign(None)
        if found_guide is not None:
            seasons.name_episodes(s, disc_id, found_guide.name)
        else:  # TheDiscDB's names, kept through the operator's changes
            names = known.names if known else {t.index: t.known_name for t in disc.titles}
            named = {given[t][0]: names.get(i) for i in numbered if (t := ids[i]) in given}
            seasons.name_episodes(s, disc_id, named.get)
        gaps = seasons.gaps(s, key, ident.season)  # type: ignore[arg-type]
        if gaps:
            listed = ", ".join(f"E{n:02d}" for n in gaps[:12]) + ("…" if len(gaps) > 12 else "")
            notes.append(
                f"season {ident.season} has numbers no disc holds ({listed}): given back by a "
                "rejected disc or skipped by --first-episode; --first-episode puts a disc there"
            )
    else:
        seasons.release(s, disc_id)
    evidence = Evidence(
        named_by_operator=bool(overrides.show or overrides.movie_title),
        typical_from=typical_from,
        doubles=len(looks_double | {i for i in chosen if counts.get(i, 1) > 1}),
        reordered=any("fit another order" in n for n in notes),
        order_unsure=order_unsure,
        first_disc=tv and first_episode is None and start == 1,
        label_disc=parse_label(disc.label).disc,
        unlike=frozenset(unlike),
        known=known.source if known is not None else None,
        known_doubt=known_doubt,
    )
    return notes, evidence


def _chosen(
    roles: dict[int, TitleRole], titles: list[Title], min_seconds: int, *, keep_extras: bool
) -> set[int]:
    """Episodes and the main feature; extras too when kept and not too short."""
    chosen = {i for i, r in roles.items() if r in (TitleRole.episode, TitleRole.main_feature)}
    if keep_extras:
        extras = [t for t in titles if roles.get(t.index) is TitleRole.extra]
        chosen |= {t.index for t in extras if t.duration_s >= min_seconds}
    return chosen


@dataclass(frozen=True)
class Lookup:
    season: SeasonGuide | None = None
    movie_year: int | None = None
    known: KnownPlan | None = None
    notes: tuple[str, ...] = ()


def _look_up(
    db: Database,
    disc_id: int,
    overrides: RipRequest | Decision,
    min_seconds: int,
    guide: Guide | None,
    *,
    with_known: bool = True,
) -> Lookup:
    """Find the disc in TheDiscDB's index, then ask TheTVDB, before the planning
    transaction: the TheTVDB lookup writes its cache."""
    with db.session() as s:
        disc = store.get_disc(s, disc_id)
        known, notes = _known(s, disc, min_seconds) if with_known else (None, [])
    ident = identity(disc, overrides, min_seconds, known)
    if guide is not None and ident.kind is DiscKind.tv and ident.show and ident.season is not None:
        return Lookup(season=guide(ident.show, ident.season), known=known, notes=tuple(notes))
    if guide is not None and ident.kind is DiscKind.movie and ident.movie_title and not ident.year:
        return Lookup(movie_year=guide.movie_year(ident.movie_title, None), known=known,
                      notes=tuple(notes))  # fmt: skip
    return Lookup(known=known, notes=tuple(notes))


def _known(s: Session, disc: Disc, min_seconds: int) -> tuple[KnownPlan | None, list[str]]:
    """TheDiscDB's plan for a disc read by makemkvcon (a folder of files has no layout
    to match), with the rules' roles for the titles the record leaves unnamed."""
    if disc.scan_minlength is None or not disc.titles:
        return None, []
    matches = thediscdb.find(s, [title_key(t) for t in disc.titles], disc.scan_minlength)
    if not matches:
        return None, []
    rules = classify(disc.titles, matches[0].disc.kind, min_seconds).roles
    return known_disc.plan(matches, [t.index for t in disc.titles], rules)


def two_part(found: Classification, guide: SeasonGuide | None) -> set[int]:
    """Double-length titles carry two numbers when TheTVDB cannot say.

    DVD seasons of hour-long dramas open with a feature-length pilot the season counts
    as E01-E02, and sitcom seasons end with a two-part finale in one title (a sitcom's
    season 6 DVD: S06E23-E24): numbering either once shifts every later number. A
    feature-length special counted once is what this gets wrong, so a double always
    leaves the proposal at medium confidence.
    """
    return set(found.doubles) if guide is None else set()


def _confirmed_doubles(
    found: Classification, titles: list[Title], guide: SeasonGuide | None, start: int
) -> set[int]:
    """Double-length titles whose next two episodes' runtimes add up to them."""
    if guide is None or not found.doubles:
        return set()
    length = {t.index: t.duration_s for t in titles}
    confirmed, number = set(), start
    for index in found.episode_order:
        one, two = guide.runtime_s(number), guide.runtime_s(number + 1)
        pair_fits = one and two and abs(one + two - length[index]) < abs(one - length[index])
        if index in found.doubles and pair_fits:
            confirmed.add(index)
            number += 1
        number += 1
    return confirmed


def build_preview(s: Session, disc_id: int, library: Path, *, ids: bool = False) -> Preview:
    """The disc and each title's library path; ``ids`` as organize names the show folder."""
    disc = store.get_disc(s, disc_id)
    planned = []
    for t in disc.titles:
        dest = destination(disc, t, ids=ids)
        placed = store.finished_output(s, t.id, JobKind.organize, library) if t.id else None
        planned.append(
            PlannedTitle(
                **t.model_dump(),
                destination=str(dest) if dest else None,
                in_library=placed is not None and dest is not None and placed == library / dest,
            )
        )
    return Preview(disc=disc, titles=planned)


def propose(
    db: Database,
    disc_id: int,
    request: RipRequest,
    *,
    min_seconds: int,
    library: Path,
    guide: Guide | None = None,
    keep_extras: bool = True,
    ids: bool = False,
) -> Preview:
    found = _look_up(db, disc_id, request, min_seconds, guide)
    with db.session() as s:
        before = store.get_disc(s, disc_id)
        notes, evidence = _plan(s, disc_id, request, min_seconds, found, keep_extras=keep_extras)
        store.update_disc(s, disc_id, preview_status=PreviewStatus.proposed)
        proposal = build_preview(s, disc_id, library, ids=ids)
    proposal.notes.extend([*found.notes, *notes])
    sure = assess(proposal, evidence)
    proposal.confidence, proposal.reasons = sure.level, sure.reasons
    problems = getattr(guide, "problems", None)
    if problems:
        proposal.notes += [
            f"{'' if p.startswith('TheTVDB') else 'TheTVDB: '}{p}; episode names stay generic"
            for p in problems
        ]
    if before.preview_status is not PreviewStatus.none:
        seen = f"seen before on {before.first_seen:%Y-%m-%d}, status {before.status.value}"
        if before.status is DiscStatus.done and not request.again:
            seen += ": not ripping it again (pass --again to rip what is missing from the library)"
        proposal.notes.append(seen)
    return proposal


def decide(
    db: Database,
    disc_id: int,
    decision: Decision,
    *,
    min_seconds: int,
    library: Path,
    guide: Guide | None = None,
    keep_extras: bool = True,
    ids: bool = False,
    dry_run: bool = False,
) -> Preview:
    """Apply the operator's decision; a rejection gives the disc's episode numbers back.

    ``dry_run`` checks the decision the one way that misses nothing, by carrying it out,
    and rolls it back: what it would plan, or the error that refuses it.
    """
    try:
        return _decide(db, disc_id, decision, min_seconds=min_seconds, library=library,
                       guide=guide, keep_extras=keep_extras, ids=ids, dry_run=dry_run)  # fmt: skip
    except _RolledBack as done:
        return done.preview


class _RolledBack(Exception):
    def __init__(self, preview: Preview) -> None:
        self.preview = preview


def _decide(
    db: Database,
    disc_id: int,
    decision: Decision,
    *,
    min_seconds: int,
    library: Path,
    guide: Guide | None,
    keep_extras: bool,
    ids: bool,
    dry_run: bool,
) -> Preview:
    found = _look_up(db, disc_id, decision, min_seconds, guide if decision.approve else None,
                     with_known=False)  # fmt: skip
    with db.session() as s:
        if not decision.approve:
            seasons.release(s, disc_id)
            store.set_disc_status(
                s, disc_id, DiscStatus.rejected, preview_status=PreviewStatus.rejected
            )
            if dry_run:
                raise _RolledBack(build_preview(s, disc_id, library, ids=ids))
            return build_preview(s, disc_id, library, ids=ids)
        disc = store.get_disc(s, disc_id)
        resolved = resolve(disc, decision, identity(disc, decision, min_seconds).kind)
        _plan(s, disc_id, decision, min_seconds, found, keep_extras=keep_extras,
              decided_by=resolved)  # fmt: skip
        preview = build_preview(s, disc_id, library, ids=ids)
        missing = [t.index for t in preview.selected if t.destination is None]
        if preview.disc.kind is DiscKind.unknown or missing:
            raise NeedsDecision(
                f"disc {preview.disc.label}: cannot name its titles; say what it is with "
                "--show NAME --season N, or --movie TITLE --year YEAR"
            )
        if dry_run:
            raise _RolledBack(preview)
        store.set_disc_status(
            s, disc_id, DiscStatus.approved, preview_status=PreviewStatus.approved
        )
        return build_preview(s, disc_id, library, ids=ids)


@dataclass(frozen=True)
class Planner:
    """What proposing and deciding need from a host's settings, gathered once."""

    db: Database
    min_seconds: int
    library: Path
    guide: Guide | None = None
    keep_extras: bool = True
    ids: bool = False

    @classmethod
    def for_settings(cls, settings: Settings, db: Database) -> Planner:
        return cls(db, settings.min_title_seconds, settings.library_dir, tvdb_guide(settings, db),
                   keep_extras=settings.keep_extras, ids=settings.library_ids)  # fmt: skip

    def propose(self, disc_id: int, request: RipRequest) -> Preview:
        return propose(self.db, disc_id, request, min_seconds=self.min_seconds,
                       library=self.library, guide=self.guide, keep_extras=self.keep_extras,
                       ids=self.ids)  # fmt: skip

    def decide(self, disc_id: int, decision: Decision, *, dry_run: bool = False) -> Preview:
        return decide(self.db, disc_id, decision, min_seconds=self.min_seconds,
                      library=self.library, guide=self.guide, keep_extras=self.keep_extras,
                      ids=self.ids, dry_run=dry_run)  # fmt: skip
