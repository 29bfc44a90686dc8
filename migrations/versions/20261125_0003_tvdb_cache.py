"""metadata cache: TheTVDB answers kept in the catalog so a season is fetched once

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metadata_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadata_cache")),
        sa.UniqueConstraint("key", name=op.f("uq_metadata_cache_key")),
    )


def downgrade() -> None:
    op.drop_table("metadata_cache")
