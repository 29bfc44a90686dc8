"""claims: who holds a disc's run and each job, until when; a host's encoders

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMED = ("discs", "jobs")


def upgrade() -> None:
    for table in CLAIMED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("holder_host", sa.String(length=255), nullable=True))
            batch.add_column(sa.Column("holder_pid", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("holder_run", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("encoders", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("encoders")
    for table in CLAIMED:
        with op.batch_alter_table(table) as batch:
            for column in ("lease_until", "holder_run", "holder_pid", "holder_host"):
                batch.drop_column(column)
