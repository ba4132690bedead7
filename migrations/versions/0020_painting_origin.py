"""Jobs from the painting page get their own origin, `painting`: they were stored as `interaction`
with no message of the bot's (every other interaction's job has one: its "thinking..."), which is
how the reply code told them apart. The column is a plain string, so only the rows change; a
downgrade stores them as `interaction` again.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

job = sa.table(
    "job",
    sa.column("origin", sa.String(length=16)),
    sa.column("message_id", sa.BigInteger()),
)


def upgrade() -> None:
    op.execute(
        sa.update(job).where(job.c.origin == "interaction", job.c.message_id.is_(None)).values(origin="painting")
    )


def downgrade() -> None:
    op.execute(sa.update(job).where(job.c.origin == "painting").values(origin="interaction"))
