"""The process's metrics: every label from a fixed set (anything else counted as "other"), costs
only when known, waits never negative, the jobs gauge read at each scrape, Discord's 429s by
scope (a 429 without `Via` is Cloudflare's); and the server: `/metrics` as rendered, `/healthz`
200 only when every check passes, a check that raises counted as failing."""

import json

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import ERROR_KINDS, Metrics, MetricsServer


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_commands_and_outcomes_outside_their_sets_are_counted_as_other():
    metrics = Metrics(models=[])
    metrics.request_finished("imagine", "ok")  # before the commands are named: other
    metrics.name_commands(["imagine", "edit"])
    metrics.request_finished("imagine", "ok")
    metrics.request_finished("imagine", "ok")
    metrics.request_finished("<@123> typed by a member", "exploded")
    assert sample(metrics, "imagebot_requests_total", command="imagine", outcome="ok") == 2
    assert sample(metrics, "imagebot_requests_total", command="other", outcome="ok") == 1
    assert sample(metrics, "imagebot_requests_total", command="other", outcome="other") == 1


def test_images_are_counted_by_configured_model_and_cost_only_when_known():
    metrics = Metrics(models=["gpt-image-2"])
    metrics.made("gpt-image-2", 2, 0.08)
    metrics.made("gpt-image-2", 1, None)
    metrics.made("a model nobody configured", 3, 0.5)
    assert sample(metrics, "imagebot_images_total", model="gpt-image-2") == 3
    assert sample(metrics, "imagebot_cost_usd_total", model="gpt-image-2") == 0.08
    assert sample(metrics, "imagebot_images_total", model="other") == 3
    assert sample(metrics, "imagebot_cost_usd_total", model="other") == 0.5


def test_provider_errors_and_operations_take_only_their_known_kinds():
    metrics = Metrics(models=[])
    assert {"server_error", "rate_limited"} <= ERROR_KINDS
    metrics.provider_failed("server_error")
    metrics.provider_failed("a kind from tomorrow's API")
    metrics.provider_called("edit", 1.5)
    metrics.provider_called("imagine", 2.0)
    assert sample(metrics, "imagebot_provider_errors_total", kind="server_error") == 1
    assert sample(metrics, "imagebot_provider_errors_total", kind="other") == 1
    assert sample(metrics, "imagebot_provider_seconds_sum", operation="edit") == 1.5
    assert sample(metrics, "imagebot_provider_seconds_sum", operation="other") == 2.0


def test_waits_measured_across_a_clock_step_back_count_as_none():
    metrics = Metrics(models=[])
    metrics.queue_waited(-3.0)
    metrics.delivered(-1.0)
    metrics.queue_waited(4.0)
    metrics.uploaded(0.2)
    assert sample(metrics, "imagebot_queue_wait_seconds_sum") == 4.0
    assert sample(metrics, "imagebot_queue_wait_seconds_count") == 2
    assert sample(metrics, "imagebot_request_seconds_sum") == 0.0
    assert sample(metrics, "imagebot_upload_seconds_bucket", le="0.25") == 1


def test_the_jobs_gauge_is_read_at_each_scrape():
    metrics = Metrics(models=[])
    counts = {"queued": 3, "running": 1}
    metrics.watch_jobs(queued=lambda: counts["queued"], running=lambda: counts["running"])
    assert sample(metrics, "imagebot_jobs", state="queued") == 3
    counts.update(queued=0, running=2)
    assert sample(metrics, "imagebot_jobs", state="queued") == 0
    assert sample(metrics, "imagebot_jobs", state="running") == 2


async def test_discords_429s_are_counted_by_scope_and_cloudflares_without_via():
    answers = {
        "/user": (429, {"Via": "1.1 google", "X-RateLimit-Scope": "user"}),
        "/shared": (429, {"Via": "1.1 google", "X-RateLimit-Scope": "shared"}),
        "/odd": (429, {"Via": "1.1 google", "X-RateLimit-Scope": "guild-123"}),
        "/cloudflare": (429, {}),
        "/fine": (200, {"Via": "1.1 google", "X-RateLimit-Scope": "user"}),
    }

    async def answer(request: web.Request) -> web.Response:
        status, headers = answers[request.path]
        return web.Response(status=status, headers=headers)

    app = web.Application()
    app.router.add_get("/{name}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    metrics = Metrics(models=[])
    trace = aiohttp.TraceConfig()
    metrics.watch_discord(trace)
    try:
        async with aiohttp.ClientSession(trace_configs=[trace]) as session:
            for path in [*answers, "/user"]:
                async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                    await response.read()
    finally:
        await runner.cleanup()
    counted = {
        scope: sample(metrics, "imagebot_discord_rate_limited_total", scope=scope)
        for scope in ("user", "shared", "global", "cloudflare", "other")
    }
    assert counted == {"user": 2, "shared": 1, "global": None, "cloudflare": 1, "other": 1}


async def fetch(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_the_server_serves_the_rendered_metrics_on_the_port_it_was_given():
    metrics = Metrics(models=[])
    metrics.name_commands(["imagine"])
    metrics.request_finished("imagine", "ok")
    server = MetricsServer(metrics, {}, listen="127.0.0.1:0")
    await server.start()
    try:
        assert server.port
        status, content_type, text = await fetch(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        await server.close()
    assert status == 200 and content_type.startswith("text/plain")
    assert text == metrics.render().decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    [finished] = [s for s in families["imagebot_requests"].samples if s.name == "imagebot_requests_total"]
    assert (finished.labels, finished.value) == ({"command": "imagine", "outcome": "ok"}, 1)


async def test_health_is_200_only_when_every_check_passes_and_a_check_that_raises_is_failing():
    state = {"gateway": True}

    async def gateway() -> bool:
        return state["gateway"]

    async def database() -> bool:
        return True

    async def broken() -> bool:
        raise ConnectionError("refused")

    healthy = MetricsServer(Metrics(models=[]), {"gateway": gateway, "database": database}, listen="127.0.0.1:0")
    failing = MetricsServer(Metrics(models=[]), {"gateway": gateway, "database": broken}, listen="127.0.0.1:0")
    await healthy.start()
    await failing.start()
    try:
        up = await fetch(f"http://127.0.0.1:{healthy.port}/healthz")
        state["gateway"] = False
        down = await fetch(f"http://127.0.0.1:{healthy.port}/healthz")
        state["gateway"] = True
        raised = await fetch(f"http://127.0.0.1:{failing.port}/healthz")
    finally:
        await healthy.close()
        await failing.close()
    assert up[:2] == (200, "application/json; charset=utf-8")
    assert json.loads(up[2]) == {"gateway": "ok", "database": "ok"}
    assert (down[0], json.loads(down[2])) == (503, {"gateway": "failing", "database": "ok"})
    assert (raised[0], json.loads(raised[2])) == (503, {"gateway": "ok", "database": "failing"})


async def test_closing_a_server_that_never_started_does_nothing():
    await MetricsServer(Metrics(models=[]), {}, listen="[::1]:0").close()
