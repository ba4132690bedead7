"""The Discord client: owns the HTTP session, the database, the images client and the cogs."""

from __future__ import annotations

import logging

import aiohttp
import discord
import yarl
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Config, DiscordConfig
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.models import UsageRecord
from bot.db.usage import save_usage
from bot.db.models import GuildSettings
from bot.db.policy import get_settings
from bot.errors import InvalidRequest
from bot.i18n import CatalogueTranslator, _, choose_locale
from bot.jobs import Scheduler
from bot.images import ImagesClient, ModelRegistry, ModelSpec
from bot.components import DYNAMIC_ITEMS
from bot.downloads import DISCORD_CDN_HOSTS, AttachmentDownloader
from bot.policy import Policy
from bot.pricing import PriceTable
from bot.service import ImageService
from bot.threads import BoundedThreads
from bot.tree import ImageBotTree

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.imagine", "cogs.edit", "cogs.vary", "cogs.usage", "cogs.settings", "cogs.account")


def point_discord_at(config: DiscordConfig) -> None:
    """Send discord.py's REST calls and gateway connection to a Discord-compatible server."""
    if config.api_base_url:
        discord.http.Route.BASE = config.api_base_url
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class ImageBot(commands.Bot):
    http_session: aiohttp.ClientSession
    db_engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    images: ImagesClient
    threads: BoundedThreads
    downloads: AttachmentDownloader
    service: ImageService
    scheduler: Scheduler

    def __init__(self, config: Config) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=ImageBotTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
        )
        self.config = config
        self.models = ModelRegistry(config.images.models)
        self.prices = PriceTable(config.prices)
        self.policy = Policy(self)
        point_discord_at(config.discord)

    async def setup_hook(self) -> None:
        self.http_session = aiohttp.ClientSession()
        self.db_engine = make_engine(self.config.database.url)
        await migrate_to_head(self.db_engine)
        self.db = make_sessionmaker(self.db_engine)
        images = self.config.images
        self.images = ImagesClient(
            self.http_session,
            base_url=images.base_url,
            api_key=images.api_key.get_secret_value(),
            timeout=images.timeout_seconds,
            max_retries=images.max_retries,
            retry_base_delay=images.retry_base_delay,
            max_retry_wait=images.max_retry_wait,
            max_parallel_requests=images.max_parallel_requests,
        )
        self.threads = BoundedThreads(self.config.imaging.worker_threads)
        self.downloads = AttachmentDownloader(
            self.http_session,
            allowed_hosts=self.allowed_image_hosts(),
            max_bytes=int(self.config.imaging.max_download_mb * 1024 * 1024),
        )
        self.service = ImageService(self)
        jobs = self.config.jobs
        self.scheduler = Scheduler(self, max_running=jobs.max_running, per_guild=jobs.per_guild,
                                   per_member=jobs.per_member, shutdown_grace=jobs.shutdown_grace_seconds)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.tree.set_translator(CatalogueTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.scheduler.recover()
        self.scheduler.start()

    async def close(self) -> None:
        if hasattr(self, "scheduler"):
            await self.scheduler.shutdown()
        await super().close()
        if hasattr(self, "http_session"):
            await self.http_session.close()
        if hasattr(self, "db_engine"):
            await self.db_engine.dispose()

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d guilds", self.user, self.user.id if self.user else "?", len(self.guilds))

    def allowed_image_hosts(self) -> set[str]:
        """Discord's CDN, the configured extra hosts, and a Discord-compatible server's host."""
        hosts = set(DISCORD_CDN_HOSTS) | set(self.config.discord.cdn_hosts)
        if self.config.discord.api_base_url:
            hosts.add(yarl.URL(self.config.discord.api_base_url).host or "")
        return hosts - {""}

    def offered_models(self) -> list[str]:
        """The models members may pick, the configured default first."""
        names = [self.config.images.model, *self.config.images.offered_models]
        return list(dict.fromkeys(names))

    def resolve_model(self, name: str | None) -> ModelSpec:
        """The model a member asked for (or the default), if members may use it."""
        if name is None or name == self.config.images.model:
            return self.models.get(self.config.images.model)
        if name not in self.offered_models():
            raise InvalidRequest(_("`{model}` is not available here. Pick one of: {models}.",
                                   model=discord.utils.escape_markdown(name)[:100],
                                   models=", ".join(self.offered_models())))
        return self.models.get(name)

    @staticmethod
    def guild_locale(settings: GuildSettings, guild: discord.Guild | None) -> str:
        """The guild's language: pinned by its moderators, else Discord's community locale."""
        return choose_locale(None, settings.language, guild.preferred_locale.value if guild else None)

    async def locale_for(self, interaction: discord.Interaction, settings: GuildSettings | None = None) -> str:
        """The reader's language: theirs if we have it, else the guild's, else en-US. Pass the
        guild's settings when they are already loaded."""
        pinned = settings.language if settings is not None else None
        if settings is None and interaction.guild_id is not None:
            async with self.db() as session:
                pinned = (await get_settings(session, interaction.guild_id)).language
        guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
        return choose_locale(interaction.locale.value, pinned, guild_locale)

    async def log_usage(self, record: UsageRecord) -> None:
        """Write a usage row. A database failure is logged with the row, never raised."""
        try:
            async with self.db() as session:
                await save_usage(session, record)
        except Exception:
            log.exception(
                "could not write usage row: guild=%s user=%s command=%s status=%s code=%s",
                record.guild_id, record.user_id, record.command, record.status, record.error_code,
            )
