"""Where delivered results' images are, and their previews once /history has made them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_preview",
        sa.Column("usage_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("spoiler", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("usage_id", name=op.f("pk_result_preview")),
    )


def downgrade() -> None:
    op.drop_table("result_preview")
