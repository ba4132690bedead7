"""Shared fixtures: both stand-ins on loopback, a config pointing at them, and the real bot."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import ImageBot
from bot.config import Config, parse_config
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.downloads import AttachmentDownloader
from bot.images.moderation import Moderation
from bot.images.transport import Transport, TransportSettings
from tests.postgres_cluster import PostgresCluster, ServerNotInstalled, admin_server, bot_url, fresh_database
from tests.secrets_scan import LogLines, leaks, scan_calls, scan_database
from tests.standins.discord_api import DiscordStandIn
from tests.standins.images_api import ImagesStandIn
from tests.standins.images_rules import API_KEY, GUILD_API_KEY, ExtraModel

POSTGRES_SERVER = pytest.StashKey[contextlib.ExitStack]()


def pytest_configure(config: pytest.Config) -> None:
    """The PostgreSQL server the tests make their databases on: `make test`'s (or the one that
    IMAGEBOT_TEST_POSTGRES_URL names), else, when pytest runs on its own, a throwaway cluster of
    this run's, started here (before pytest-xdist starts its workers, which inherit its URL) and
    removed at the end."""
    if hasattr(config, "workerinput"):
        return
    server = contextlib.ExitStack()
    try:
        server.enter_context(admin_server())
    except ServerNotInstalled as error:
        pytest.exit(str(error), returncode=4)
    config.stash[POSTGRES_SERVER] = server


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(POSTGRES_SERVER, None)
    if server is not None:
        server.close()


@pytest.fixture
async def images_api() -> AsyncIterator[ImagesStandIn]:
    standin = ImagesStandIn(extra_models={"acme-diffusion": ExtraModel()})
    await standin.start()
    yield standin
    await standin.close()
    assert not standin.violations, standin.violations


@pytest.fixture
async def guild_images_api() -> AsyncIterator[ImagesStandIn]:
    """A second Images API account: a guild's own key's, at a base URL of its own."""
    standin = ImagesStandIn(api_key=GUILD_API_KEY)
    await standin.start()
    yield standin
    await standin.close()
    assert not standin.violations, standin.violations


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    standin = DiscordStandIn()
    await standin.start()
    yield standin
    await standin.close()
    assert not standin.violations, standin.violations
    assert not (found := scan_calls(standin.calls, "sent to Discord")), found


@pytest.fixture(autouse=True)
def log_lines_hold_no_secrets() -> Iterator[None]:
    """Every test runs under the secrets scan of its log lines (see tests/secrets_scan.py)."""
    handler = LogLines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    found = [hit for line in handler.lines for hit in leaks(line, "log line")]
    assert not found, found


BOT_DATABASE = os.environ.get("IMAGEBOT_TEST_DATABASE", "sqlite")


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A new PostgreSQL database on the tests' server (see `pytest_configure`), dropped afterwards;
    yields its URL for the bot's `database.url`."""
    async with fresh_database() as url:
        yield bot_url(url)


@pytest.fixture
async def bot_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """The database of the test's bot: a SQLite file, or, with IMAGEBOT_TEST_DATABASE=postgresql
    (the suite's second run in CI), a fresh PostgreSQL database."""
    if BOT_DATABASE == "postgresql":
        async with fresh_postgres() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'imagebot.db'}"


@pytest.fixture
def config_data(
    tmp_path: Path, images_api: ImagesStandIn, discord_api: DiscordStandIn, bot_database_url: str
) -> dict[str, Any]:
    return {
        "discord": {
            "token": discord_api.token,
            "api_base_url": discord_api.api_base_url,
            "gateway_url": discord_api.gateway_url,
        },
        "images": {
            "base_url": images_api.base_url,
            "api_key": images_api.api_key,
            "model": "gpt-image-2",
            "offered_models": ["gpt-image-2", "gpt-image-1-mini", "dall-e-3", "dall-e-2"],
            "retry_base_delay": 0.01,
            "max_retry_wait": 0.05,
            "timeout_seconds": 10,
        },
        "database": {"url": bot_database_url},
        "jobs": {"status_every_seconds": 0},
    }


@pytest.fixture
def make_config(config_data: dict[str, Any]) -> Callable[..., Config]:
    def make(**sections: dict[str, Any]) -> Config:
        data = copy.deepcopy(config_data)
        for section, values in sections.items():
            data.setdefault(section, {}).update(values)
        return parse_config(data, environ={})

    return make


@pytest.fixture
async def start_bot(discord_api: DiscordStandIn) -> AsyncIterator[Callable[[Config], Any]]:
    """Start the real bot against the stand-ins; every bot started is closed at teardown."""
    running: list[tuple[ImageBot, asyncio.Task[None]]] = []
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

    async def start(config: Config) -> ImageBot:
        bot = ImageBot(config)
        task = asyncio.create_task(bot.start(config.discord.token.get_secret_value()))
        running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()
        assert ready in done, "the bot did not become ready"
        return bot

    yield start
    found = []
    for bot, task in running:
        found += await scan_database(bot.db_engine)
        await bot.close()
        await asyncio.wait_for(task, 10)
    discord.http.Route.BASE = original_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = original_gateway
    assert not found, found


@pytest.fixture
async def sessions(bot_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database of the test's own (see `bot_database_url`), for tests below the Discord surface."""
    engine = make_engine(bot_database_url)
    await migrate_to_head(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def downloads(discord_api: DiscordStandIn) -> AsyncIterator[AttachmentDownloader]:
    """The real downloader, fetching from the Discord stand-in's CDN (what `discord_api.upload`
    stores), 4 MiB at most: for units that read members' images."""
    async with aiohttp.ClientSession() as session:
        yield AttachmentDownloader(session, allowed_hosts={"127.0.0.1"}, max_bytes=4 * 2**20)


@pytest.fixture
async def moderation(images_api: ImagesStandIn) -> AsyncIterator[Moderation]:
    """The real screening client of the Images stand-in's moderation endpoint (its rules:
    `images_api.moderation`), without retries."""
    async with aiohttp.ClientSession() as session:
        settings = TransportSettings(max_retries=0, retry_base_delay=0)
        transport = Transport(session, base_url=images_api.base_url, api_key=API_KEY, settings=settings)
        yield Moderation(transport, model="omni-moderation-latest")


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards. Name it before `start_bot`, so
    that it is dropped after the bot's rows are scanned."""
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
async def postgres_sessions(postgres_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated PostgreSQL database whatever the bot's database is: for what only PostgreSQL does
    (the shared queue's advisory locks and clock)."""
    engine = make_engine(postgres_url)
    await migrate_to_head(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def postgres_cluster() -> AsyncIterator[PostgresCluster]:
    """A PostgreSQL server of the test's own, which it may stop and start; removed afterwards. Name
    it before `start_bot`, so that it is removed after the bot's rows are scanned."""
    cluster = PostgresCluster()
    try:
        await cluster.create()
        yield cluster
    finally:
        await cluster.remove()
