"""`python -m bot copy-db`: a SQLite database copied whole into a fresh PostgreSQL one."""

import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.db.copy import copy_database
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.models import Base, GuildSettings, Job, KeptResult, SettingsChange, UsageCounter, UsageRecord


async def seeded_sqlite(path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    engine = make_engine(url)
    await migrate_to_head(engine)
    async with make_sessionmaker(engine)() as session:
        for index in range(1, 2501):
            session.add(
                UsageRecord(guild_id=42, user_id=index % 7, command="imagine", status="ok", n=1, prompt=f"fox {index}")
            )
        await session.flush()
        session.add_all(
            [
                GuildSettings(guild_id=42, allowed_models=["gpt-image-2"], images_per_day=5),
                SettingsChange(guild_id=42, user_id=1, setting="images_per_day", old_value=None, new_value=5),
                UsageCounter(guild_id=42, subject="budget", period="2026-11", amount=1.25),
                Job(
                    usage_id=1,
                    kind="generate",
                    state="done",
                    guild_id=42,
                    user_id=1,
                    locale="en-US",
                    params={"n": 1},
                    application_id=9,
                    attachment_limit=10 * 2**20,
                    interaction_at=datetime(2026, 11, 25, tzinfo=UTC),
                ),
                KeptResult(
                    usage_id=2,
                    user_id=1,
                    guild_id=42,
                    filename="imagine-1-1.png",
                    data=b"\x89PNG fake",
                    size=9,
                    created_at=datetime(2026, 11, 25, tzinfo=UTC),
                    expires_at=datetime(2026, 11, 26, tzinfo=UTC),
                ),
            ]
        )
        await session.commit()
    await engine.dispose()
    return url


async def counts(engine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            for table in Base.metadata.sorted_tables
        }


async def test_every_row_is_copied_and_new_ids_follow_the_copied_ones(tmp_path, postgres_url):
    source, target = make_engine(await seeded_sqlite(tmp_path / "old.db")), make_engine(postgres_url)
    try:
        copies = await copy_database(source, target)
        assert {copy.name: copy.rows for copy in copies} == await counts(source) == await counts(target)
        assert dict((copy.name, copy.rows) for copy in copies)["usage"] == 2500
        async with make_sessionmaker(target)() as session:
            kept = (await session.scalars(select(KeptResult))).one()
            assert kept.data == b"\x89PNG fake" and kept.expires_at == datetime(2026, 11, 26, tzinfo=UTC)
            settings = await session.get(GuildSettings, 42)
            assert settings.allowed_models == ["gpt-image-2"] and settings.images_per_day == 5
            record = UsageRecord(guild_id=42, user_id=1, command="imagine", status="ok", n=1)
            session.add(record)
            await session.commit()
            assert record.id == 2501
    finally:
        await source.dispose()
        await target.dispose()


async def test_the_command_refuses_a_target_that_has_rows_and_keeps_it_as_it_was(tmp_path, postgres_url):
    source_url = await seeded_sqlite(tmp_path / "old.db")
    config = tmp_path / "config.toml"
    config.write_text(f'[discord]\ntoken = "t"\n[images]\napi_key = "k"\n[database]\nurl = "{source_url}"\n')

    async def copy_db() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "copy-db", "--to", postgres_url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 120)
        return process.returncode, output.decode()

    code, output = await copy_db()
    assert code == 0 and "usage: 2500 rows" in output
    code, output = await copy_db()
    assert code == 1 and "already has rows; copy into a fresh database" in output
    target = make_engine(postgres_url)
    try:
        assert (await counts(target))["usage"] == 2500
    finally:
        await target.dispose()
