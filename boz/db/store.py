"""Reading and writing the catalog: discs, titles, jobs and hosts, as pydantic models.

Functions take the caller's session and never commit: the caller's ``with
db.session()`` is the transaction. ORM rows stay in here.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from boz.db.tables import DiscRow, DriveRow, HostRow, JobRow, SeasonRow, TitleRow, utcnow
from boz.errors import DiscNotFound
from boz.models import (
    Disc,
    DiscStatus,
    Job,
    JobKind,
    JobStatus,
    Season,
    Stream,
    Title,
)


def _title(row: TitleRow) -> Title:
    return Title(
        id=row.id,
        index=row.index,
        name=row.name,
        duration_s=row.duration_s,
        size_bytes=row.size_bytes,
        chapters=row.chapters,
        video_streams=row.video_streams,
        audio_streams=row.audio_streams,
        subtitle_streams=row.subtitle_streams,
        segment_count=row.segment_count,
        segment_map=row.segment_map,
        source_file=row.source_file,
        output_file=row.output_file,
        angle=row.angle,
        streams=[Stream.model_validate(s) for s in row.streams],
        role=row.role,
        selected=row.selected,
        episodes=[e.number for e in row.episodes],
        episode_names=[e.name for e in row.episodes if e.name],
    )


def _disc(row: DiscRow) -> Disc:
    return Disc(
        id=row.id,
        label=row.label,
        fingerprint=row.fingerprint,
        source=row.source,
        kind=row.kind,
        status=row.status,
        preview_status=row.preview_status,
        error=row.error,
        show=row.show,
        season=row.season,
        movie_title=row.movie_title,
        year=row.year,
        approval_flow_run_id=row.approval_flow_run_id,
        scan_minlength=row.scan_minlength,
        drive_id=row.drive_id,
        first_seen=row.created_at,
        updated=row.updated_at,
        titles=[_title(t) for t in row.titles],
    )


def _disc_row(session: Session, disc_id: int) -> DiscRow:
    row = session.get(
        DiscRow, disc_id, options=[selectinload(DiscRow.titles).selectinload(TitleRow.episodes)]
    )
    if row is None:
        raise DiscNotFound(f"no disc with id {disc_id}: see `boz discs`")
    return row


def get_disc(session: Session, disc_id: int) -> Disc:
    return _disc(_disc_row(session, disc_id))


def list_discs(session: Session) -> list[Disc]:
    rows = session.scalars(
        select(DiscRow)
        .options(selectinload(DiscRow.titles).selectinload(TitleRow.episodes))
        .order_by(DiscRow.id)
    )
    return [_disc(r) for r in rows]


def find_or_create_disc(
    session: Session,
    *,
    label: str,
    fingerprint: str,
    source: str,
    scan_minlength: int | None = None,
    drive_id: int | None = None,
) -> int:
    """The disc's id; the same fingerprint is the same disc, whatever drive or path it is in."""
    row = session.scalar(select(DiscRow).where(DiscRow.fingerprint == fingerprint))
    if row is None:
        row = DiscRow(label=label, fingerprint=fingerprint, source=source)
        session.add(row)
    row.source = source
    row.scan_minlength = scan_minlength
    row.drive_id = drive_id
    session.flush()
    return row.id


def save_titles(session: Session, disc_id: int, titles: Sequence[Title]) -> None:
    """Insert titles not seen yet; keep what an earlier preview decided for known ones."""
    disc = _disc_row(session, disc_id)
    known = {t.index: t for t in disc.titles}
    for t in titles:
        row = known.get(t.index)
        if row is None:
            row = TitleRow(disc_id=disc_id, index=t.index)
            disc.titles.append(row)
        row.name = t.name
        row.duration_s = t.duration_s
        row.size_bytes = t.size_bytes
        row.chapters = t.chapters
        row.video_streams = t.video_streams
        row.audio_streams = t.audio_streams
        row.subtitle_streams = t.subtitle_streams
        row.segment_count = t.segment_count
        row.segment_map = t.segment_map
        row.source_file = t.source_file
        row.output_file = t.output_file
        row.angle = t.angle
        row.streams = [s.model_dump() for s in t.streams]
    session.flush()


def set_disc_status(
    session: Session,
    disc_id: int,
    status: DiscStatus,
    *,
    error: str | None = None,
    **fields: object,
) -> None:
    update_disc(session, disc_id, status=status, error=error, **fields)


def update_disc(session: Session, disc_id: int, **fields: object) -> None:
    row = _disc_row(session, disc_id)
    for name, value in fields.items():
        setattr(row, name, value)


def set_title_plan(session: Session, disc_id: int, plan: dict[int, tuple[object, bool]]) -> None:
    """Store each title's role and whether it is selected, keyed by title index."""
    for row in _disc_row(session, disc_id).titles:
        if row.index in plan:
            row.role, row.selected = plan[row.index]  # type: ignore[assignment]


def title_id(session: Session, disc_id: int, index: int) -> int:
    tid = session.scalar(
        select(TitleRow.id).where(TitleRow.disc_id == disc_id, TitleRow.index == index)
    )
    if tid is None:
        raise DiscNotFound(f"disc {disc_id} has no title {index}")
    return tid


def drive_id(session: Session, source: str) -> int | None:
    """The registered drive of this host that ``source`` (``dev:/dev/sr0``) reads from."""
    kind, _, device = source.partition(":")
    if kind != "dev":
        return None
    return session.scalar(
        select(DriveRow.id)
        .join(HostRow)
        .where(DriveRow.device == device, HostRow.name == socket.gethostname())
    )


# Hosts -------------------------------------------------------------------------------


def heartbeat(session: Session, name: str, capabilities: Sequence[str]) -> int:
    row = session.scalar(select(HostRow).where(HostRow.name == name))
    if row is None:
        row = HostRow(name=name, capabilities=sorted(capabilities))
        session.add(row)
    else:
        row.capabilities = sorted(set(row.capabilities) | set(capabilities))
    row.status = "online"
    row.last_heartbeat = utcnow()
    session.flush()
    return row.id


def register_drive(
    session: Session, host_id: int, device: str, name: str | None, *, status: str | None = None
) -> int:
    row = session.scalar(
        select(DriveRow).where(DriveRow.host_id == host_id, DriveRow.device == device)
    )
    if row is None:
        row = DriveRow(host_id=host_id, device=device)
        session.add(row)
    if name:
        row.name = name
    if status:
        row.status = status
    session.flush()
    return row.id


# Jobs --------------------------------------------------------------------------------


def _job(row: JobRow) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        status=row.status,
        disc_id=row.disc_id,
        title_id=row.title_id,
        title_index=row.title.index,
        host=row.host.name if row.host else None,
        flow_run_id=row.flow_run_id,
        output_path=row.output_path,
        error=row.error,
        attempts=row.attempts,
        created=row.created_at,
        started=row.started_at,
        finished=row.finished_at,
    )


def _job_row(session: Session, title_id: int, kind: JobKind) -> JobRow | None:
    return session.scalar(select(JobRow).where(JobRow.title_id == title_id, JobRow.kind == kind))


def finished_output(session: Session, title_id: int, kind: JobKind) -> Path | None:
    """The output of a job that is done and whose file is still there with its size."""
    row = _job_row(session, title_id, kind)
    if row is None or row.status != JobStatus.done or not row.output_path:
        return None
    path = Path(row.output_path)
    if not path.is_file() or path.stat().st_size != row.output_size:
        return None
    return path


def start_job(
    session: Session,
    *,
    disc_id: int,
    title_id: int,
    kind: JobKind,
    host_id: int,
    flow_run_id: str | None,
) -> int:
    """One row per title and kind: a retry or a rerun reuses it and counts the attempt."""
    row = _job_row(session, title_id, kind)
    if row is None:
        row = JobRow(disc_id=disc_id, title_id=title_id, kind=kind)
        session.add(row)
    row.status = JobStatus.running
    row.host_id = host_id
    row.flow_run_id = flow_run_id
    row.error = None
    row.output_path = None
    row.output_size = None
    row.attempts = (row.attempts or 0) + 1
    row.started_at = utcnow()
    row.finished_at = None
    session.flush()
    return row.id


def finish_job(session: Session, job_id: int, output: Path) -> None:
    row = session.get_one(JobRow, job_id)
    row.status = JobStatus.done
    row.output_path = str(output)
    row.output_size = output.stat().st_size
    row.finished_at = utcnow()


def fail_job(session: Session, job_id: int, error: str) -> None:
    row = session.get_one(JobRow, job_id)
    row.status = JobStatus.failed
    row.error = error
    row.finished_at = utcnow()


def list_jobs(session: Session, disc_id: int | None = None) -> list[Job]:
    query = select(JobRow).options(selectinload(JobRow.title), selectinload(JobRow.host))
    if disc_id is not None:
        query = query.where(JobRow.disc_id == disc_id)
    return [_job(r) for r in session.scalars(query.order_by(JobRow.id))]


# Seasons -----------------------------------------------------------------------------


def list_seasons(session: Session) -> list[Season]:
    rows = session.scalars(
        select(SeasonRow)
        .options(selectinload(SeasonRow.episodes))
        .order_by(SeasonRow.show, SeasonRow.season)
    )
    return [
        Season(
            show=r.show,
            season=r.season,
            last_episode_assigned=r.last_episode_assigned,
            episodes=[e.number for e in r.episodes],
        )
        for r in rows
    ]
