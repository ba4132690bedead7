"""Benchmarks: `make bench`. Figures go in README.md's Performance section.

1. Re-encoding a result that is over Discord's attachment limit (Pillow, in a worker thread).
2. /imagine through the real bot and both stand-ins: the bot's own latency, from
   INTERACTION_CREATE to the final message with attachments and buttons (the stand-in answers
   at once, so this is everything but the provider's time: the job queue, status edits and
   streamed previews included), sequential and 8 at a time.
3. Usage-log writes to a real SQLite file, one session per unit of work, as the bot does.
4. Moderators' queries over a large usage table (100,000 rows, 50 guilds, 90 days): /usage
   summary's aggregates, one /usage recent page, and streaming a guild's rows for export.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
from sqlalchemy import insert

from bot.app import ImageBot
from bot.config import parse_config
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.models import UsageRecord
from bot.db.usage import recent_page, stream_rows, summarize
from bot.imaging import fit_to_limit
from tests.standins.discord_api import DiscordStandIn
from tests.standins.images_api import ImagesStandIn
from tests.standins.images_rules import make_png


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_reencode(rounds: int = 10) -> None:
    data = make_png(1024, 1024, "bench", noise=True)
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = fit_to_limit(data, 1_000_000)
        timings.append(time.perf_counter() - start)
    print(
        f"re-encode 1024x1024 noise PNG ({len(data) / 1e6:.1f} MB) to fit 1 MB -> {result.extension} "
        f"{len(result.data) / 1e3:.0f} kB: median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms over {rounds}"
    )


async def bench_imagine(sequential: int = 20, concurrent: int = 8, rounds: int = 3) -> None:
    discord_api, images_api = DiscordStandIn(), ImagesStandIn()
    await discord_api.start()
    await images_api.start()
    with tempfile.TemporaryDirectory() as folder:
        config = parse_config(
            {
                "discord": {
                    "token": discord_api.token,
                    "api_base_url": discord_api.api_base_url,
                    "gateway_url": discord_api.gateway_url,
                },
                "images": {"base_url": images_api.base_url, "api_key": images_api.api_key},
                "database": {"url": f"sqlite+aiosqlite:///{folder}/bench.db"},
                "logging": {"level": "WARNING"},
            },
            environ={},
        )
        bot = ImageBot(config)
        task = asyncio.create_task(bot.start(discord_api.token))
        await asyncio.wait_for(bot.wait_until_ready(), 30)

        async def one(prompt: str) -> float:
            start = time.perf_counter()
            state = await discord_api.send_slash_command(
                "imagine", {"prompt": prompt, "size": "1024x1024"}, attachment_size_limit=25 * 1024 * 1024
            )
            await discord_api.wait_for_reply(state, 60)
            return time.perf_counter() - start

        timings = [await one(f"sequential {index}") for index in range(sequential)]
        print(
            f"/imagine n=1, one at a time: p50 {_percentile(timings, 0.5) * 1000:.0f} ms, "
            f"p95 {_percentile(timings, 0.95) * 1000:.0f} ms over {sequential}"
        )
        for round_index in range(rounds):
            start = time.perf_counter()
            batch = await asyncio.gather(*(one(f"burst {round_index}-{index}") for index in range(concurrent)))
            wall = time.perf_counter() - start
            print(
                f"/imagine n=1, {concurrent} at once: wall {wall * 1000:.0f} ms, "
                f"slowest {max(batch) * 1000:.0f} ms, {concurrent / wall:.1f} requests/s"
            )
        await bot.close()
        await task
    await discord_api.close()
    await images_api.close()


async def bench_usage_writes(rows: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await migrate_to_head(engine)
        sessions = make_sessionmaker(engine)
        start = time.perf_counter()
        for index in range(rows):
            async with sessions() as session:
                session.add(
                    UsageRecord(
                        guild_id=index % 50,
                        user_id=index % 500,
                        command="imagine",
                        status="ok",
                        n=1,
                        image_count=1,
                        prompt="bench prompt",
                    )
                )
                await session.commit()
        elapsed = time.perf_counter() - start
        await engine.dispose()
    print(f"usage rows to SQLite (WAL), one session each: {rows / elapsed:.0f} rows/s over {rows}")


async def bench_reports(rows: int = 100_000, guilds: int = 50) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'reports.db'}")
        await migrate_to_head(engine)
        now = datetime.now(UTC)
        statuses = ["ok"] * 8 + ["failed", "refused"]
        values = [
            {
                "guild_id": index % guilds,
                "user_id": index % 997,
                "command": "imagine",
                "status": statuses[index % 10],
                "n": 1,
                "image_count": 1,
                "prompt": f"prompt {index}",
                "model": "gpt-image-2",
                "cost_usd": 0.04,
                "reserved_usd": 0.0,
                "reserved_images": 0,
                "created_at": now - timedelta(minutes=index * 90 * 24 * 60 // rows),
            }
            for index in range(rows)
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(UsageRecord), values)
        sessions = make_sessionmaker(engine)

        async def timed(label: str, work) -> None:
            timings = []
            for _ in range(5):
                start = time.perf_counter()
                async with sessions() as session:
                    await work(session)
                timings.append(time.perf_counter() - start)
            print(f"{label}: median {statistics.median(timings) * 1000:.1f} ms")

        async def export(session) -> None:
            async for _ in stream_rows(session, 7, None):
                pass

        print(f"reports over {rows:,} usage rows in {guilds} guilds (SQLite):")
        await timed(
            "  /usage summary, 30 days, one guild", lambda session: summarize(session, 7, now - timedelta(days=30))
        )
        await timed("  /usage summary, all time, one guild", lambda session: summarize(session, 7, None))
        await timed("  /usage recent, one page", lambda session: recent_page(session, 7, limit=10))
        await timed(f"  /usage export, one guild ({rows // guilds:,} rows streamed)", export)
        await engine.dispose()


def main() -> None:
    discord.utils.setup_logging(level=40)
    bench_reencode()
    asyncio.run(bench_usage_writes())
    asyncio.run(bench_reports())
    asyncio.run(bench_imagine())


if __name__ == "__main__":
    main()
