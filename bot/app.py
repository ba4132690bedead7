"""Wiring: the discord.py client, and every part of the bot built with exactly what it needs.

`setup_hook` opens the HTTP session and the database (migrated to head), builds the parts,
adds the cogs and button handlers, and starts the job runner, the status sender and the
prompt-retention chore. `start` then has the process running shard 0 publish the slash
commands when Discord's differ from the tree's, and connects. Nothing but `__main__` (and
tools that list the commands) imports this.
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

from bot.assembly import foundation, job_pipeline, painting_page, reference_store, screener
from bot.billing.retention import Retention
from bot.callwindow import CallWindow
from bot.clock import SystemClock
from bot.config import Config
from bot.config.sections import DiscordConfig
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head, round_trip
from bot.flow.answers import MemberAnswers, missing_permissions
from bot.flow.conversation import Conversation
from bot.flow.describe import Describer, Describing
from bot.flow.flags import FlagAlerts
from bot.flow.locales import Locales
from bot.flow.notices import ModeratorNotices
from bot.flow.pipeline import Pipeline
from bot.flow.status import Openings, StatusSender
from bot.i18n import CatalogueTranslator
from bot.jobs.runner import Runner
from bot.metrics import Metrics, MetricsServer
from bot.netguard import AddressRules
from bot.surface.command_sync import failure_reason, publish_if_changed
from bot.surface.describe_items import bound_imagine_button
from bot.surface.errors import ErrorReporter
from bot.surface.flags import FlagActions, FlagButtons, FlaggedRequests
from bot.surface.history import HistoryPages
from bot.surface.invite import invite_url
from bot.surface.pages import Pages
from bot.surface.paint_web import PaintServer
from bot.surface.result_actions import BUTTON_COMMANDS, ResultActions
from bot.surface.result_view import ResultButtons
from bot.surface.usage_book import RecentRequests, UsageReports
from cogs.blend import Blend
from cogs.describe import Describe
from cogs.edit import Edit
from cogs.history import History
from cogs.imagine import Imagine
from cogs.privacy import Privacy
from cogs.references import ReferenceCommands
from cogs.replies import Replies
from cogs.results import Results
from cogs.settings import Settings
from cogs.usage import Usage
from cogs.vary import Vary

log = logging.getLogger(__name__)

PUBLISH_SECONDS = 30.0  # reading and publishing the commands at start waits no longer than this


def point_discord_at(config: DiscordConfig) -> None:
    """Send discord.py's REST calls and gateway connection to a Discord-compatible server."""
    if config.api_base_url:
        discord.http.Route.BASE = config.api_base_url
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


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

    @property
    def runs_shard_zero(self) -> bool:
        """This process runs shard 0 (or every shard): the one that speaks for the whole application."""
        shard_ids = self.config.discord.shard_ids
        return shard_ids is None or 0 in shard_ids

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        """Log in (which runs `setup_hook`), publish the commands if they changed, connect."""
        await self.login(token)
        if self.runs_shard_zero:
            await self.publish_commands()
        await self.connect(reconnect=reconnect)

    async def publish_commands(self) -> None:
        """Publish the slash commands when Discord's differ from the tree's, and log what changed;
        a failure is one warning that names the operator's command, and the start goes on."""
        assert self.application_id is not None  # known once logged in
        try:
            async with asyncio.timeout(PUBLISH_SECONDS):
                changes = await publish_if_changed(self.tree, self.http, self.application_id)
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "could not read or publish the slash commands (%s); publish them with `python -m bot sync`",
                failure_reason(exc),
            )
            return
        if changes:
            log.info("published the slash commands to Discord (%s)", changes.describe())
        else:
            log.info("the slash commands on Discord are up to date")

    async def setup_hook(self) -> None:
        self.http_session = aiohttp.ClientSession()
        self.db_engine = make_engine(
            self.config.database.url,
            busy_timeout=self.config.database.busy_timeout_seconds,
            reconnect_seconds=self.config.database.reconnect_seconds,
            connect_timeout=self.config.database.connect_timeout_seconds,
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
            checks = {"gateway": self._gateway_connected, "database": partial(round_trip, self.db_engine)}
            self.metrics_server = MetricsServer(self.metrics, checks, listen=self.config.metrics.listen)
            await self.metrics_server.start()

    async def _gateway_connected(self) -> bool:
        """Every shard of this process is connected to the gateway."""
        return self.is_ready() and bool(self.shards) and not any(shard.is_closed() for shard in self.shards.values())

    async def assemble(
        self, http: aiohttp.ClientSession, sessions: async_sessionmaker[AsyncSession], *, shared_queue: bool = False
    ) -> Parts:
        """Build every part, add the cogs, buttons and error path; start nothing."""
        config = self.config
        rules = AddressRules(config.security.allowed_networks)
        self.guarded_session = rules.session()
        found = foundation(
            config,
            self.clock,
            self.metrics,
            http,
            sessions,
            rules,
            self.guarded_session,
            self._community_locale,
            shared_queue=shared_queue,
        )
        self.paint_server, offer_painting = painting_page(
            config,
            sessions=sessions,
            catalog=found.catalog,
            admission=found.admission,
            usage=found.usage,
            failures=found.failures,
            downloads=found.downloads,
            threads=found.threads,
            clock=self.clock,
            locales=found.locales,
        )
        actions = ResultActions(
            offer_painting=offer_painting,
            intake=found.intake,
            runner=found.runner,
            sessions=sessions,
            locales=found.locales,
            errors=found.errors,
            downloads=found.downloads,
            threads=found.threads,
            channel=self.get_partial_messageable,
        )
        buttons = ResultButtons(actions)
        answers = self._member_answers(buttons)
        notices = ModeratorNotices(answers, found.locales)
        flag_buttons = FlagButtons(
            FlagActions(
                sessions=sessions,
                locales=found.locales,
                errors=found.errors,
                clock=self.clock,
                channel=self.get_partial_messageable,
            )
        )
        flags = FlagAlerts(
            sessions=sessions,
            answers=answers,
            locales=found.locales,
            views=flag_buttons,
            clock=self.clock,
            flags_before_block=config.limits.flags_before_block,
            flag_window=timedelta(days=config.limits.flag_window_days),
        )
        status = self._status_sender(answers, found.runner, found.openings)
        screening = screener(config, http, found.threads)
        references = reference_store(
            config,
            sessions=sessions,
            catalog=found.catalog,
            downloads=found.downloads,
            threads=found.threads,
            screening=screening,
        )
        pipeline = job_pipeline(
            config,
            sessions=sessions,
            models=found.registry,
            policy=found.policy,
            threads=found.threads,
            downloads=found.downloads,
            accounts=found.accounts,
            failures=found.failures,
            metrics=self.metrics,
            clock=self.clock,
            answers=answers,
            views=buttons,
            lacking=lambda channel_id: missing_permissions(self.get_channel(channel_id)),
            notices=notices,
            flags=flags,
            status=status,
            screening=screening,
            references=references,
        )
        describe = config.describe  # with no model, /describe is not offered
        describer = (
            Describer(
                describing=Describing(model=describe.model, max_output_tokens=describe.max_output_tokens),
                policy=found.policy,
                admission=found.admission,
                intake=found.intake,
                usage=found.usage,
                sessions=sessions,
                accounts=found.accounts,
                downloads=found.downloads,
                threads=found.threads,
                screener=screening,
                notices=notices,
            )
            if describe.model
            else None
        )
        pages = Pages(found.errors, found.locales)
        history = HistoryPages(
            sessions=sessions,
            locales=found.locales,
            buttons=buttons,
            pages=pages,
            downloads=found.downloads,
            threads=found.threads,
            channel=self.get_partial_messageable,
        )
        flagged = FlaggedRequests(sessions=sessions, locales=found.locales, pages=pages, buttons=flag_buttons)
        recent = RecentRequests(sessions, found.locales, pages)
        conversation = Conversation(me=self._my_id, message_content=config.discord.message_content)
        await self._add_surface(
            found.errors,
            found.locales,
            items=(*buttons.items, *pages.items, *flag_buttons.items),
            cogs=(
                Imagine(found.intake, found.catalog, found.styles, references),
                Edit(found.intake, found.catalog, self.tree, actions.open_edit_form, offer_painting),
                Vary(found.intake, found.catalog, self.tree),
                Blend(found.intake, found.catalog),
                ReferenceCommands(references, found.locales, found.errors, self.tree),
                Usage(found.locales, UsageReports(sessions, found.threads), recent, flagged),
                Settings(
                    sessions,
                    found.locales,
                    found.catalog,
                    found.accounts,
                    found.errors,
                    found.styles,
                    found.word_filters,
                ),
                Privacy(sessions, found.locales, found.policy),
                Results(actions.hand_over_kept),
                History(history),
                Replies(conversation, found.message_intake, found.errors, lambda: self.application_id),
            ),
            describer=describer,
        )
        retention = Retention(sessions, self.clock, every_minutes=config.database.prune_every_minutes)
        return Parts(found.runner, pipeline, status, retention)

    def _member_answers(self, buttons: ResultButtons) -> MemberAnswers:
        """How members are answered: the interaction's webhook, the channel, their DMs."""
        return MemberAnswers(
            webhook=self._interaction_webhook,
            channel=self.get_partial_messageable,
            dm=self._dm_channel,
            views=buttons,
            clock=self.clock,
            lifetime=timedelta(minutes=self.config.jobs.interaction_minutes),
        )

    def _status_sender(self, answers: MemberAnswers, runner: Runner, openings: Openings) -> StatusSender:
        return StatusSender(
            answers,
            self.clock,
            runner.waiting,
            self.calls,
            runner.in_flight,
            every=self.config.jobs.status_every_seconds,
            calls_per_second=self.config.discord.status_calls_per_second,
            openings=openings,
        )

    async def _add_surface(
        self,
        errors: ErrorReporter,
        locales: Locales,
        *,
        items: tuple[type[discord.ui.DynamicItem[Any]], ...],
        cogs: tuple[commands.Cog, ...],
        describer: Describer | None,
    ) -> None:
        """The error path, the translator, the buttons discord.py dispatches (`items`), and the
        cogs (/describe and its button first, with `describer`)."""
        self.tree.error(errors.on_tree_error)
        await self.tree.set_translator(CatalogueTranslator())
        self.add_dynamic_items(*items)
        if describer is not None:
            imagine_button = bound_imagine_button(describer, errors)
            self.add_dynamic_items(imagine_button)
            cogs = (Describe(describer, locales, self.tree, imagine_button), *cogs)
        for cog in cogs:
            await self.add_cog(cog)
        self.metrics.name_commands(command_names(self.tree))

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
        if not self.guilds and self.runs_shard_zero and self.application_id is not None:
            log.warning("the bot is in no server yet; add it to one with %s", invite_url(self.application_id))
