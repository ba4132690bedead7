"""Alembic environment, async, with the database URL taken from imagebot's config.

The bot runs migrations itself on start (`bot.db.engine.migrate_to_head`, which hands over its
connection). From the command line: `alembic -x config=config.toml upgrade head`.
"""

from __future__ import annotations

import asyncio
import os
import tomllib

from alembic import context
from sqlalchemy.engine import Connection

from bot.config.sections import DatabaseConfig
from bot.db.engine import make_engine
from bot.db.models import Base

target_metadata = Base.metadata


def _configured_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    path = context.get_x_argument(as_dictionary=True).get("config") or os.environ.get("IMAGEBOT_CONFIG", "config.toml")
    with open(path, "rb") as handle:
        section = tomllib.load(handle).get("database", {})
    return DatabaseConfig.model_validate(section).url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = make_engine(_configured_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=_configured_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


shared_connection = context.config.attributes.get("connection")
if context.is_offline_mode():
    _run_offline()
elif shared_connection is not None:
    _run(shared_connection)
else:
    asyncio.run(_run_online())
