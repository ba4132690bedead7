"""Blocks decide by one statement: a moderator's replaces any other; strikes block only a member
with none in force; a block ends by itself. On SQLite and on PostgreSQL."""

import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.safety import block_in_force, block_member, blocks_in_force, unblock_all, unblock_member
from tests.conftest import fresh_postgres

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request, tmp_path):
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'safety.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        engine = make_engine(url)
        await migrate_to_head(engine)
        yield make_sessionmaker(engine)
        await engine.dispose()


async def test_strikes_block_only_a_member_with_no_block_in_force(sessions):
    async with sessions() as session:
        day = NOW + timedelta(hours=24)
        assert await block_member(
            session, 1, 7, until=day, reason="strikes", blocked_by=None, now=NOW, only_if_free=True
        )
        assert not await block_member(
            session, 1, 7, until=day + timedelta(hours=1), reason="strikes", blocked_by=None, now=NOW, only_if_free=True
        )
        await session.commit()
        assert (await block_in_force(session, 1, 7, NOW)).until == day
        assert await block_in_force(session, 1, 7, day) is None  # it has ended by itself
        later = day + timedelta(minutes=1)
        assert await block_member(
            session,
            1,
            7,
            until=later + timedelta(hours=24),
            reason="strikes",
            blocked_by=None,
            now=later,
            only_if_free=True,
        )
        await session.commit()


async def test_a_moderators_block_replaces_any_and_for_good_never_ends(sessions):
    async with sessions() as session:
        await block_member(session, 1, 7, until=NOW + timedelta(hours=24), reason="strikes", blocked_by=None, now=NOW)
        assert await block_member(session, 1, 7, until=None, reason="moderator", blocked_by=99, now=NOW)
        await session.commit()
        block = await block_in_force(session, 1, 7, NOW + timedelta(days=3650))
        assert (block.reason, block.blocked_by, block.until) == ("moderator", 99, None)
        assert not await block_member(
            session, 1, 7, until=NOW, reason="strikes", blocked_by=None, now=NOW, only_if_free=True
        )
        assert await block_in_force(session, 2, 7, NOW) is None  # another guild's member is free
        assert await unblock_member(session, 1, 7)
        await session.commit()
        assert await block_in_force(session, 1, 7, NOW) is None


async def test_lifting_every_block_of_a_guild_leaves_other_guilds_blocks(sessions):
    async with sessions() as session:
        await block_member(session, 1, 7, until=None, reason="moderator", blocked_by=99, now=NOW)
        await block_member(session, 1, 8, until=NOW + timedelta(hours=24), reason="strikes", blocked_by=None, now=NOW)
        await block_member(session, 2, 7, until=None, reason="moderator", blocked_by=98, now=NOW)
        await session.commit()
        assert [block.user_id for block in await blocks_in_force(session, 1, NOW)] == [7, 8]
        assert await unblock_all(session, 1) == 2
        await session.commit()
        assert await blocks_in_force(session, 1, NOW) == []
        assert [(block.guild_id, block.user_id) for block in await blocks_in_force(session, 2, NOW)] == [(2, 7)]


async def test_a_block_read_again_in_the_same_session_is_the_stored_one(sessions):
    """Sessions keep the rows they loaded (no expiry on commit): a block replaced by an upsert
    must read back as replaced."""
    async with sessions() as session:
        await block_member(session, 1, 7, until=NOW + timedelta(hours=24), reason="strikes", blocked_by=None, now=NOW)
        await session.commit()
        assert (await block_in_force(session, 1, 7, NOW)).until is not None
        await block_member(session, 1, 7, until=None, reason="moderator", blocked_by=99, now=NOW)
        await session.commit()
        assert (await block_in_force(session, 1, 7, NOW)).until is None
        [listed] = await blocks_in_force(session, 1, NOW)
        assert (listed.until, listed.blocked_by) == (None, 99)
