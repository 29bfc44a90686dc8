"""TV season counters: disc 2 of a season continues where disc 1 stopped.

``tv_episodes`` has one row per (season, number), so two discs never hold the same
episode, and a disc previewed again keeps its numbers. Allocation happens inside the
caller's transaction under two row locks on PostgreSQL (on SQLite the transaction holds
the write lock from BEGIN IMMEDIATE): the disc's, so two previews of one disc cannot
both find it without numbers, and the season's, taken by the statement that moves the
counter.

Every preview of a season queues on the season's lock, so it is taken last and held for
as little as possible: the counter moves, the episodes go in, the caller commits. On
PostgreSQL a disc that holds no numbers yet (nearly every preview) gets them in one
round trip, a function that takes both locks; a proposal calls it as a statement that is
its own transaction (``append_alone``), so the season's lock is held for no round trip
at all, not even the COMMIT's. Moving the counter needs no look at the
numbers held, because every path here keeps the counter at or above the highest of
them; only ``first_episode``, which can land on held numbers, reads them, under the
lock. Core statements throughout: no ORM objects to build, flush or keep in sync.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from sqlalchemy import (
    Row,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from boz.db.tables import DiscRow, EpisodeRow, SeasonRow, TitleRow, insert_or_skip
from boz.errors import EpisodeConflict

DISCS: Table = DiscRow.__table__  # type: ignore[assignment]
SEASONS: Table = SeasonRow.__table__  # type: ignore[assignment]
EPISODES: Table = EpisodeRow.__table__  # type: ignore[assignment]


def _lock_disc_find_season(session: Session, disc_id: int, show: str, season: int) -> int:
    """The season's id (its row created if new), with the disc's row locked until the
    transaction ends: one statement when the season exists.

    FOR NO KEY UPDATE, so rows that only reference the disc are not held up. What the
    disc holds is read by a statement of its own after this one: a statement that waited
    for a lock sees the locked row as it is now but every joined row as it was when the
    statement began (READ COMMITTED), so a join here would miss episodes that the
    preview we waited for has just committed.
    """
    season_id = session.scalar(
        select(SEASONS.c.id)
        .select_from(
            DISCS.outerjoin(SEASONS, and_(SEASONS.c.show == show, SEASONS.c.season == season))
        )
        .where(DISCS.c.id == disc_id)
        .with_for_update(of=DISCS, key_share=True)
    )
    if season_id is not None:
        return season_id
    session.execute(
        insert_or_skip(session, SEASONS)
        .values(show=show, season=season, last_episode_assigned=0)
        .on_conflict_do_nothing(index_elements=[SEASONS.c.show, SEASONS.c.season])
    )
    return session.scalars(
        select(SEASONS.c.id).where(SEASONS.c.show == show, SEASONS.c.season == season)
    ).one()


def release(session: Session, disc_id: int) -> None:
    """Give a disc's numbers back; a season's counter drops only past numbers nobody holds."""
    # The disc's lock, as ``assign`` takes it: an allocation for this disc still in flight
    # commits first, and its numbers are given back too.
    session.execute(select(DISCS.c.id).where(DISCS.c.id == disc_id).with_for_update(key_share=True))
    season_ids = set(
        session.scalars(select(EPISODES.c.season_id).where(EPISODES.c.disc_id == disc_id))
    )
    if not season_ids:
        return
    session.execute(delete(EPISODES).where(EPISODES.c.disc_id == disc_id))
    for season_id in season_ids:
        # Locked first, so the highest number is read after allocations in flight commit.
        session.execute(select(SEASONS.c.id).where(SEASONS.c.id == season_id).with_for_update())
        highest = (
            select(func.coalesce(func.max(EPISODES.c.number), 0))
            .where(EPISODES.c.season_id == season_id)
            .scalar_subquery()
        )
        session.execute(
            update(SEASONS).where(SEASONS.c.id == season_id).values(last_episode_assigned=highest)
        )


def assign(
    session: Session,
    *,
    disc_id: int,
    show: str,
    season: int,
    title_ids: Sequence[int],
    first_episode: int | None = None,
    counts: Sequence[int] | None = None,
    numbers: Sequence[int] | None = None,
) -> dict[int, list[int]]:
    """Episode numbers for ``title_ids`` (in episode order): ``counts`` of them per title
    (two for a double episode), one each by default.

    Keeps the disc's existing numbers when they already cover exactly these titles in
    this season (and match ``first_episode`` or ``numbers`` if given); otherwise releases
    them and allocates again: ``numbers`` exactly as given (one per slot, as a record of
    the disc says, gaps and all), else a run from ``first_episode`` or the counter.
    """
    counts = list(counts) if counts is not None else [1] * len(title_ids)
    slots = [tid for tid, n in zip(title_ids, counts, strict=True) for _ in range(n)]
    if numbers is not None and len(numbers) != len(slots):
        raise ValueError(f"{len(numbers)} numbers for {len(slots)} episode slots")
    if numbers is None and first_episode is None and slots and _postgresql(session):
        added = _append_new_disc(session.connection(), disc_id, show, season, slots)
        if added:
            return _by_title(added)
    season_id = _lock_disc_find_season(session, disc_id, show, season)
    held = session.execute(
        select(EPISODES.c.season_id, EPISODES.c.title_id, EPISODES.c.number)
        .where(EPISODES.c.disc_id == disc_id)
        .order_by(EPISODES.c.number)
    ).all()
    if held:
        same_titles = [e.title_id for e in held] == slots
        same_place = all(e.season_id == season_id for e in held)
        if numbers is not None:
            unchanged = [e.number for e in held] == list(numbers)
        else:
            unchanged = first_episode is None or held[0].number == first_episode
        if same_titles and same_place and unchanged:
            return _by_title((e.title_id, e.number) for e in held)
        release(session, disc_id)
    if not title_ids:
        return {}
    if numbers is not None:
        added = _insert(session, season_id, disc_id, slots, _take(session, season_id, numbers))
    elif first_episode is None:
        added = _append(session, season_id, disc_id, slots)
    else:
        wanted = range(first_episode, first_episode + len(slots))
        added = _insert(session, season_id, disc_id, slots, _take(session, season_id, wanted))
    return _by_title(sorted(added, key=lambda pair: pair[1]))


def _insert(
    session: Session, season_id: int, disc_id: int, slots: list[int], numbers: list[int]
) -> list[tuple[int, int]]:
    """``slots`` (title ids) hold ``numbers``, in order: ``(title id, number)`` pairs."""
    added = list(zip(slots, numbers, strict=True))
    # Parameter sets, not a multi-row VALUES: the statement is compiled once per process
    # and sent in one round trip (a pipeline on PostgreSQL), no ids read back.
    session.execute(
        insert(EPISODES),
        [dict(season_id=season_id, number=n, disc_id=disc_id, title_id=t) for t, n in added],
    )
    return added


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def append_alone(
    engine: Engine,
    *,
    disc_id: int,
    show: str,
    season: int,
    title_ids: Sequence[int],
    counts: Sequence[int],
) -> dict[int, list[int]]:
    """On PostgreSQL, a disc that holds no numbers gets the season's next ones (``counts``
    per title, in order) in one statement that commits on its own, returned by title id as
    ``assign`` returns them; elsewhere, or when the disc holds numbers, nothing happens
    (an empty answer) and ``assign`` decides.

    Inside a transaction the season's lock is held from the counter's move until the
    COMMIT comes back, a round trip in which a busy host's client may wait for a CPU:
    benchmarks/allocate.py, 8 processes on 2 cores, p99 20-23 ms for the function in a
    transaction of psycopg alone, 8-12 ms for it alone. The numbers stay with the disc if
    the caller's transaction fails afterwards, as they would once it committed: the next
    preview of the disc finds them. The caller must not have written to the disc's row in
    a transaction still open: this statement waits for that row's lock.
    """
    slots = [tid for tid, n in zip(title_ids, counts, strict=True) for _ in range(n)]
    if not slots or engine.dialect.name != "postgresql":
        return {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return _by_title(_append_new_disc(connection, disc_id, show, season, slots))


def _append_new_disc(
    connection: Connection, disc_id: int, show: str, season: int, slots: list[int]
) -> list[tuple[int, int]]:
    """On PostgreSQL, the season's next numbers for a disc that holds none, in one round
    trip (the function ``boz_append_episodes``, migration 0007): the disc's lock, the look
    at what it holds, the season found or made, the counter moved and the episodes
    inserted. Nothing when the disc already holds numbers: the general path decides.

    Every preview of a season queues on the counter's lock, and on a busy host each round
    trip is also a wait for a CPU. benchmarks/allocate.py, 8 processes on 2 cores: p50
    10-18 ms with three statements, 7-9 ms with one (psycopg alone: 4.5-5); one process:
    4.2 ms, 1.3 ms. A plain driver statement: building and caching a SQLAlchemy
    construct for it cost more than the call (p50 10-12 ms).
    """
    rows = connection.exec_driver_sql(
        "SELECT slot_title, slot_number FROM boz_append_episodes(%s, %s, %s, %s)",
        (disc_id, show, season, slots),
    ).all()
    return sorted(((t, n) for t, n in rows), key=lambda pair: pair[1])


def _append(
    session: Session, season_id: int, disc_id: int, slots: list[int]
) -> list[tuple[int, int]]:
    """``slots`` get the season's next numbers; its row stays locked until the transaction
    ends."""
    count = len(slots)
    last = session.scalars(
        update(SEASONS)
        .where(SEASONS.c.id == season_id)
        .values(last_episode_assigned=SEASONS.c.last_episode_assigned + count)
        .returning(SEASONS.c.last_episode_assigned)
    ).one()
    return _insert(session, season_id, disc_id, slots, list(range(last - count + 1, last + 1)))


def _take(session: Session, season_id: int, numbers: Sequence[int]) -> list[int]:
    """``numbers`` if no other disc holds any; the counter moves up to them (never down)."""
    season = session.execute(
        select(SEASONS.c.show, SEASONS.c.season, SEASONS.c.last_episode_assigned)
        .where(SEASONS.c.id == season_id)
        .with_for_update()
    ).one()
    taken = session.scalars(
        select(EPISODES.c.number)
        .where(EPISODES.c.season_id == season_id, EPISODES.c.number.in_(numbers))
        .order_by(EPISODES.c.number)
    ).all()
    if taken:
        listed = ", ".join(f"E{n:02d}" for n in taken)
        raise EpisodeConflict(
            f"{season.show} season {season.season}: {listed} already belong to another disc; "
            f"choose another first episode (the counter is at {season.last_episode_assigned})"
        )
    if max(numbers) > season.last_episode_assigned:
        session.execute(
            update(SEASONS)
            .where(SEASONS.c.id == season_id)
            .values(last_episode_assigned=max(numbers))
        )
    return numbers


def _by_title(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """``(title id, number)`` pairs, in number order, as each title's numbers."""
    numbers: dict[int, list[int]] = {}
    for title_id, number in pairs:
        numbers.setdefault(title_id, []).append(number)
    return numbers


def _season(session: Session, show: str, season: int) -> Row[tuple[int, int]] | None:
    """The season's id and counter, read from the table (not a possibly stale ORM row)."""
    return session.execute(
        select(SEASONS.c.id, SEASONS.c.last_episode_assigned).where(
            SEASONS.c.show == show, SEASONS.c.season == season
        )
    ).first()


def next_number(
    session: Session, show: str, season: int, disc_id: int, first_episode: int | None
) -> int:
    """The number this disc's first episode will get (read only: ``assign`` decides)."""
    if first_episode is not None:
        return first_episode
    row = _season(session, show, season)
    if row is None:
        return 1
    held = session.scalar(
        select(func.min(EPISODES.c.number)).where(
            EPISODES.c.season_id == row.id, EPISODES.c.disc_id == disc_id
        )
    )
    return held if held is not None else row.last_episode_assigned + 1


def gaps(session: Session, show: str, season: int) -> list[int]:
    """Numbers below the counter that no disc holds (given back out of order)."""
    row = _season(session, show, season)
    if row is None:
        return []
    held = set(session.scalars(select(EPISODES.c.number).where(EPISODES.c.season_id == row.id)))
    return [n for n in range(1, row.last_episode_assigned + 1) if n not in held]


def name_episodes(session: Session, disc_id: int, name: Callable[[int], str | None]) -> None:
    for row in session.scalars(select(EpisodeRow).where(EpisodeRow.disc_id == disc_id)):
        row.name = name(row.number)


@dataclass(frozen=True)
class History:
    """What the season's episodes on other discs were like: how long (median of single
    episodes), on how many titles and discs that rests, and the subtitle languages most of
    them carried."""

    seconds: float
    episodes: int
    discs: int
    subtitles: frozenset[str]


def episode_history(session: Session, show: str, season: int, disc_id: int) -> History | None:
    """The season's single episodes on other discs, if any were seen (season 0, the
    specials, is a season of its own and never mixes in)."""
    singles = (
        select(EpisodeRow.title_id)
        .join(SeasonRow, SeasonRow.id == EpisodeRow.season_id)
        .where(SeasonRow.show == show, SeasonRow.season == season)
        .where(EpisodeRow.disc_id != disc_id)
        .group_by(EpisodeRow.title_id)
        .having(func.count(EpisodeRow.id) == 1)
    )
    rows = session.execute(
        select(TitleRow.duration_s, TitleRow.disc_id, TitleRow.streams).where(
            TitleRow.id.in_(singles)
        )
    ).all()
    if not rows:
        return None
    languages = Counter(
        lang
        for row in rows
        for lang in {
            s.get("language") or "und" for s in row.streams if s.get("kind") == "subtitles"
        }
    )
    return History(
        seconds=median(row.duration_s for row in rows),
        episodes=len(rows),
        discs=len({row.disc_id for row in rows}),
        subtitles=frozenset(lang for lang, n in languages.items() if n > len(rows) / 2),
    )
