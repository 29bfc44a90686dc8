"""TheDiscDB's discs for exact matches; each title's name from it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thediscdb_discs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("movie", "tv", "unknown", name="disckind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("release", sa.String(length=255), nullable=False),
        sa.Column("anchor", sa.String(length=32), nullable=False),
        sa.Column("layout", sa.String(length=32), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thediscdb_discs")),
        sa.UniqueConstraint("path", name=op.f("uq_thediscdb_discs_path")),
    )
    op.create_index(op.f("ix_thediscdb_discs_anchor"), "thediscdb_discs", ["anchor"])
    op.create_index(op.f("ix_thediscdb_discs_layout"), "thediscdb_discs", ["layout"])
    with op.batch_alter_table("titles") as batch:
        batch.add_column(sa.Column("known_name", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("titles") as batch:
        batch.drop_column("known_name")
    op.drop_index(op.f("ix_thediscdb_discs_layout"), table_name="thediscdb_discs")
    op.drop_index(op.f("ix_thediscdb_discs_anchor"), table_name="thediscdb_discs")
    op.drop_table("thediscdb_discs")
