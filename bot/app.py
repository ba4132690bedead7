"""Wiring: the discord.py client, and every part of the bot built with exactly what it needs.

`setup_hook` opens the HTTP session and the database (migrated to head), builds the parts,
adds the cogs and button handlers, and starts the job runner, the status sender and the
prompt-retention chore. Nothing but `__main__` (and tools that list the commands) imports this.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.billing.retention import Retention
from bot.billing.usage import UsageLog
from bot.callwindow import CallWindow
from bot.clock import SystemClock
from bot.config import Config, DiscordConfig
from bot.db.engine import answers, make_engine, make_sessionmaker, migrate_to_head
from bot.db.jobs import Caps
from bot.downloads import DISCORD_CDN_HOSTS, AttachmentDownloader
from bot.flow.accounts import Accounts
from bot.flow.catalog import ModelCatalog
from bot.flow.conversation import Conversation
from bot.flow.delivery import Delivery
from bot.flow.failures import Failures
from bot.flow.filters import WordFilters
from bot.flow.flags import FlagAlerts
from bot.flow.intake import Intake
from bot.flow.locales import Locales
from bot.flow.notices import ModeratorNotices
from bot.flow.painting import Painting
from bot.flow.pipeline import Pipeline
from bot.flow.production import Production
from bot.flow.replies import MemberReplies, missing_permissions
from bot.flow.screening import Screener
from bot.flow.status import Openings, StatusSender
from bot.flow.styles import Styles
from bot.i18n import CatalogueTranslator
from bot.images import ImagesClient, ModelRegistry
from bot.images.moderation import Moderation
from bot.jobs.queue import FairQueue
from bot.jobs.runner import Runner
from bot.jobs.shared import SharedQueue
from bot.metrics import Metrics, MetricsServer
from bot.netguard import AddressRules
from bot.surface.errors import ErrorReporter
from bot.surface.flags import FlagActions, FlagButtons
from bot.surface.history import HistoryPages
from bot.surface.paint_web import PaintOffer, PaintServer
from bot.surface.views import BUTTON_COMMANDS, ResultActions, ResultButtons
from bot.threads import BoundedThreads
from bot.vault import KeyVault
from cogs.edit import Edit
from cogs.history import History
from cogs.imagine import Imagine
from cogs.privacy import Privacy
from cogs.replies import Replies
from cogs.results import Results
from cogs.settings import Settings
from cogs.usage import Usage
from cogs.vary import Vary

log = logging.getLogger(__name__)
MODERATION_RESPONSE_BYTES = 1024 * 1024  # a moderation answer is a few kilobytes


def point_discord_at(config: DiscordConfig) -> None:
    """Send discord.py's REST calls and gateway connection to a Discord-compatible server."""
    if config.api_base_url:
        discord.http.Route.BASE = config.api_base_url
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


def image_hosts(config: DiscordConfig) -> set[str]:
    """Discord's CDN, the configured extra hosts, and a Discord-compatible server's host."""
    hosts = set(DISCORD_CDN_HOSTS) | set(config.cdn_hosts)
    if config.api_base_url:
        hosts.add(yarl.URL(config.api_base_url).host or "")
    return hosts - {""}


def command_names(tree: discord.app_commands.CommandTree) -> set[str]:
    """What usage rows name commands by (`command_name`): slash commands, menus, buttons, and
    `reply` for a message's request."""
    names = {command.qualified_name.lower() for command in tree.walk_commands()}
    names |= {
        menu.name.lower().replace(" image", "") for menu in tree.get_commands(type=discord.AppCommandType.message)
    }
    return names | set(BUTTON_COMMANDS) | {"reply", "flag"}


@dataclass(frozen=True)
class Parts:
    """The long-lived parts that `setup_hook` starts and `close` stops."""

    runner: Runner
    pipeline: Pipeline
    status: StatusSender
    retention: Retention


class ImageBot(commands.AutoShardedBot):
    http_session: aiohttp.ClientSession
    db_engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    parts: Parts
    metrics_server: MetricsServer | None = None
    paint_server: PaintServer | None = None  # the painting page, when [web] is set
    guarded_session: aiohttp.ClientSession | None = None  # outbound requests a guild or a provider aims

    def __init__(self, config: Config) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = intents.dm_messages = True  # replies to images; not privileged
        intents.message_content = config.discord.message_content
        self.clock = SystemClock()
        self.calls = CallWindow(self.clock)
        self.metrics = Metrics(models=[config.images.model, *config.images.offered_models])
        trace = self.calls.trace()
        self.metrics.watch_discord(trace)
        shards: dict[str, Any] = {"shard_ids": config.discord.shard_ids} if config.discord.shard_ids else {}
        super().__init__(
            http_trace=trace,
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            shard_count=config.discord.shard_count,
            **shards,
        )
        self.config = config
        self._tasks: list[asyncio.Task[None]] = []
        point_discord_at(config.discord)

    async def setup_hook(self) -> None:
        self.http_session = aiohttp.ClientSession()
        self.db_engine = make_engine(
            self.config.database.url,
            busy_timeout=self.config.database.busy_timeout_seconds,
            reconnect_seconds=self.config.database.reconnect_seconds,
        )
        await migrate_to_head(self.db_engine)
        self.sessions = make_sessionmaker(self.db_engine)
        shared = self.db_engine.dialect.name == "postgresql"
        self.parts = await self.assemble(self.http_session, self.sessions, shared_queue=shared)
        await self.parts.runner.start(self.parts.pipeline)
        self._tasks = [
            asyncio.create_task(self.parts.status.run(), name="imagebot-status"),
            asyncio.create_task(self.parts.retention.run(), name="imagebot-retention"),
        ]
        if self.paint_server is not None:
            await self.paint_server.start()
        if self.config.metrics.listen:
            checks = {"gateway": self._gateway_connected, "database": partial(answers, self.db_engine)}
            self.metrics_server = MetricsServer(self.metrics, checks, listen=self.config.metrics.listen)
            await self.metrics_server.start()

    async def _gateway_connected(self) -> bool:
        """Every shard of this process is connected to the gateway."""
        return self.is_ready() and bool(self.shards) and not any(shard.is_closed() for shard in self.shards.values())

    async def assemble(
        self, http: aiohttp.ClientSession, sessions: async_sessionmaker[AsyncSession], *, shared_queue: bool = False
    ) -> Parts:
        """Build every part, add the cogs, buttons and error path; start nothing."""
        config, clock = self.config, self.clock
        registry = ModelRegistry(config.images.models)
        catalog = ModelCatalog(config.images, registry, clock)
        for spec in catalog.retiring_soon():
            log.warning(
                "OpenAI retires the model %s on %s; offer %s instead (images.model / images.offered_models)",
                spec.name,
                spec.retires,
                spec.replacement or "another model",
            )
        threads = BoundedThreads(config.imaging.worker_threads)
        rules = AddressRules(config.security.allowed_networks)
        self.guarded_session = rules.session()
        images = ImagesClient(
            http,
            rules=rules,
            guarded_session=self.guarded_session,
            max_response_bytes=int(config.images.max_response_mb * 2**20),
            base_url=config.images.base_url,
            api_key=config.images.api_key.get_secret_value(),
            timeout=config.images.timeout_seconds,
            connect_timeout=config.images.connect_timeout_seconds,
            stall_timeout=config.images.stall_seconds,
            max_retries=config.images.max_retries,
            retry_base_delay=config.images.retry_base_delay,
            max_retry_wait=config.images.max_retry_wait,
            max_parallel_requests=config.images.max_parallel_requests,
            on_error=lambda error: self.metrics.provider_failed(error.kind),
        )
        secret_key = config.security.secret_key.get_secret_value()
        accounts = Accounts(
            sessions=sessions,
            images=images,
            vault=KeyVault(secret_key) if secret_key else None,
            base_url_prefixes=config.security.guild_base_urls,
            rules=rules,
            parallel_requests=config.security.guild_parallel_requests,
            clock=clock,
        )
        downloads = AttachmentDownloader(
            http, allowed_hosts=image_hosts(config.discord), max_bytes=int(config.imaging.max_download_mb * 1024 * 1024)
        )
        policy = Policy(PriceTable(config.prices), personal_images_per_day=config.limits.dm_images_per_day)
        locales = Locales(sessions, self._community_locale)
        failures = Failures(sessions, policy, self.metrics)
        errors = ErrorReporter(failures, locales)
        jobs = config.jobs
        caps = Caps(max_running=jobs.max_running, per_guild=jobs.per_guild, per_member=jobs.per_member)
        runner = Runner(
            queue=FairQueue(max_running=jobs.max_running, per_guild=jobs.per_guild, per_member=jobs.per_member),
            shared=SharedQueue(sessions, clock, lease_seconds=jobs.lease_seconds, caps=caps) if shared_queue else None,
            sessions=sessions,
            policy=policy,
            before_start=images.wait_for_rate_limit,
            shutdown_grace=jobs.shutdown_grace_seconds,
            metrics=self.metrics,
        )
        self.metrics.watch_jobs(queued=lambda: len(runner.waiting()), running=runner.in_flight)
        styles = Styles(sessions)
        openings = Openings()
        intake = Intake(
            catalog=catalog,
            policy=policy,
            sessions=sessions,
            usage=UsageLog(sessions),
            locales=locales,
            runner=runner,
            styles=styles,
            openings=openings,
            failures=failures,
        )
        painting = None
        if config.web.enabled:
            painting = Painting(
                sessions=sessions,
                intake=intake,
                downloads=downloads,
                threads=threads,
                clock=clock,
                public_url=config.web.public_url,
                secret_key=config.security.secret_key.get_secret_value(),
            )
            self.paint_server = PaintServer(
                painting,
                clock,
                listen=config.web.listen,
                max_body_bytes=int(config.web.max_body_mb * 2**20),
                per_minute=config.web.requests_per_minute,
            )
        offer_painting = PaintOffer(painting, locales) if painting is not None else None
        actions = ResultActions(
            offer_painting=offer_painting,
            intake=intake,
            runner=runner,
            sessions=sessions,
            locales=locales,
            errors=errors,
            downloads=downloads,
            threads=threads,
            channel=self.get_partial_messageable,
        )
        buttons = ResultButtons(actions)
        history = HistoryPages(
            sessions=sessions,
            locales=locales,
            buttons=buttons,
            errors=errors,
            downloads=downloads,
            threads=threads,
            channel=self.get_partial_messageable,
        )
        replies = MemberReplies(
            webhook=self._interaction_webhook,
            channel=self.get_partial_messageable,
            dm=self._dm_channel,
            lacking=lambda channel_id: missing_permissions(self.get_channel(channel_id)),
            views=buttons,
            clock=clock,
            lifetime=timedelta(minutes=jobs.interaction_minutes),
        )
        notices = ModeratorNotices(replies, locales)
        flag_buttons = FlagButtons(
            FlagActions(
                sessions=sessions, locales=locales, errors=errors, clock=clock, channel=self.get_partial_messageable
            )
        )
        flags = FlagAlerts(
            sessions=sessions,
            replies=replies,
            locales=locales,
            views=flag_buttons,
            clock=clock,
            flags_before_block=config.limits.flags_before_block,
            flag_window=timedelta(days=config.limits.flag_window_days),
        )
        status = StatusSender(
            replies,
            clock,
            runner.waiting,
            self.calls,
            runner.in_flight,
            every=jobs.status_every_seconds,
            calls_per_second=config.discord.status_calls_per_second,
            openings=openings,
        )
        pipeline = Pipeline(
            sessions=sessions,
            models=registry,
            status=status,
            replies=replies,
            threads=threads,
            production=Production(downloads=downloads, threads=threads),
            accounts=accounts,
            delivery=Delivery(
                sessions=sessions,
                policy=policy,
                threads=threads,
                replies=replies,
                notices=notices,
                clock=clock,
                keep_for=timedelta(hours=config.results.keep_hours),
                keep_bytes=int(config.results.keep_mb * 2**20),
                metrics=self.metrics,
            ),
            failures=failures,
            notices=notices,
            metrics=self.metrics,
            clock=clock,
            screener=self._screener(http, threads) if config.screening else None,
            flags=flags,
        )
        self.tree.error(errors.on_tree_error)
        await self.tree.set_translator(CatalogueTranslator())
        self.add_dynamic_items(*buttons.items, *history.items, *flag_buttons.items)
        for cog in (
            Imagine(intake, catalog, styles),
            Edit(intake, catalog, self.tree, actions.open_edit_form, offer_painting),
            Vary(intake, catalog, self.tree),
            Usage(sessions, threads, locales, flag_buttons),
            Settings(sessions, locales, catalog, accounts, errors, styles, WordFilters(sessions)),
            Privacy(sessions, locales),
            Results(actions.hand_over_kept),
            History(history),
            Replies(
                Conversation(me=self._my_id, message_content=config.discord.message_content),
                intake,
                errors,
                lambda: self.application_id,
            ),
        ):
            await self.add_cog(cog)
        self.metrics.name_commands(command_names(self.tree))
        return Parts(
            runner,
            pipeline,
            status,
            Retention(sessions, clock, every_minutes=config.database.prune_every_minutes),
        )

    def _screener(self, http: aiohttp.ClientSession, threads: BoundedThreads) -> Screener:
        """Screening by the moderation endpoint, with the bot's own key: a short timeout and one
        retry, since a request waits for it and goes on without it."""
        config = self.config
        client = ImagesClient(
            http,
            base_url=config.moderation_base_url,
            api_key=config.images.api_key.get_secret_value(),
            timeout=config.moderation.timeout_seconds,
            connect_timeout=min(config.images.connect_timeout_seconds, config.moderation.timeout_seconds),
            max_retries=1,
            retry_base_delay=config.images.retry_base_delay,
            max_retry_wait=min(config.images.max_retry_wait, config.moderation.timeout_seconds),
            max_response_bytes=MODERATION_RESPONSE_BYTES,
        )
        moderation = Moderation(client, model=config.moderation.model)
        return Screener(
            moderation,
            categories=config.moderation.categories,
            threads=threads,
            check_results=config.moderation.check_results,
        )

    def _my_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    async def on_message(self, message: discord.Message) -> None:
        """Messages go to the Replies cog's listener only: the bot has no prefix commands."""

    def _community_locale(self, guild_id: int) -> str | None:
        guild = self.get_guild(guild_id)
        return guild.preferred_locale.value if guild else None

    async def _dm_channel(self, user_id: int) -> discord.DMChannel:
        """The DM channel with a user: opened once (POST /users/@me/channels), then from the cache."""
        return await self.create_dm(discord.Object(user_id))

    def _interaction_webhook(self, data: dict) -> discord.Webhook:
        return discord.Webhook.from_state(data, self._connection)  # pyright: ignore[reportArgumentType]  discord.py's own Interaction passes its state the same way

    async def close(self) -> None:
        if self.metrics_server is not None:
            await self.metrics_server.close()
        if self.paint_server is not None:
            await self.paint_server.close()
        if hasattr(self, "parts"):
            await self.parts.runner.shutdown()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.parts.status.close()
        await super().close()
        if hasattr(self, "http_session"):
            await self.http_session.close()
        if self.guarded_session is not None:
            await self.guarded_session.close()
        if hasattr(self, "db_engine"):
            await self.db_engine.dispose()

    def log_state(self) -> None:
        """One line of the process's state, for an operator (`kill -USR1 PID`) and the soak."""
        runner = self.parts.runner if hasattr(self, "parts") else None
        log.info(
            "state: %d asyncio tasks, %d jobs queued, %d in flight, %d guilds",
            len(asyncio.all_tasks()),
            len(runner.waiting()) if runner else 0,
            runner.in_flight() if runner else 0,
            len(self.guilds),
        )

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d guilds", self.user, self.user.id if self.user else "?", len(self.guilds))
