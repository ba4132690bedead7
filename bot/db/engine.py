"""Engine creation and migration to head, called from the bot's `setup_hook`.

The database may be briefly away while the bot runs, and neither case loses a unit of work:
SQLite waits `busy_timeout` for another writer's lock (a backup, an operator's shell), and a
PostgreSQL restart drops the pool's connections, which are tested before use and replaced, with
new connections retried while the server comes back.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from functools import partial
from pathlib import Path
from typing import Any, cast

import asyncpg  # pyright: ignore[reportMissingTypeStubs]  asyncpg ships no stubs; it is used for one connect
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
BUSY_TIMEOUT_SECONDS = 30.0
RECONNECT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
MIGRATE_LOCK = zlib.crc32(b"imagebot:migrate") - 2**31  # one advisory lock key for every process

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_timeout: float) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's recommended level: no fsync per commit, never corrupt
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_connector(url: URL, patience: float, connect_timeout: float) -> object:
    """asyncpg connections for the pool, each given `connect_timeout` seconds, retried for
    `patience` seconds while the server refuses them (starting, restarting, or not reachable yet)."""
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"

    async def connect() -> asyncpg.Connection:
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + patience, 0.1
        while True:
            try:
                return cast(asyncpg.Connection, await asyncpg.connect(dsn, timeout=connect_timeout))  # pyright: ignore[reportUnknownMemberType, reportArgumentType]  untyped asyncpg; its timeout is any number of seconds
            except (OSError, TimeoutError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
                if loop.time() + pause > deadline:
                    raise
                log.warning(
                    "PostgreSQL at %s refused a connection (%s); trying again in %.1fs",
                    where,
                    type(exc).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)

    return connect


def make_engine(
    url: str,
    *,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    reconnect_seconds: float = RECONNECT_SECONDS,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> AsyncEngine:
    """Create the async engine. SQLite: create the file's folder, use WAL, and wait up to
    `busy_timeout` for another writer. PostgreSQL: test pooled connections before use, give each
    new one `connect_timeout` seconds, and retry them for up to `reconnect_seconds`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_timeout=busy_timeout))
        return engine
    connector = _postgres_connector(parsed, reconnect_seconds, connect_timeout)
    return create_async_engine(url, pool_pre_ping=True, async_creator=connector)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, url: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate_to_head(engine: AsyncEngine) -> None:
    """Run Alembic's upgrade on a connection of this engine (Alembic's connection sharing). On
    PostgreSQL, processes starting together take turns (a transaction-scoped advisory lock around
    the upgrade, whose DDL is transactional): the first migrates, the others find it done."""
    url = engine.url.render_as_string(hide_password=False)
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(select(func.pg_advisory_xact_lock(MIGRATE_LOCK)))
        await connection.run_sync(_upgrade, url)


async def round_trip(engine: AsyncEngine) -> bool:
    """One query (SELECT 1) run, then True: the health check and preflight; raises when the database cannot."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True
