"""Metrics and health, from the real bot process: `/metrics` scraped after real requests, and
`/healthz` (and the container's `health` command) following the gateway and the database."""

import asyncio
import contextlib
import os
import sys

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import EDIT_REPLY, stop_processes
from tests.postgres_cluster import free_port
from tests.sandbox import ROOT, secrets_env, start_bot_process, write_config


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def until(check, timeout: float = 30.0):
    """Poll `check()` (a coroutine function) until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            if result := await check():
                return result
            await asyncio.sleep(0.05)


async def health_command(config) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "health",
        cwd=ROOT,
        env={**os.environ, "DISCORD_TOKEN": "t" * 8, "OPENAI_API_KEY": "k" * 8},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, output.decode()


@contextlib.asynccontextmanager
async def bot_process(tmp_path, discord_api, images_api, port: int):
    config = write_config(tmp_path, discord_api, images_api, f'[metrics]\nlisten = "127.0.0.1:{port}"\n')
    log = (tmp_path / "bot.log").open("wb")
    process = await start_bot_process(config, secrets_env(discord_api, images_api), stdout=log, stderr=log)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 60)
        yield config
    finally:
        await stop_processes([process])
        log.close()


async def test_metrics_count_real_requests_with_bounded_labels(tmp_path, discord_api, images_api):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with bot_process(tmp_path, discord_api, images_api, port):
        images_api.fail_next("server_error")  # retried: the request still succeeds
        discord_api.rate_limit_next(EDIT_REPLY, 0.05, uploads=True)
        for prompt in ("a red fox", "a blue heron"):
            state = await discord_api.send_slash_command("imagine", {"prompt": prompt, "n": 2})
            assert (await discord_api.wait_for_reply(state, 30)).attachment_bytes()
        refused = await discord_api.send_slash_command("imagine", {"prompt": "a cat", "size": "13x13"})
        assert (await discord_api.wait_for_reply(refused, 30)).ephemeral

        async def scraped():
            status, text = await get(f"{base}/metrics")
            assert status == 200
            found = samples(text)
            ok = found.get(("imagebot_requests_total", (("command", "imagine"), ("outcome", "ok"))))
            idle = found.get(("imagebot_jobs", (("state", "running"),))) == 0  # their jobs recorded as done
            return found if ok == 2 and idle else None

        found = await until(scraped)

    assert found[("imagebot_requests_total", (("command", "imagine"), ("outcome", "invalid")))] == 1
    assert found[("imagebot_images_total", (("model", "gpt-image-2.6-flare"),))] == 4
    assert found[("imagebot_cost_usd_total", (("model", "gpt-image-2.6-flare"),))] > 0
    assert found[("imagebot_provider_errors_total", (("kind", "server_error"),))] == 1
    assert found[("imagebot_discord_rate_limited_total", (("scope", "user"),))] == 1
    for histogram in ("imagebot_queue_wait_seconds", "imagebot_upload_seconds", "imagebot_request_seconds"):
        assert found[(f"{histogram}_count", ())] == 2, histogram
    assert found[("imagebot_provider_seconds_count", (("operation", "generate"),))] == 2
    assert found[("imagebot_jobs", (("state", "queued"),))] == 0
    assert found[("imagebot_jobs", (("state", "running"),))] == 0
    ids = {discord_api.guild_id, discord_api.member["id"], discord_api.channel_id}
    values = {value for _, labels in found for _, value in labels}
    assert not values & ids and all(len(value) <= 32 for value in values)


async def test_health_follows_the_gateway_and_the_health_command_says_so(tmp_path, discord_api, images_api):
    port = free_port()
    healthz = f"http://127.0.0.1:{port}/healthz"
    async with bot_process(tmp_path, discord_api, images_api, port) as config:
        assert await until(lambda: _status_is(healthz, 200)) == '{"gateway": "ok", "database": "ok"}'
        assert (await health_command(config))[0] == 0

        discord_api.gateway_down = True
        await discord_api.drop_gateway(None)
        down = await until(lambda: _status_is(healthz, 503))
        assert down == '{"gateway": "failing", "database": "ok"}'
        code, output = await health_command(config)
        assert code == 1 and "gateway" in output

        discord_api.gateway_down = False
        await until(lambda: _status_is(healthz, 200), 60)
        state = await discord_api.send_slash_command("imagine", {"prompt": "after the outage"})
        assert (await discord_api.wait_for_reply(state, 30)).attachment_bytes()


async def _status_is(url: str, wanted: int) -> str | None:
    status, text = await get(url)
    return text if status == wanted else None


async def test_health_fails_while_postgresql_is_down(postgres_cluster, make_config, start_bot, discord_api):
    port = free_port()
    healthz = f"http://127.0.0.1:{port}/healthz"
    await start_bot(make_config(database={"url": postgres_cluster.url}, metrics={"listen": f"127.0.0.1:{port}"}))
    await until(lambda: _status_is(healthz, 200))
    await postgres_cluster.stop()
    assert await until(lambda: _status_is(healthz, 503)) == '{"gateway": "ok", "database": "failing"}'
    await postgres_cluster.start()
    await until(lambda: _status_is(healthz, 200))
