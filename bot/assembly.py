"""Building the bot's parts from its config, in named steps: the provider and whose key pays, the
queue's runner, the request flow, screening, the painting page and the job pipeline. None of it
needs the Discord client; `app.py` adds what does (answers, views, cogs) and starts nothing here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import yarl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.billing.usage import UsageLog
from bot.clock import Clock
from bot.config import Config
from bot.config.sections import DiscordConfig
from bot.db.jobs import Caps
from bot.downloads import DISCORD_CDN_HOSTS, AttachmentDownloader
from bot.flow.accounts import Accounts
from bot.flow.admission import Admission
from bot.flow.answers import AnswerViews, MemberAnswers
from bot.flow.catalog import ModelCatalog
from bot.flow.delivery import Delivery
from bot.flow.failures import Failures
from bot.flow.filters import WordFilters
from bot.flow.flags import FlagAlerts
from bot.flow.intake import Drafts, Intake
from bot.flow.locales import Locales
from bot.flow.message_intake import MessageIntake
from bot.flow.notices import ModeratorNotices
from bot.flow.painting import PAGE_IMAGES_BYTES, PageImages, PaintedEdits, Painting
from bot.flow.pipeline import Pipeline
from bot.flow.production import Production
from bot.flow.references import ReferenceLimits, References
from bot.flow.screening import Screener
from bot.flow.status import Openings, StatusSender
from bot.flow.styles import Styles
from bot.images import ImagesClient, ModelRegistry
from bot.images.chat import ChatClient
from bot.images.moderation import Moderation
from bot.images.transport import Transport, TransportSettings
from bot.jobs.queue import FairQueue
from bot.jobs.runner import Runner
from bot.jobs.shared import SharedQueue
from bot.metrics import Metrics
from bot.netguard import AddressRules
from bot.surface.errors import ErrorReporter
from bot.surface.paint_web import PaintOffer, PaintServer
from bot.threads import BoundedThreads
from bot.vault import KeyVault

log = logging.getLogger(__name__)

MODERATION_RESPONSE_BYTES = 1024 * 1024  # a moderation answer is a few kilobytes
CHAT_RESPONSE_BYTES = 1024 * 1024  # so is a chat answer of four prompts
PAGE_IMAGE_THREADS = 1  # the painting page's own: its images never wait for, or hold up, the jobs' threads


def image_hosts(config: DiscordConfig) -> set[str]:
    """Discord's CDN, the configured extra hosts, and a Discord-compatible server's host."""
    hosts = set(DISCORD_CDN_HOSTS) | set(config.cdn_hosts)
    if config.api_base_url:
        hosts.add(yarl.URL(config.api_base_url).host or "")
    return hosts - {""}


@dataclass(frozen=True)
class Foundation:
    """The parts everything else is built on, made once; the builders below take the ones they use by name."""

    config: Config
    clock: Clock
    metrics: Metrics
    sessions: async_sessionmaker[AsyncSession]
    threads: BoundedThreads
    registry: ModelRegistry
    catalog: ModelCatalog
    images: ImagesClient
    accounts: Accounts
    downloads: AttachmentDownloader
    policy: Policy
    locales: Locales
    failures: Failures
    errors: ErrorReporter
    runner: Runner
    styles: Styles
    openings: Openings
    usage: UsageLog
    admission: Admission
    intake: Intake
    message_intake: MessageIntake
    word_filters: WordFilters


def warn_of_retiring(catalog: ModelCatalog, clock: Clock) -> None:
    """A warning for each configured model OpenAI retires within 30 days, or has retired: by the
    clock, in the past tense once the date has passed."""
    today = clock.now().date()
    for spec in catalog.retiring_soon():
        log.warning(
            "OpenAI %s the model %s on %s; offer %s instead (images.model / images.offered_models)",
            "retired" if spec.retires is not None and spec.retires <= today else "retires",
            spec.name,
            spec.retires,
            spec.replacement or "another model",
        )


def provider_transport(
    config: Config,
    http: aiohttp.ClientSession,
    rules: AddressRules,
    guarded: aiohttp.ClientSession,
    metrics: Metrics,
    *,
    base_url: str,
    max_response_bytes: int,
) -> Transport:
    """The transport to the operator's provider at `base_url` with the bot's key (the images
    client's, or at describe's base URL the chat client's): `http` reaches its own base URL;
    `guarded` the rest."""
    images = config.images
    return Transport(
        http,
        base_url=base_url,
        api_key=images.api_key.get_secret_value(),
        settings=TransportSettings(
            timeout=images.timeout_seconds,
            connect_timeout=images.connect_timeout_seconds,
            stall_timeout=images.stall_seconds,
            max_retries=images.max_retries,
            retry_base_delay=images.retry_base_delay,
            max_retry_wait=images.max_retry_wait,
            max_response_bytes=max_response_bytes,
        ),
        rules=rules,
        guarded_session=guarded,
        max_parallel_requests=images.max_parallel_requests,
        on_error=lambda error: metrics.provider_failed(error.kind),
    )


def job_runner(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    policy: Policy,
    images: ImagesClient,
    metrics: Metrics,
    *,
    shared_queue: bool,
) -> Runner:
    """The runner, on the fair queue of this process, or of every process on PostgreSQL."""
    jobs = config.jobs
    caps = Caps(max_running=jobs.max_running, per_guild=jobs.per_guild, per_member=jobs.per_member)
    runner = Runner(
        queue=FairQueue(max_running=jobs.max_running, per_guild=jobs.per_guild, per_member=jobs.per_member),
        shared=SharedQueue(sessions, clock, lease_seconds=jobs.lease_seconds, caps=caps) if shared_queue else None,
        sessions=sessions,
        policy=policy,
        before_start=images.wait_for_rate_limit,
        shutdown_grace=jobs.shutdown_grace_seconds,
        metrics=metrics,
    )
    metrics.watch_jobs(queued=lambda: len(runner.waiting()), running=runner.in_flight)
    return runner


def paying_accounts(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    images: ImagesClient,
    chat: ChatClient,
    rules: AddressRules,
    clock: Clock,
) -> Accounts:
    """Whose key pays: the bot's, or a guild's own, sealed under `security.secret_key`."""
    secret_key = config.security.secret_key.get_secret_value()
    return Accounts(
        sessions=sessions,
        images=images,
        chat=chat,
        vault=KeyVault(secret_key) if secret_key else None,
        base_url_prefixes=config.security.guild_base_urls,
        rules=rules,
        parallel_requests=config.security.guild_parallel_requests,
        clock=clock,
    )


def foundation(
    config: Config,
    clock: Clock,
    metrics: Metrics,
    http: aiohttp.ClientSession,
    sessions: async_sessionmaker[AsyncSession],
    rules: AddressRules,
    guarded: aiohttp.ClientSession,
    community_locale: Callable[[int], str | None],
    *,
    shared_queue: bool,
) -> Foundation:
    registry = ModelRegistry(config.images.models)
    catalog = ModelCatalog(config.images, registry, clock)
    warn_of_retiring(catalog, clock)
    make_transport = functools.partial(provider_transport, config, http, rules, guarded, metrics)
    images = ImagesClient(
        make_transport(base_url=config.images.base_url, max_response_bytes=int(config.images.max_response_mb * 2**20))
    )
    # a chat answer (a description's four prompts) is a few kilobytes; an image answer may be large
    chat = ChatClient(make_transport(base_url=config.describe_base_url, max_response_bytes=CHAT_RESPONSE_BYTES))
    accounts = paying_accounts(config, sessions, images, chat, rules, clock)
    max_download = int(config.imaging.max_download_mb * 1024 * 1024)
    downloads = AttachmentDownloader(http, allowed_hosts=image_hosts(config.discord), max_bytes=max_download)
    policy = Policy(PriceTable(config.prices), personal_images_per_day=config.limits.dm_images_per_day)
    locales = Locales(sessions, community_locale)
    failures = Failures(sessions, policy, metrics)
    runner = job_runner(config, sessions, clock, policy, images, metrics, shared_queue=shared_queue)
    styles, openings, usage = Styles(sessions), Openings(), UsageLog(sessions)
    admission = Admission(policy=policy, sessions=sessions, runner=runner)
    drafts = Drafts(
        model=config.images.draft_model,
        quality=config.images.draft_quality,
        enhance_model=config.images.enhance_model,
        enhance_quality=config.images.enhance_quality,
    )
    intake = Intake(
        catalog=catalog,
        admission=admission,
        usage=usage,
        locales=locales,
        styles=styles,
        sessions=sessions,
        drafts=drafts,
    )
    message_intake = MessageIntake(
        catalog=catalog, admission=admission, sessions=sessions, usage=usage, locales=locales, openings=openings
    )
    return Foundation(
        config=config,
        clock=clock,
        metrics=metrics,
        sessions=sessions,
        threads=BoundedThreads(config.imaging.worker_threads),
        registry=registry,
        catalog=catalog,
        images=images,
        accounts=accounts,
        downloads=downloads,
        policy=policy,
        locales=locales,
        failures=failures,
        errors=ErrorReporter(failures, locales),
        runner=runner,
        styles=styles,
        openings=openings,
        usage=usage,
        admission=admission,
        intake=intake,
        message_intake=message_intake,
        word_filters=WordFilters(sessions),
    )


def screener(config: Config, http: aiohttp.ClientSession, threads: BoundedThreads) -> Screener | None:
    """Screening by the moderation endpoint with the bot's own key, when it is on: a short timeout
    and one retry, since a request waits for it and goes on without it."""
    if not config.screening:
        return None
    transport = Transport(
        http,
        base_url=config.moderation_base_url,
        api_key=config.images.api_key.get_secret_value(),
        settings=TransportSettings(
            timeout=config.moderation.timeout_seconds,
            connect_timeout=min(config.images.connect_timeout_seconds, config.moderation.timeout_seconds),
            max_retries=1,
            retry_base_delay=config.images.retry_base_delay,
            max_retry_wait=min(config.images.max_retry_wait, config.moderation.timeout_seconds),
            max_response_bytes=MODERATION_RESPONSE_BYTES,
        ),
    )
    return Screener(
        Moderation(transport, model=config.moderation.model),
        categories=config.moderation.categories,
        threads=threads,
        check_results=config.moderation.check_results,
    )


def reference_store(
    config: Config,
    *,
    sessions: async_sessionmaker[AsyncSession],
    catalog: ModelCatalog,
    downloads: AttachmentDownloader,
    threads: BoundedThreads,
    screening: Screener | None,
) -> References:
    """Saved references: their images fitted to the smallest input limit of the offered models
    that take several inputs (the default model's when none does), so any of them takes one."""
    several = [catalog.get(name) for name in catalog.offered if catalog.get(name).max_edit_images >= 2]
    max_mb = min(spec.max_input_mb for spec in several or [catalog.get(catalog.default)])
    return References(
        sessions=sessions,
        downloads=downloads,
        threads=threads,
        screener=screening,
        limits=ReferenceLimits(
            max_per_guild=config.references.max_per_guild,
            max_per_member=config.references.max_per_member,
            max_bytes=max_mb * 1024 * 1024,
        ),
    )


def painting_page(
    config: Config,
    *,
    sessions: async_sessionmaker[AsyncSession],
    catalog: ModelCatalog,
    admission: Admission,
    usage: UsageLog,
    failures: Failures,
    downloads: AttachmentDownloader,
    threads: BoundedThreads,
    clock: Clock,
    locales: Locales,
) -> tuple[PaintServer | None, PaintOffer | None]:
    """The painting page's server and the offer of its link, when `[web]` is set."""
    if not config.web.enabled:
        return None, None
    edits = PaintedEdits(catalog=catalog, admission=admission, usage=usage, failures=failures)
    images = PageImages(
        downloads=downloads,
        threads=BoundedThreads(PAGE_IMAGE_THREADS),
        clock=clock,
        budget_bytes=PAGE_IMAGES_BYTES,
    )
    painting = Painting(
        sessions=sessions,
        edits=edits,
        images=images,
        threads=threads,
        clock=clock,
        public_url=config.web.public_url,
        secret_key=config.security.secret_key.get_secret_value(),
    )
    server = PaintServer(
        painting,
        clock,
        listen=config.web.listen,
        max_body_bytes=int(config.web.max_body_mb * 2**20),
        per_minute=config.web.requests_per_minute,
        max_open_sends=config.web.max_open_sends,
        body_timeout_seconds=config.web.body_timeout_seconds,
        trusted_proxies=config.web.trusted_proxies,
    )
    return server, PaintOffer(painting, locales)


def job_pipeline(
    config: Config,
    *,
    sessions: async_sessionmaker[AsyncSession],
    models: ModelRegistry,
    policy: Policy,
    threads: BoundedThreads,
    downloads: AttachmentDownloader,
    accounts: Accounts,
    failures: Failures,
    metrics: Metrics,
    clock: Clock,
    answers: MemberAnswers,
    views: AnswerViews,
    lacking: Callable[[int], list[str]],
    notices: ModeratorNotices,
    flags: FlagAlerts,
    status: StatusSender,
    screening: Screener | None,
    references: References,
) -> Pipeline:
    """What the runner runs: production (saved `references` read as jobs need them), `screening`
    (None: off), delivery, the one failure path. `views` make the result's buttons; `lacking` names
    the permissions the bot lacks in a channel."""
    delivery = Delivery(
        sessions=sessions,
        policy=policy,
        threads=threads,
        answers=answers,
        views=views,
        lacking=lacking,
        notices=notices,
        clock=clock,
        keep_for=timedelta(hours=config.results.keep_hours),
        keep_bytes=int(config.results.keep_mb * 2**20),
        metrics=metrics,
    )
    return Pipeline(
        models=models,
        status=status,
        answers=answers,
        production=Production(
            downloads=downloads,
            threads=threads,
            output_format=config.images.output_format,
            output_compression=config.images.output_compression,
            read_saved=references.image,
        ),
        accounts=accounts,
        delivery=delivery,
        failures=failures,
        notices=notices,
        metrics=metrics,
        clock=clock,
        screener=screening,
        flags=flags,
    )
