"""Prometheus metrics and the health check, served on `[metrics] listen` when an operator sets it.

Every metric is named `imagebot_*` and lives in the bot's own registry. Label values come from
fixed sets (commands, outcomes, provider error kinds, rate-limit scopes, configured models), so
no guild or user id, nor anything a member types, can become a label.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.images.errors import ImagesError

log = logging.getLogger(__name__)

OTHER = "other"
JOB_KINDS = frozenset({"generate", "edit", "vary", "outpaint"})
OUTCOMES = frozenset({"ok", "partial", "refused", "invalid", "limited", "blocked", "cancelled", "failed"})
RATE_LIMIT_SCOPES = frozenset({"user", "global", "shared", "cloudflare"})


def _error_kinds(error: type[ImagesError] = ImagesError) -> frozenset[str]:
    """Every kind a typed provider error can have."""
    return frozenset({error.kind}).union(*(_error_kinds(sub) for sub in error.__subclasses__()))


ERROR_KINDS = _error_kinds()
# Seconds: a status edit's pace up to a long generation, and a queue that backs up for minutes.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600)
HEALTH_TIMEOUT_SECONDS = 5.0


def _bounded(value: str | None, allowed: Iterable[str]) -> str:
    return value if value is not None and value in allowed else OTHER


class _JobsCollector(Collector):
    def __init__(self, queued: Callable[[], int], running: Callable[[], int]) -> None:
        self._queued = queued
        self._running = running

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("imagebot_jobs", "Jobs of this process, queued and in flight", labels=["state"])
        gauge.add_metric(["queued"], self._queued())
        gauge.add_metric(["running"], self._running())
        yield gauge


class Metrics:
    """The process's metrics. Parts record into it; `render()` is what `/metrics` serves."""

    def __init__(self, *, models: Iterable[str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._models = frozenset(models)
        self._commands: frozenset[str] = frozenset()
        registry = self.registry
        self._requests = Counter(
            "imagebot_requests", "Requests finished, by command and outcome", ["command", "outcome"], registry=registry
        )
        latency = functools.partial(Histogram, buckets=LATENCY_BUCKETS, registry=registry)
        self._queue_wait = latency("imagebot_queue_wait_seconds", "From a request's acceptance to its job starting")
        self._provider = latency(
            "imagebot_provider_seconds", "The Images API's part of a job, retries included, by operation", ["operation"]
        )
        self._upload = latency("imagebot_upload_seconds", "Posting a result's images to Discord")
        self._end_to_end = latency("imagebot_request_seconds", "From the member's command to the images delivered")
        self._provider_errors = Counter(
            "imagebot_provider_errors", "Images API errors by kind, each retry counted", ["kind"], registry=registry
        )
        self._discord_429 = Counter(
            "imagebot_discord_rate_limited", "Discord's 429 answers, by scope", ["scope"], registry=registry
        )
        self._images = Counter("imagebot_images", "Images made, by model", ["model"], registry=registry)
        self._cost = Counter(
            "imagebot_cost_usd", "Estimated cost of what was made, by model", ["model"], registry=registry
        )

    # Wiring -----------------------------------------------------------------------------------

    def name_commands(self, commands: Iterable[str]) -> None:
        """The command names that may be labels; any other is counted as "other"."""
        self._commands = frozenset(commands)

    def watch_jobs(self, *, queued: Callable[[], int], running: Callable[[], int]) -> None:
        self.registry.register(_JobsCollector(queued, running))

    def watch_discord(self, trace: aiohttp.TraceConfig) -> None:
        """Count the 429s on the session that `trace` is handed to (discord.py's `http_trace`)."""

        async def ended(_session: aiohttp.ClientSession, _context: SimpleNamespace, params: Any) -> None:
            response = params.response
            if response.status == 429:
                scope = response.headers.get("X-RateLimit-Scope")
                self._discord_429.labels(
                    _bounded("cloudflare" if "Via" not in response.headers else scope, RATE_LIMIT_SCOPES)
                ).inc()

        trace.on_request_end.append(ended)

    # Recording --------------------------------------------------------------------------------

    def request_finished(self, command: str, outcome: str) -> None:
        self._requests.labels(_bounded(command, self._commands), _bounded(outcome, OUTCOMES)).inc()

    def queue_waited(self, seconds: float) -> None:
        self._queue_wait.observe(max(seconds, 0.0))

    def provider_called(self, operation: str, seconds: float) -> None:
        self._provider.labels(_bounded(operation, JOB_KINDS)).observe(seconds)

    def provider_failed(self, kind: str) -> None:
        self._provider_errors.labels(_bounded(kind, ERROR_KINDS)).inc()

    def uploaded(self, seconds: float) -> None:
        self._upload.observe(seconds)

    def made(self, model: str, images: int, cost_usd: float | None) -> None:
        label = _bounded(model, self._models)
        self._images.labels(label).inc(images)
        if cost_usd:
            self._cost.labels(label).inc(cost_usd)

    def delivered(self, seconds: float) -> None:
        """A result reached its member, `seconds` after the command."""
        self._end_to_end.observe(max(seconds, 0.0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


HealthCheck = Callable[[], Awaitable[bool]]


class MetricsServer:
    """`/metrics` (Prometheus text) and `/healthz` (200 when every check passes, else 503, with
    a JSON body naming each check) on one address, in the bot's event loop."""

    def __init__(self, metrics: Metrics, checks: dict[str, HealthCheck], *, listen: str) -> None:
        self._metrics = metrics
        self._checks = checks
        self._host, _, port = listen.rpartition(":")
        self._port = int(port)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._serve_metrics)
        app.router.add_get("/healthz", self._serve_health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host.strip("[]"), self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("serving /metrics and /healthz on %s:%d", self._host, self.port)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve_metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _check(self, name: str, check: HealthCheck) -> bool:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                return await check()
        except Exception as exc:
            log.warning("health check %s failed: %s", name, type(exc).__name__)
            return False

    async def _serve_health(self, _request: web.Request) -> web.Response:
        names = list(self._checks)
        results = await asyncio.gather(*(self._check(name, self._checks[name]) for name in names))
        body = {name: "ok" if passed else "failing" for name, passed in zip(names, results, strict=True)}
        return web.Response(status=200 if all(results) else 503, text=json.dumps(body), content_type="application/json")
