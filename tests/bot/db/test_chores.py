"""Chores that several processes share run in one of them at a time (PostgreSQL advisory locks)."""

from bot.billing.retention import Retention
from bot.clock import SystemClock
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.policy import take_chore


async def test_one_process_at_a_time_holds_a_chore_until_its_unit_of_work_ends(postgres_url):
    first_engine, second_engine = make_engine(postgres_url), make_engine(postgres_url)
    try:
        await migrate_to_head(first_engine)
        first, second = make_sessionmaker(first_engine), make_sessionmaker(second_engine)
        async with first() as holding:
            assert await take_chore(holding, "retention")
            async with second() as other:
                assert not await take_chore(other, "retention")
                assert await take_chore(other, "another chore")
                assert await Retention(second, SystemClock(), every_minutes=60).prune() == 0
            await holding.commit()
        async with second() as other:
            assert await take_chore(other, "retention")
    finally:
        await first_engine.dispose()
        await second_engine.dispose()


async def test_on_sqlite_the_one_process_always_holds_its_chores(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}")
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            assert await take_chore(session, "retention")
    finally:
        await engine.dispose()
