"""The shared job queue: a job's claim (process and lease) and how many times it was started;
the usage row's count of provider runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("runs", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("runs", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("runs")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("runs")
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
