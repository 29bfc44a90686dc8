"""TV season counters: disc 2 of a season continues where disc 1 stopped.

Numbers are allocated inside the caller's transaction with the season row locked
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite the transaction already began with
BEGIN IMMEDIATE), and ``tv_episodes`` has one row per (season, number), so two discs
can never hold the same episode. A disc previewed again keeps its numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import median

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from boz.db.tables import EpisodeRow, SeasonRow, TitleRow
from boz.errors import EpisodeConflict


def _locked_season(session: Session, show: str, season: int) -> SeasonRow:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(SeasonRow)
        .values(show=show, season=season, last_episode_assigned=0)
        .on_conflict_do_nothing(index_elements=["show", "season"])
    )
    return session.scalars(
        select(SeasonRow)
        .where(SeasonRow.show == show, SeasonRow.season == season)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def release(session: Session, disc_id: int) -> None:
    """Give a disc's numbers back; a season's counter drops only past numbers nobody holds."""
    season_ids = set(
        session.scalars(select(EpisodeRow.season_id).where(EpisodeRow.disc_id == disc_id))
    )
    if not season_ids:
        return
    session.execute(delete(EpisodeRow).where(EpisodeRow.disc_id == disc_id))
    for season_id in season_ids:
        row = session.scalars(
            select(SeasonRow).where(SeasonRow.id == season_id).with_for_update()
        ).one()
        highest = session.scalar(
            select(func.max(EpisodeRow.number)).where(EpisodeRow.season_id == season_id)
        )
        row.last_episode_assigned = highest or 0
    session.flush()


def assign(
    session: Session,
    *,
    disc_id: int,
    show: str,
    season: int,
    title_ids: Sequence[int],
    first_episode: int | None = None,
    counts: Sequence[int] | None = None,
) -> dict[int, list[int]]:
    """Episode numbers for ``title_ids`` (in episode order): ``counts`` of them per title
    (two for a double episode), one each by default.

    Keeps the disc's existing numbers when they already cover exactly these titles in
    this season (and match ``first_episode`` if given); otherwise releases them and
    allocates again from ``first_episode`` or the season's counter.
    """
    row = _locked_season(session, show, season)
    held = list(
        session.scalars(
            select(EpisodeRow).where(EpisodeRow.disc_id == disc_id).order_by(EpisodeRow.number)
        )
    )
    counts = list(counts) if counts is not None else [1] * len(title_ids)
    slots = [tid for tid, n in zip(title_ids, counts, strict=True) for _ in range(n)]
    same_titles = [e.title_id for e in held] == slots
    same_place = all(e.season_id == row.id for e in held)
    unchanged = first_episode is None or (held and held[0].number == first_episode)
    if held and same_titles and same_place and unchanged:
        return _by_title(held)
    if held:
        release(session, disc_id)
        session.refresh(row)
    if not title_ids:
        return {}
    start = first_episode if first_episode is not None else row.last_episode_assigned + 1
    numbers = list(range(start, start + len(slots)))
    taken = sorted(
        session.scalars(
            select(EpisodeRow.number).where(
                EpisodeRow.season_id == row.id, EpisodeRow.number.in_(numbers)
            )
        )
    )
    if taken:
        listed = ", ".join(f"E{n:02d}" for n in taken)
        raise EpisodeConflict(
            f"{show} season {season}: {listed} already belong to another disc; "
            f"choose another first episode (the counter is at {row.last_episode_assigned})"
        )
    added = [
        EpisodeRow(season_id=row.id, number=number, disc_id=disc_id, title_id=title_id)
        for title_id, number in zip(slots, numbers, strict=True)
    ]
    session.add_all(added)
    row.last_episode_assigned = max(row.last_episode_assigned, numbers[-1])
    session.flush()
    return _by_title(added)


def _by_title(rows: Sequence[EpisodeRow]) -> dict[int, list[int]]:
    numbers: dict[int, list[int]] = {}
    for e in rows:
        numbers.setdefault(e.title_id, []).append(e.number)
    return numbers


def next_number(
    session: Session, show: str, season: int, disc_id: int, first_episode: int | None
) -> int:
    """The number this disc's first episode will get (read only: ``assign`` decides)."""
    if first_episode is not None:
        return first_episode
    row = session.scalar(
        select(SeasonRow).where(SeasonRow.show == show, SeasonRow.season == season)
    )
    if row is None:
        return 1
    held = session.scalar(
        select(func.min(EpisodeRow.number)).where(
            EpisodeRow.season_id == row.id, EpisodeRow.disc_id == disc_id
        )
    )
    return held if held is not None else row.last_episode_assigned + 1


def gaps(session: Session, show: str, season: int) -> list[int]:
    """Numbers below the counter that no disc holds (given back out of order)."""
    row = session.scalar(
        select(SeasonRow).where(SeasonRow.show == show, SeasonRow.season == season)
    )
    if row is None:
        return []
    held = set(session.scalars(select(EpisodeRow.number).where(EpisodeRow.season_id == row.id)))
    return [n for n in range(1, row.last_episode_assigned + 1) if n not in held]


def name_episodes(session: Session, disc_id: int, name: Callable[[int], str | None]) -> None:
    for row in session.scalars(select(EpisodeRow).where(EpisodeRow.disc_id == disc_id)):
        row.name = name(row.number)


def typical_episode_seconds(session: Session, show: str, season: int, disc_id: int) -> float | None:
    """How long this season's single episodes on other discs run (median), if any were seen."""
    durations = sorted(
        session.scalars(
            select(TitleRow.duration_s)
            .join(EpisodeRow, EpisodeRow.title_id == TitleRow.id)
            .join(SeasonRow, SeasonRow.id == EpisodeRow.season_id)
            .where(SeasonRow.show == show, SeasonRow.season == season)
            .where(EpisodeRow.disc_id != disc_id)
            .group_by(TitleRow.id, TitleRow.duration_s)
            .having(func.count(EpisodeRow.id) == 1)
        )
    )
    return median(durations) if durations else None
