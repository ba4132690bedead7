"""The engine: SQLite gets its file's folder made and its pragmas (WAL, busy timeout, foreign
keys) on every connection; PostgreSQL connections are retried while the server refuses them, then
the refusal is raised; sessions keep their rows readable after a commit; Alembic's URL is escaped."""

import logging
import socket

import pytest
from sqlalchemy import text

from bot.db.engine import alembic_config, make_engine, make_sessionmaker, migrate_to_head, round_trip
from bot.db.models import GuildStyle


async def test_sqlite_gets_its_folder_and_its_pragmas(tmp_path):
    path = tmp_path / "deep" / "er" / "imagebot.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}", busy_timeout=2.5)
    try:
        assert path.parent.is_dir()
        async with engine.connect() as connection:
            pragmas = [
                (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            ]
        assert pragmas == ["wal", 2500, 1, 1]
        assert await round_trip(engine)
    finally:
        await engine.dispose()


async def test_a_sessions_rows_stay_readable_after_its_commit(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'imagebot.db'}")
    try:
        await migrate_to_head(engine)
        async with make_sessionmaker(engine)() as session:
            style = GuildStyle(guild_id=1, name="anime", template="{prompt}, anime", created_by=2)
            session.add(style)
            await session.commit()
        assert style.template == "{prompt}, anime"  # not expired: no lazy load outside the session
    finally:
        await engine.dispose()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_refused_postgresql_connection_is_retried_then_raised(caplog):
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/imagebot"
    patient = make_engine(url, reconnect_seconds=0.3, connect_timeout=1)
    impatient = make_engine(url, reconnect_seconds=0, connect_timeout=1)
    try:
        with caplog.at_level(logging.WARNING, "bot.db.engine"), pytest.raises(OSError):
            await round_trip(patient)
        assert caplog.records  # tried again before giving up
        assert all("refused a connection" in record.getMessage() for record in caplog.records)
        caplog.clear()
        with caplog.at_level(logging.WARNING, "bot.db.engine"), pytest.raises(OSError):
            await round_trip(impatient)
        assert caplog.records == []
    finally:
        await patient.dispose()
        await impatient.dispose()


async def test_a_postgresql_database_is_reached_and_migrated(postgres_url):
    engine = make_engine(postgres_url)
    try:
        assert await round_trip(engine)
        await migrate_to_head(engine)
        await migrate_to_head(engine)  # found done
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM guild_style"))).scalar_one() == 0
    finally:
        await engine.dispose()


def test_alembic_is_given_the_url_with_its_percent_signs_escaped():
    config = alembic_config("postgresql+asyncpg://bot:p%40ss@db/imagebot")
    assert config.get_main_option("sqlalchemy.url") == "postgresql+asyncpg://bot:p%40ss@db/imagebot"
    assert config.get_main_option("script_location").endswith("migrations")
