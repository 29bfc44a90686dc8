"""MakeMKV title attributes (segments, playlist, output name, angle, streams)
and the --minlength a disc was scanned with; existing rows get empty defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:34:38.658906
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("discs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scan_minlength", sa.Integer(), nullable=True))

    with op.batch_alter_table("titles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("segment_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("segment_map", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("source_file", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("output_file", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("angle", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("streams", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("titles", schema=None) as batch_op:
        batch_op.drop_column("streams")
        batch_op.drop_column("angle")
        batch_op.drop_column("output_file")
        batch_op.drop_column("source_file")
        batch_op.drop_column("segment_map")
        batch_op.drop_column("segment_count")

    with op.batch_alter_table("discs", schema=None) as batch_op:
        batch_op.drop_column("scan_minlength")
