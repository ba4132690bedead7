"""Exactly once and privacy: results held from settling until delivered, jobs that wait in the
queue for a provider's Retry-After, 64-bit row ids on PostgreSQL, and the indexes /forget-me,
the shared queue's turn order and job pruning use.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Row ids and the columns that refer to them; SQLite's INTEGER is 64-bit already.
ROW_IDS = {
    "usage": ["id"],
    "job": ["id", "usage_id"],
    "delivery_attempt": ["id", "usage_id"],
    "kept_result": ["id", "usage_id"],
    "result_preview": ["usage_id"],
    "settings_change": ["id"],
}
SEQUENCES = ["usage_id_seq", "job_id_seq", "delivery_attempt_id_seq", "kept_result_id_seq", "settings_change_id_seq"]


def _row_ids(kind: type[sa.types.TypeEngine[int]]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in ROW_IDS.items():
        for column in columns:
            op.alter_column(table, column, type_=kind())
    for sequence in SEQUENCES:
        op.execute(f"ALTER SEQUENCE {sequence} AS {'bigint' if kind is sa.BigInteger else 'integer'}")


def upgrade() -> None:
    _row_ids(sa.BigInteger)
    with op.batch_alter_table("kept_result") as batch:
        batch.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.create_index("ix_kept_result_usage_id", ["usage_id"])
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waits", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_job_guild_started", ["guild_id", "started_at"])
        batch.create_index("ix_job_user_id", ["user_id"])
        batch.create_index("ix_job_finished", ["finished_at"])
    with op.batch_alter_table("usage") as batch:
        batch.create_index("ix_usage_user_id", ["user_id"])


def downgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.drop_index("ix_usage_user_id")
    with op.batch_alter_table("job") as batch:
        batch.drop_index("ix_job_finished")
        batch.drop_index("ix_job_user_id")
        batch.drop_index("ix_job_guild_started")
        batch.drop_column("waits")
        batch.drop_column("not_before")
    with op.batch_alter_table("kept_result") as batch:
        batch.drop_index("ix_kept_result_usage_id")
        batch.drop_column("held")
    _row_ids(sa.Integer)
