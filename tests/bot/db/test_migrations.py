"""Migrations on a real SQLite file and on PostgreSQL; the models match the migrations."""

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from bot.db.engine import alembic_config, make_engine, make_sessionmaker, migrate_to_head
from bot.db.models import Base, Job, JobOrigin, MemberBlock, UsageRecord
from bot.db.safety import block_member, filter_patterns
from bot.db.usage import recent_page

HEAD = "0020"


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


def _downgrade_to(connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


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


LISTED_SETTINGS = sa.table(  # guild_settings as revision 0016 has it, with the list of blocked members
    "guild_settings",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("allowed_models", sa.JSON()),
    sa.column("allowed_sizes", sa.JSON()),
    sa.column("channel_ids", sa.JSON()),
    sa.column("exempt_role_ids", sa.JSON()),
    sa.column("blocked_user_ids", sa.JSON()),
    sa.column("budget_alert_percent", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


async def _blocks(engine) -> set[tuple[int, int, bool, str]]:
    """Every block as (guild, member, for good, reason)."""
    async with make_sessionmaker(engine)() as session:
        blocks = (await session.scalars(select(MemberBlock))).all()
    return {(block.guild_id, block.user_id, block.until is None, block.reason) for block in blocks}


async def _move_blocked_lists(url):
    engine = make_engine(url)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    later = datetime.now(UTC) + timedelta(days=1)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, url, "0016")
            empty = {"allowed_models": [], "allowed_sizes": [], "channel_ids": [], "exempt_role_ids": []}
            for guild_id, blocked in [(1, [7, 8, 7]), (2, []), (3, [9])]:
                await connection.execute(
                    sa.insert(LISTED_SETTINGS).values(
                        guild_id=guild_id, blocked_user_ids=blocked, budget_alert_percent=0, updated_at=start, **empty
                    )
                )
            for guild_id, user_id in [(1, 8), (3, 10)]:  # strikes, timed; member 8 is on the list too
                await connection.execute(
                    text("insert into member_block values (:guild, :user, :until, 'strikes', null, :at)"),
                    {"guild": guild_id, "user": user_id, "until": later, "at": start},
                )
        await migrate_to_head(engine)
        assert await _blocks(engine) == {
            (1, 7, True, "moderator"),
            (1, 8, True, "moderator"),  # the list said for good
            (3, 9, True, "moderator"),
            (3, 10, False, "strikes"),
        }
        async with make_sessionmaker(engine)() as session:  # a guild with no settings, blocked for good since
            await block_member(session, 4, 11, until=None, reason="moderator", blocked_by=5, now=datetime.now(UTC))
            await session.commit()

        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to, url, "0016")
            listed = await connection.execute(
                select(LISTED_SETTINGS.c.guild_id, LISTED_SETTINGS.c.blocked_user_ids).order_by("guild_id")
            )
            assert [tuple(row) for row in listed] == [(1, [7, 8]), (2, []), (3, [9]), (4, [11])]
        assert await _blocks(engine) == {(3, 10, False, "strikes")}

        await migrate_to_head(engine)
        assert await _blocks(engine) == {
            (1, 7, True, "moderator"),
            (1, 8, True, "moderator"),
            (3, 9, True, "moderator"),
            (3, 10, False, "strikes"),
            (4, 11, True, "moderator"),
        }
    finally:
        await engine.dispose()


async def test_blocked_lists_become_blocks_for_good_and_back_on_sqlite(tmp_path):
    await _move_blocked_lists(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


async def test_blocked_lists_become_blocks_for_good_and_back_on_postgresql(postgres_url):
    await _move_blocked_lists(postgres_url)


async def _origins(engine) -> dict[int, str]:
    async with make_sessionmaker(engine)() as session:
        return {job.usage_id: job.origin for job in (await session.scalars(select(Job))).all()}


async def _name_painting_jobs(url):
    engine = make_engine(url)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, url, "0018")
            stored = [(1, "interaction", 100), (2, "interaction", None), (3, "message", 300)]  # 2: the page's
            for usage_id, origin, message_id in stored:
                await connection.execute(
                    sa.insert(Job.__table__).values(
                        usage_id=usage_id,
                        kind="edit",
                        origin=origin,
                        state="queued",
                        user_id=7,
                        locale="en-US",
                        params={},
                        application_id=5,
                        interaction_token=None if origin == "message" else "token",
                        message_id=message_id,
                        attachment_limit=8 * 2**20,
                        interaction_at=at,
                        created_at=at,
                        runs=0,
                        waits=0,
                    )
                )
        await migrate_to_head(engine)
        # the painting page's job (an interaction's with no message of the bot's) loads as its own
        assert await _origins(engine) == {1: JobOrigin.INTERACTION, 2: JobOrigin.PAINTING, 3: JobOrigin.MESSAGE}
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to, url, "0018")
        assert await _origins(engine) == {1: "interaction", 2: "interaction", 3: "message"}
    finally:
        await engine.dispose()


async def test_painting_jobs_get_their_own_origin_and_back_on_sqlite_and_postgresql(tmp_path, postgres_url):
    for url in (f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", postgres_url):
        await _name_painting_jobs(url)
