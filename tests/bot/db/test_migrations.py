"""Migrations on a real SQLite file and on PostgreSQL; the models match the migrations."""

import asyncio
from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.db.engine import alembic_config, make_engine, make_sessionmaker, migrate_to_head
from bot.db.models import Base, UsageRecord
from bot.db.safety import filter_patterns
from bot.db.usage import recent_page

HEAD = "0018"


def _diff(connection):
    return compare_metadata(MigrationContext.configure(connection), Base.metadata)


async def _check_database(url):
    engine = make_engine(url)
    try:
        await migrate_to_head(engine)
        await migrate_to_head(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            assert {"usage", "alembic_version"} <= set(tables)
            version = (await connection.execute(text("select version_num from alembic_version"))).scalar_one()
            assert version == HEAD
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            for index in range(3):
                session.add(
                    UsageRecord(
                        guild_id=42, user_id=7, command="imagine", status="ok", n=1, image_count=1, prompt=f"p{index}"
                    )
                )
                await session.commit()
            session.add(UsageRecord(guild_id=43, user_id=7, command="imagine", status="ok", n=1, image_count=1))
            await session.commit()
        async with sessions() as session:
            rows, total = await recent_page(session, 42, limit=2)
            assert [row.prompt for row in rows] == ["p2", "p1"] and total == 3
    finally:
        await engine.dispose()


async def test_sqlite_file_migrates_to_head_and_matches_models(tmp_path):
    await _check_database(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'bot.db'}")
    assert (tmp_path / "nested" / "bot.db").exists()


async def test_postgresql_migrates_to_head_and_matches_models(postgres_url):
    await _check_database(postgres_url)


async def test_processes_starting_together_migrate_postgresql_once(postgres_url):
    engines = [make_engine(postgres_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate_to_head(engine) for engine in engines))
        async with engines[0].connect() as connection:
            version = (await connection.execute(text("select version_num from alembic_version"))).scalar_one()
            assert await connection.run_sync(_diff) == []
        assert version == HEAD
    finally:
        for engine in engines:
            await engine.dispose()


def _upgrade_to(connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def _rekey_word_filters(url):
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, url, "0014")
            start = datetime(2026, 1, 1, tzinfo=UTC)
            stored = ["dr4g0n", "dragon", "café", "blood", "d r a g o n", "dra*on"]  # as the earlier folding kept them
            for index, pattern in enumerate(stored):
                await connection.execute(
                    text("insert into word_filter values (1, :pattern, 7, :at)"),
                    {"pattern": pattern, "at": start + timedelta(minutes=index)},
                )
            await connection.execute(text("insert into word_filter values (2, 'dragon', 7, :at)"), {"at": start})
        await migrate_to_head(engine)
        async with make_sessionmaker(engine)() as session:
            assert await filter_patterns(session, 1) == ["dragon", "cafe", "blood", "dra*on"]
            assert await filter_patterns(session, 2) == ["dragon"]
    finally:
        await engine.dispose()


async def test_stored_word_filter_keys_are_folded_the_new_way_on_sqlite(tmp_path):
    await _rekey_word_filters(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


async def test_stored_word_filter_keys_are_folded_the_new_way_on_postgresql(postgres_url):
    await _rekey_word_filters(postgres_url)
