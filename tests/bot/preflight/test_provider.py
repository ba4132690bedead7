"""The images API's model list, asked once at start with the bot's key: a refused key and, on
OpenAI's API, an unknown default model stop the real bot process with one line; on OpenAI's API an
offered model it does not list is not offered. The warnings as the bot starts, on another server or
when the list cannot be had: tests/e2e/operations/test_model_warnings.py."""

from datetime import date

import pytest

from bot.config import parse_config
from bot.preflight import checked
from tests.helpers import images_config_file
from tests.sandbox import own_seconds, run_bot_command, secrets_env
from tests.standins.images_api import ImagesStandIn

TODAY = date(2026, 12, 6)  # dall-e-2 retired on 2026-05-12, by the model table


@pytest.mark.parametrize("provider", ["openai", "compatible"])
async def test_a_refused_key_stops_the_start_naming_the_key(tmp_path, discord_api, images_api, provider):
    config = images_config_file(tmp_path, discord_api, images_api.base_url, f'provider = "{provider}"')
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
    config = images_config_file(
        tmp_path, discord_api, images_api.base_url, 'provider = "openai"\nmodel = "gpt-imgae-2"'
    )
    run = await run_bot_command("--config", str(config), env=secrets_env(discord_api, images_api))
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert lines[0].startswith(
        'imagebot: images.model: OpenAI does not list "gpt-imgae-2" for this key; did you mean "gpt-image-2"'
    )
    assert "Traceback" not in run.stderr and await own_seconds(run) < 15
    assert not discord_api.identified.is_set()


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
