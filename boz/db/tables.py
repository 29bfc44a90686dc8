"""The domain database schema as typed SQLAlchemy 2 ORM classes.

Alembic owns the schema (``migrations/``); a test checks these classes and the
migrations agree. Constraint names come from the naming convention because Alembic's
SQLite batch mode can only alter constraints that have names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from boz.models import DiscKind, DiscStatus, JobKind, JobStatus, PreviewStatus, TitleRole

# The migration whose schema these classes describe (tests/test_migrations.py holds it to
# Alembic's head): a database that records it needs no Alembic at all.
SCHEMA_REVISION = "0007"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def insert_or_skip(
    session: Session, table: type[Base] | Table
) -> sqlite.Insert | postgresql.Insert:
    """An INSERT of the session's dialect that can skip rows already there
    (``.on_conflict_do_nothing``): how a row is created by whichever of two racing
    transactions comes first, then locked by both."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _enum(cls: type[StrEnum]) -> Enum:
    """Store enums as their string values, without a database-native enum type."""
    return Enum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Claimable:
    """Who holds a row's work and until when: a holder that stops renewing its lease, whose
    process is gone from this host, or whose Prefect run ended is taken over, so a killed
    worker never leaves work ``running`` for good."""

    holder_host: Mapped[str | None] = mapped_column(String(255))
    holder_pid: Mapped[int | None]
    holder_run: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HostRow(Base):
    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="online", index=True)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    encoders: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_heartbeat: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    drives: Mapped[list[DriveRow]] = relationship(
        back_populates="host", cascade="all, delete-orphan", passive_deletes=True
    )


class DriveRow(Base):
    __tablename__ = "drives"
    __table_args__ = (UniqueConstraint("host_id", "device"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="idle", index=True)

    host: Mapped[HostRow] = relationship(back_populates="drives")


class DiscRow(Claimable, Base):
    __tablename__ = "discs"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[DiscKind] = mapped_column(_enum(DiscKind), default=DiscKind.unknown)
    status: Mapped[DiscStatus] = mapped_column(
        _enum(DiscStatus), default=DiscStatus.detected, index=True
    )
    preview_status: Mapped[PreviewStatus] = mapped_column(
        _enum(PreviewStatus), default=PreviewStatus.none, index=True
    )
    error: Mapped[str | None] = mapped_column(Text)
    show: Mapped[str | None] = mapped_column(String(255))
    season: Mapped[int | None]
    movie_title: Mapped[str | None] = mapped_column(String(255))
    tvdb_id: Mapped[int | None]
    year: Mapped[int | None]
    drive_id: Mapped[int | None] = mapped_column(
        ForeignKey("drives.id", ondelete="SET NULL"), index=True
    )
    approval_flow_run_id: Mapped[str | None] = mapped_column(String(64))
    scan_minlength: Mapped[int | None] = mapped_column(
        doc="makemkvcon --minlength the titles were numbered with; mkv must use the same"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    titles: Mapped[list[TitleRow]] = relationship(
        back_populates="disc",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TitleRow.index",
    )


class TitleRow(Base):
    """A title; its episode numbers are its rows in ``tv_episodes`` (one truth, not two)."""

    __tablename__ = "titles"
    __table_args__ = (UniqueConstraint("disc_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disc_id: Mapped[int] = mapped_column(ForeignKey("discs.id", ondelete="CASCADE"), index=True)
    index: Mapped[int]
    name: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[float]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    chapters: Mapped[int] = mapped_column(default=0)
    video_streams: Mapped[int] = mapped_column(default=0)
    audio_streams: Mapped[int] = mapped_column(default=0)
    subtitle_streams: Mapped[int] = mapped_column(default=0)
    segment_count: Mapped[int] = mapped_column(default=0)
    segment_map: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(255))
    output_file: Mapped[str | None] = mapped_column(Text)
    angle: Mapped[int | None]
    streams: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    role: Mapped[TitleRole | None] = mapped_column(_enum(TitleRole))
    selected: Mapped[bool] = mapped_column(default=False)
    extra_kind: Mapped[str | None] = mapped_column(String(32))
    known_name: Mapped[str | None] = mapped_column(Text)

    disc: Mapped[DiscRow] = relationship(back_populates="titles")
    episodes: Mapped[list[EpisodeRow]] = relationship(
        back_populates="title", order_by="EpisodeRow.number", passive_deletes=True
    )


class JobRow(Claimable, Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("title_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind))
    status: Mapped[JobStatus] = mapped_column(
        _enum(JobStatus), default=JobStatus.pending, index=True
    )
    disc_id: Mapped[int] = mapped_column(ForeignKey("discs.id", ondelete="CASCADE"), index=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="SET NULL"), index=True
    )
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    output_path: Mapped[str | None] = mapped_column(Text)
    output_size: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, object] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    title: Mapped[TitleRow] = relationship()
    host: Mapped[HostRow | None] = relationship()


class SeasonRow(Base):
    __tablename__ = "tv_seasons"
    __table_args__ = (UniqueConstraint("show", "season"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show: Mapped[str] = mapped_column(String(255))
    season: Mapped[int]
    last_episode_assigned: Mapped[int] = mapped_column(default=0)

    episodes: Mapped[list[EpisodeRow]] = relationship(
        back_populates="season_row", order_by="EpisodeRow.number", passive_deletes=True
    )


class EpisodeRow(Base):
    __tablename__ = "tv_episodes"
    __table_args__ = (
        UniqueConstraint("season_id", "number"),
        Index("ix_tv_episodes_disc_id", "disc_id"),
        Index("ix_tv_episodes_title_id", "title_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("tv_seasons.id", ondelete="CASCADE"))
    number: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(255))
    disc_id: Mapped[int] = mapped_column(ForeignKey("discs.id", ondelete="CASCADE"))
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))

    season_row: Mapped[SeasonRow] = relationship(back_populates="episodes")
    title: Mapped[TitleRow] = relationship(back_populates="episodes")


class KnownDiscRow(Base):
    """A disc of TheDiscDB's data (``boz thediscdb import``), found by its longest title
    (``anchor``) and checked title by title against the disc in the drive."""

    __tablename__ = "thediscdb_discs"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[DiscKind] = mapped_column(_enum(DiscKind))
    name: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None]
    release: Mapped[str] = mapped_column(String(255))
    anchor: Mapped[str] = mapped_column(String(32), index=True)
    layout: Mapped[str] = mapped_column(String(32), index=True)
    titles: Mapped[list[list[object]]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


from boz.db import metadata_cache  # noqa: E402, F401
