"""A small key -> JSON cache for online metadata (TheTVDB), kept in the domain database.

A season box is ripped disc by disc, often on several hosts: keeping the answers in the
shared catalog means one series or season is fetched once, not once per disc, and a
preview can still name episodes while TheTVDB is down. Entries are only ever written
from successful answers; a too-old entry is ignored (and overwritten on the next fetch).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from boz.db.engine import Database
from boz.db.tables import Base, aware, utcnow

KEY_LENGTH = 255


class MetadataCacheRow(Base):
    """One cached answer: what was asked (``key``), the answer, and when it was fetched."""

    __tablename__ = "metadata_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    payload: Mapped[Any] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MetadataCache:
    """Read and write cache entries, each in its own short transaction.

    A lookup must not hold a write lock while the caller waits on the network, so the
    cache is never part of the caller's transaction.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str, max_age: timedelta) -> tuple[bool, Any]:
        """``(True, payload)`` for a fresh entry, ``(False, None)`` when missing or stale.

        The flag keeps a cached JSON ``null`` or ``[]`` ("TheTVDB knows nothing") apart
        from "never asked".
        """
        with self.db.session() as session:
            row = session.scalars(
                select(MetadataCacheRow).where(MetadataCacheRow.key == key)
            ).one_or_none()
            if row is None or utcnow() - aware(row.fetched_at) > max_age:
                return False, None
            return True, row.payload

    def put(self, key: str, payload: Any) -> None:
        """Store or refresh one entry (last writer wins)."""
        try:
            with self.db.session() as session:
                row = session.scalars(
                    select(MetadataCacheRow).where(MetadataCacheRow.key == key)
                ).one_or_none()
                if row is None:
                    session.add(MetadataCacheRow(key=key, payload=payload, fetched_at=utcnow()))
                else:
                    row.payload = payload
                    row.fetched_at = utcnow()
        except IntegrityError:
            # Another host stored the same answer between our read and our insert
            # (PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers). Theirs is as good.
            pass
