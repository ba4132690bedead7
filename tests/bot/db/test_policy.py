"""The policy's queries: reservations cannot pass a limit together, even from several processes on
PostgreSQL; chores that several processes share run in one of them at a time (advisory locks)."""

import asyncio
import sys

from bot.billing.retention import Retention
from bot.clock import SystemClock
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.policy import add_to_counter, counter_value, take_chore
from tests.sandbox import ROOT

RACER = """
import asyncio, sys
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.policy import add_to_counter

async def main(url, attempts, limit):
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    won = 0
    for _ in range(attempts):
        async with sessions() as session:
            if await add_to_counter(session, 1, "images:7", "2026-11-23", 1, limit):
                won += 1
            await session.commit()
    await engine.dispose()
    print(won)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
"""


async def _race(url: str, processes: int, attempts: int, limit: int) -> list[int]:
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", RACER, url, str(attempts), str(limit), cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        for _ in range(processes)
    ]
    outputs = [await asyncio.wait_for(racer.communicate(), 60) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    return [int(output.strip()) for output, _ in outputs]


async def test_processes_racing_on_postgresql_take_exactly_the_limit(postgres_url):
    engine = make_engine(postgres_url)
    await migrate_to_head(engine)
    wins = await _race(postgres_url, processes=4, attempts=6, limit=10)
    assert sum(wins) == 10
    async with make_sessionmaker(engine)() as session:
        assert await counter_value(session, 1, "images:7", "2026-11-23") == 10
    await engine.dispose()


async def test_processes_racing_on_sqlite_take_exactly_the_limit(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    engine = make_engine(url)
    await migrate_to_head(engine)
    await engine.dispose()
    assert sum(await _race(url, processes=3, attempts=4, limit=5)) == 5


async def test_without_a_limit_everything_counts(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await migrate_to_head(engine)
    async with make_sessionmaker(engine)() as session:
        assert await add_to_counter(session, 1, "budget", "2026-11", 2.5)
        assert await add_to_counter(session, 1, "budget", "2026-11", -0.5)
        assert not await add_to_counter(session, 1, "budget", "2026-11", 1.0, limit=2.5)
        await session.commit()
        assert await counter_value(session, 1, "budget", "2026-11") == 2.0
    await engine.dispose()


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
