"""Reading and writing the catalog: discs, titles, jobs and hosts, as pydantic models.

Functions take the caller's session and never commit: the caller's ``with
db.session()`` is the transaction. ORM rows stay in here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from boz.db import claims
from boz.db.tables import (
    DiscRow,
    DriveRow,
    HostRow,
    JobRow,
    SeasonRow,
    TitleRow,
    aware,
    insert_or_skip,
    utcnow,
)
from boz.errors import DiscBusy, DiscNotFound, JobHeld
from boz.models import (
    Disc,
    DiscStatus,
    Host,
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
        extra_kind=row.extra_kind,
        known_name=row.known_name,
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
        tvdb_id=row.tvdb_id,
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


def disc_status(session: Session, disc_id: int) -> DiscStatus:
    status = session.scalar(select(DiscRow.status).where(DiscRow.id == disc_id))
    if status is None:
        raise DiscNotFound(f"no disc with id {disc_id}: see `boz discs`")
    return status


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


def set_title_plan(
    session: Session, disc_id: int, plan: dict[int, tuple[object, bool, object]]
) -> None:
    """Store each title's role, whether it is selected and its kind of extra, by index."""
    for row in _disc_row(session, disc_id).titles:
        if row.index in plan:
            row.role, row.selected, row.extra_kind = plan[row.index]  # type: ignore[assignment]


def set_known_names(session: Session, disc_id: int, names: dict[int, str | None]) -> None:
    """What TheDiscDB calls each title, by index (None: nothing known)."""
    for row in _disc_row(session, disc_id).titles:
        row.known_name = names.get(row.index)


def title_id_of(session: Session, disc_id: int, index: int) -> int:
    tid = session.scalar(
        select(TitleRow.id).where(TitleRow.disc_id == disc_id, TitleRow.index == index)
    )
    if tid is None:
        raise DiscNotFound(f"disc {disc_id} has no title {index}")
    return tid


def drive_id(session: Session, source: str, host: str) -> int | None:
    """The registered drive of ``host`` that ``source`` (``dev:/dev/sr0``) reads from."""
    kind, _, device = source.partition(":")
    if kind != "dev":
        return None
    return session.scalar(
        select(DriveRow.id).join(HostRow).where(DriveRow.device == device, HostRow.name == host)
    )


def set_drive_status(session: Session, drive_id: int, status: str) -> None:
    session.get_one(DriveRow, drive_id).status = status


def drive_status(session: Session, host: str, device: str) -> str | None:
    return session.scalar(
        select(DriveRow.status).join(HostRow).where(DriveRow.device == device, HostRow.name == host)
    )


def list_drives(session: Session) -> list[tuple[str, str, str]]:
    """(host, device, status) of every drive a watcher registered."""
    rows = session.execute(
        select(HostRow.name, DriveRow.device, DriveRow.status)
        .join(HostRow)
        .order_by(HostRow.name, DriveRow.device)
    )
    return [(h, d, st) for h, d, st in rows]


# Disc runs ---------------------------------------------------------------------------


def claim_disc(
    session: Session,
    disc_id: int,
    holder: claims.Holder,
    lease_seconds: float,
    run_ended: claims.RunEnded,
) -> None:
    """Make ``holder`` the one run working on the disc; DiscBusy if a live run is."""
    row = session.get(DiscRow, disc_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise DiscNotFound(f"no disc with id {disc_id}: see `boz discs`")
    if not claims.is_free(row, holder, run_ended):
        waiting = row.status is DiscStatus.awaiting_approval
        hint = f"approve it with `boz approve {disc_id}`" if waiting else "wait for it to finish"
        raise DiscBusy(
            f"disc {disc_id} ({row.label}) is {'waiting in' if waiting else 'held by'} a run on "
            f"{claims.describe(row)}: {hint}"
        )
    claims.take(row, holder, lease_seconds)


def renew_disc(session: Session, disc_id: int, holder: claims.Holder, lease: float) -> bool:
    return claims.renew(session.get_one(DiscRow, disc_id), holder, lease)


def release_disc(session: Session, disc_id: int, holder: claims.Holder) -> None:
    claims.drop(session.get_one(DiscRow, disc_id), holder)


def disc_run_alive(
    session: Session, disc_id: int, run_id: str, me: claims.Holder, run_ended: claims.RunEnded
) -> bool:
    """Whether the run ``run_id`` still holds the disc and is alive (a paused run whose
    process was killed is Paused on the server, but nobody will ever rip for it)."""
    row = session.get_one(DiscRow, disc_id)
    return row.holder_run == run_id and not claims.is_free(row, me, run_ended)


# Hosts -------------------------------------------------------------------------------


def heartbeat(
    session: Session, name: str, capabilities: Sequence[str], encoders: Sequence[str] = ()
) -> int:
    row = session.scalar(select(HostRow).where(HostRow.name == name))
    if row is None:
        row = HostRow(name=name, capabilities=sorted(capabilities), encoders=sorted(encoders))
        session.add(row)
    else:
        row.capabilities = sorted(set(row.capabilities) | set(capabilities))
        if encoders:  # the host's latest trials: an encoder that stopped working goes
            row.encoders = sorted(encoders)
    row.status = "online"
    row.last_heartbeat = utcnow()
    session.flush()
    return row.id


ROLES = {"rip": "drive", "transcode": "transcode"}  # what a host's capabilities make it


def list_hosts(session: Session, offline_after_s: float) -> list[Host]:
    """Hosts that ran work or watch drives; offline once their heartbeat is older than
    ``offline_after_s``, decided here at read time, so every reader in every process
    sees the same answer without anyone having to write it."""
    now = utcnow()
    speeds: dict[int, list[float]] = {}
    done: dict[int, int] = {}
    rows = session.execute(
        select(
            JobRow.host_id, JobRow.kind, JobRow.started_at, JobRow.finished_at, TitleRow.duration_s
        )
        .join(TitleRow, TitleRow.id == JobRow.title_id)
        .where(JobRow.status == JobStatus.done, JobRow.host_id.is_not(None))
    )
    for host_id, kind, started, finished, duration in rows:
        done[host_id] = done.get(host_id, 0) + 1
        if kind is JobKind.transcode and started and finished and finished > started:
            seconds = (aware(finished) - aware(started)).total_seconds()
            speeds.setdefault(host_id, []).append(duration / seconds)
    hosts = []
    for row in session.scalars(
        select(HostRow).options(selectinload(HostRow.drives)).order_by(HostRow.name)
    ):
        fresh = (now - aware(row.last_heartbeat)).total_seconds() <= offline_after_s
        hosts.append(
            Host(
                name=row.name,
                roles=sorted({ROLES[c] for c in row.capabilities if c in ROLES}),
                status="online" if fresh and row.status != "offline" else "offline",
                last_heartbeat=aware(row.last_heartbeat),
                drives=[d.device for d in row.drives],
                encoders=list(row.encoders or []),
                jobs_done=done.get(row.id, 0),
                transcode_speed=(
                    round(sum(speeds[row.id]) / len(speeds[row.id]), 2)
                    if row.id in speeds
                    else None
                ),
            )
        )
    return hosts


def mark_offline(session: Session, name: str) -> None:
    row = session.scalar(select(HostRow).where(HostRow.name == name))
    if row is not None:
        row.status = "offline"


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
        holder=claims.describe(row) if row.status is JobStatus.running else None,
        flow_run_id=row.flow_run_id,
        output_path=row.output_path,
        error=row.error,
        attempts=row.attempts,
        created=row.created_at,
        started=row.started_at,
        finished=row.finished_at,
        details=dict(row.details or {}),
    )


def _locked_job(session: Session, disc_id: int, title_id: int, kind: JobKind) -> JobRow:
    """The job row, created if missing, locked until the transaction ends (two processes
    deciding at once who runs a step must see each other)."""
    session.execute(
        insert_or_skip(session, JobRow)
        .values(disc_id=disc_id, title_id=title_id, kind=kind, status=JobStatus.pending)
        .on_conflict_do_nothing(index_elements=["title_id", "kind"])
    )
    return session.scalars(
        select(JobRow)
        .where(JobRow.title_id == title_id, JobRow.kind == kind)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _output(row: JobRow, root: Path) -> Path | None:
    """A done job's output, if its file is still there with its size. Outputs are stored
    relative to their root (staging or library), which each host mounts where it likes."""
    if row.status != JobStatus.done or not row.output_path:
        return None
    path = root / row.output_path
    if not path.is_file() or path.stat().st_size != row.output_size:
        return None
    return path


def finished_output(session: Session, title_id: int, kind: JobKind, root: Path) -> Path | None:
    row = session.scalar(select(JobRow).where(JobRow.title_id == title_id, JobRow.kind == kind))
    return None if row is None else _output(row, root)


def job_output(session: Session, disc_id: int, title_index: int, kind: JobKind) -> str | None:
    """Where a done job put its file, relative to its root; None if it is not done."""
    return session.scalar(
        select(JobRow.output_path)
        .join(TitleRow, TitleRow.id == JobRow.title_id)
        .where(TitleRow.disc_id == disc_id, TitleRow.index == title_index)
        .where(JobRow.kind == kind, JobRow.status == JobStatus.done)
    )


def in_hand(
    session: Session, disc_id: int, title_index: int, me: claims.Holder, run_ended: claims.RunEnded
) -> bool:
    """The title is filed already, or a live run is transcoding or filing it."""
    rows = session.scalars(
        select(JobRow)
        .join(TitleRow, TitleRow.id == JobRow.title_id)
        .where(TitleRow.disc_id == disc_id, TitleRow.index == title_index)
        .where(JobRow.kind.in_([JobKind.transcode, JobKind.organize]))
    )
    for row in rows:
        if row.kind is JobKind.organize and row.status is JobStatus.done:
            return True
        if row.status is JobStatus.running and not claims.is_free(row, me, run_ended):
            return True
    return False


def handoff_key(session: Session, disc_id: int, title_index: int, run_id: str | None) -> str:
    """Names one hand-over of a ripped title by one run of the disc: the same when that
    run retries (so Prefect returns the transcode run already started, never a second),
    new for a new rip of the title or a new run of the disc (which hands over only what
    nobody live holds: a transcode run that died before it claimed its job is replaced)."""
    rip = session.scalar(
        select(JobRow.attempts)
        .join(TitleRow, TitleRow.id == JobRow.title_id)
        .where(TitleRow.disc_id == disc_id, TitleRow.index == title_index)
        .where(JobRow.kind == JobKind.rip)
    )
    fingerprint = session.get_one(DiscRow, disc_id).fingerprint
    return f"{fingerprint[:16]}-t{title_index}-r{rip or 0}-{run_id}"


def claim_job(
    session: Session,
    *,
    disc_id: int,
    title_index: int,
    kind: JobKind,
    root: Path,
    host_id: int,
    holder: claims.Holder,
    lease_seconds: float,
    run_ended: claims.RunEnded,
    later: Mapping[JobKind, Path],
) -> tuple[int, Path | None]:
    """The job's id and, when it (or a later step, ``later`` giving their roots) is done
    with its file in place, that file; otherwise the job is ours now (one row per title
    and kind: a retry reuses it and counts the attempt). Raises JobHeld when a live holder
    is running it."""
    title_id = title_id_of(session, disc_id, title_index)
    row = _locked_job(session, disc_id, title_id, kind)
    done = _output(row, root) or next(
        filter(None, (finished_output(session, title_id, k, r) for k, r in later.items())), None
    )
    if done is not None:
        return row.id, done
    if row.status is JobStatus.running and not claims.is_free(row, holder, run_ended):
        raise JobHeld(
            f"{kind.value} of title {title_index} of disc {disc_id} is running on "
            f"{claims.describe(row)}; not running it twice"
        )
    claims.take(row, holder, lease_seconds)
    row.status = JobStatus.running
    row.host_id = host_id
    row.flow_run_id = holder.run
    row.error = None
    row.output_path = None
    row.output_size = None
    row.attempts = (row.attempts or 0) + 1
    row.started_at = utcnow()
    row.finished_at = None
    session.flush()
    return row.id, None


def renew_job(session: Session, job_id: int, holder: claims.Holder, lease_seconds: float) -> bool:
    return claims.renew(session.get_one(JobRow, job_id), holder, lease_seconds)


def finish_job(
    session: Session, job_id: int, output: Path, root: Path, holder: claims.Holder
) -> None:
    row = session.get_one(JobRow, job_id)
    row.status = JobStatus.done
    row.output_path = output.relative_to(root).as_posix()
    row.output_size = output.stat().st_size
    row.finished_at = utcnow()
    claims.drop(row, holder)


def fail_job(
    session: Session, job_id: int, error: str, *, final: bool, holder: claims.Holder
) -> None:
    """A failure that will be retried leaves the job pending, so the disc is not called
    failed while its step still has attempts left."""
    row = session.get_one(JobRow, job_id)
    row.status = JobStatus.failed if final else JobStatus.pending
    row.error = error
    row.finished_at = utcnow()
    claims.drop(row, holder)


def list_jobs(session: Session, disc_id: int | None = None) -> list[Job]:
    query = select(JobRow).options(selectinload(JobRow.title), selectinload(JobRow.host))
    if disc_id is not None:
        query = query.where(JobRow.disc_id == disc_id)
    return [_job(r) for r in session.scalars(query.order_by(JobRow.id))]


def selected_jobs(
    session: Session, disc_id: int
) -> tuple[list[int], list[tuple[int, JobKind, JobStatus, str | None]]]:
    """The disc's selected title indices, and (index, kind, status, error) of their jobs:
    one query, run after every job change."""
    rows = session.execute(
        select(TitleRow.index, JobRow.kind, JobRow.status, JobRow.error)
        .outerjoin(JobRow, JobRow.title_id == TitleRow.id)
        .where(TitleRow.disc_id == disc_id, TitleRow.selected.is_(True))
        .order_by(TitleRow.index)
    )
    selected, jobs = [], []
    for index, kind, status, error in rows:
        if not selected or selected[-1] != index:
            selected.append(index)
        if kind is not None:
            jobs.append((index, kind, status, error))
    return selected, jobs


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


def _job_row(session: Session, disc_id: int, title_index: int, kind: JobKind) -> JobRow | None:
    return session.scalar(
        select(JobRow)
        .join(TitleRow, TitleRow.id == JobRow.title_id)
        .where(TitleRow.disc_id == disc_id, TitleRow.index == title_index, JobRow.kind == kind)
    )


def job_details(
    session: Session, disc_id: int, title_index: int, kind: JobKind
) -> dict[str, object]:
    """What a step detected and did (or is doing), as it recorded it; empty if nothing."""
    row = _job_row(session, disc_id, title_index, kind)
    return dict(row.details or {}) if row is not None else {}


def record_job_details(
    session: Session, disc_id: int, title_index: int, kind: JobKind, **details: object
) -> None:
    """Merge ``details`` (JSON values) into the step's job row, which must exist: the
    step's claim made it."""
    row = _job_row(session, disc_id, title_index, kind)
    if row is None:
        raise DiscNotFound(f"disc {disc_id} title {title_index} has no {kind.value} job")
    row.details = {**(row.details or {}), **details}
