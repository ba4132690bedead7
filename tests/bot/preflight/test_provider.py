"""The images API's model list, asked once at start with the bot's key: a refused key and, on
OpenAI's API, an unknown default model stop the real bot process with one line; on another
server, or when the list cannot be had, the bot warns and starts."""

import asyncio
import signal
from datetime import date
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.preflight import checked
from tests.postgres_cluster import free_port
from tests.sandbox import own_seconds, run_bot_command, secrets_env, start_bot_process
from tests.standins.images_api import ImagesStandIn

TODAY = date(2026, 12, 6)  # dall-e-2 retired on 2026-05-12, by the model table


def config_file(folder: Path, discord_api, base_url: str, images: str) -> Path:
    """A config for the stand-ins; `images` is more of the [images] table."""
    path = folder / "config.toml"
    path.write_text(
        f'[discord]\napi_base_url = "{discord_api.api_base_url}"\ngateway_url = "{discord_api.gateway_url}"\n'
        f'[images]\nbase_url = "{base_url}"\n{images}\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{folder / "imagebot.db"}"\n'
    )
    return path


async def started_with(config: Path, discord_api, images_api) -> str:
    """What the bot process logs on stderr up to its first connection to Discord, after which it is stopped."""
    process = await start_bot_process(
        config, secrets_env(discord_api, images_api), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    output = asyncio.create_task(process.stderr.read())
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 30)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    return (await output).decode()


@pytest.mark.parametrize("provider", ["openai", "compatible"])
async def test_a_refused_key_stops_the_start_naming_the_key(tmp_path, discord_api, images_api, provider):
    config = config_file(tmp_path, discord_api, images_api.base_url, f'provider = "{provider}"')
    run = await run_bot_command(
        "--config", str(config), env={"DISCORD_TOKEN": discord_api.token, "OPENAI_API_KEY": "sk-not-this-one-42"}
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert lines[0] == (
        f"imagebot: images.api_key: {images_api.base_url} refused the key (HTTP 401); "
        "set OPENAI_API_KEY or [images] api_key to a valid key for it"
    )
    assert "sk-not-this-one-42" not in run.stderr + run.stdout and "Traceback" not in run.stderr
    assert await own_seconds(run) < 15 and images_api.model_lists == 1 and not images_api.requests
    assert not discord_api.identified.is_set()


async def test_a_misspelt_model_on_openai_stops_the_start_with_the_closest_names(tmp_path, discord_api, images_api):
    config = config_file(tmp_path, discord_api, images_api.base_url, 'provider = "openai"\nmodel = "gpt-imgae-2"')
    run = await run_bot_command("--config", str(config), env=secrets_env(discord_api, images_api))
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert lines[0].startswith(
        'imagebot: images.model: OpenAI does not list "gpt-imgae-2" for this key; did you mean "gpt-image-2"'
    )
    assert "Traceback" not in run.stderr and await own_seconds(run) < 15
    assert not discord_api.identified.is_set()


async def test_the_same_model_on_another_server_is_a_warning(tmp_path, discord_api, images_api):
    config = config_file(tmp_path, discord_api, images_api.base_url, 'model = "gpt-imgae-2"')
    logged = await started_with(config, discord_api, images_api)
    warnings = [line for line in logged.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "Traceback" not in logged
    assert (
        f'images.model: {images_api.base_url} does not list "gpt-imgae-2" (its list may be partial); '
        'did you mean "gpt-image-2"'
    ) in warnings[0]


@pytest.mark.parametrize("answer", ["unreachable", "server_error", "missing"])
async def test_a_list_that_cannot_be_had_is_one_warning_and_the_bot_starts(tmp_path, discord_api, images_api, answer):
    base_url = f"http://127.0.0.1:{free_port()}/v1" if answer == "unreachable" else images_api.base_url
    if answer != "unreachable":
        images_api.models_answer = answer
    config = config_file(tmp_path, discord_api, base_url, 'provider = "openai"\nmodel = "gpt-imgae-2"')
    logged = await started_with(config, discord_api, images_api)
    reason = {
        "unreachable": "could not reach it",
        "server_error": "HTTP 503",
        "missing": "HTTP 404: it has no model list",
    }
    warnings = [line for line in logged.splitlines() if "WARNING" in line and "bot.preflight" in line]
    assert len(warnings) == 1, logged
    assert f"could not list the models at {base_url}/models ({reason[answer]}); images.model and" in warnings[0]


async def test_on_openai_an_unlisted_offered_model_is_not_offered_and_a_retired_one_names_its_replacement(
    images_api, config_data, caplog
):
    retired = ImagesStandIn(retired_models=frozenset({"dall-e-2"}))
    await retired.start()
    try:
        offered = ["gpt-image-2", "dall-e-2", "gpt-image-1-mni"]
        for provider, kept in [("openai", ["gpt-image-2"]), ("compatible", offered)]:
            caplog.clear()
            data = {**config_data, "images": {**config_data["images"], "base_url": retired.base_url}}
            data["images"] |= {"offered_models": offered, "provider": provider}
            config = await checked(parse_config(data, environ={}), TODAY)
            assert config.images.offered_models == kept
            warnings = [record.getMessage() for record in caplog.records if record.name == "bot.preflight"]
            where = "OpenAI" if provider == "openai" else retired.base_url
            assert len(warnings) == 2, warnings
            assert warnings[0].startswith(f'images.offered_models: {where} does not list "dall-e-2"')
            assert warnings[0].endswith('OpenAI retired it on 2026-05-12; use "gpt-image-2" instead')
            assert 'does not list "gpt-image-1-mni"' in warnings[1] and 'did you mean "gpt-image-1-mini"' in warnings[1]
            assert ("so it is not offered" in warnings[0]) == (provider == "openai")
    finally:
        await retired.close()
    assert not retired.violations
