"""extras by kind, TheTVDB's id of a disc's show or movie, what each job detected and did

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("titles") as batch:
        batch.add_column(sa.Column("extra_kind", sa.String(length=32), nullable=True))
    with op.batch_alter_table("discs") as batch:
        batch.add_column(sa.Column("tvdb_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("details")
    with op.batch_alter_table("discs") as batch:
        batch.drop_column("tvdb_id")
    with op.batch_alter_table("titles") as batch:
        batch.drop_column("extra_kind")
