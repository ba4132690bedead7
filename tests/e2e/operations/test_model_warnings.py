"""The models, warned of as the real bot starts: a model the images server does not list, a list that
cannot be had (the bot starts all the same), and a configured model that OpenAI retires or retired."""

import asyncio
import signal
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.helpers import images_config_file
from tests.postgres_cluster import free_port
from tests.sandbox import secrets_env, start_bot_process


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


async def test_the_same_model_on_another_server_is_a_warning(tmp_path, discord_api, images_api):
    config = images_config_file(tmp_path, discord_api, images_api.base_url, 'model = "gpt-imgae-2"')
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
    config = images_config_file(tmp_path, discord_api, base_url, 'provider = "openai"\nmodel = "gpt-imgae-2"')
    logged = await started_with(config, discord_api, images_api)
    reason = {
        "unreachable": "could not reach it",
        "server_error": "HTTP 503",
        "missing": "HTTP 404: it has no model list",
    }
    warnings = [line for line in logged.splitlines() if "WARNING" in line and "bot.preflight" in line]
    assert len(warnings) == 1, logged
    assert f"could not list the models at {base_url}/models ({reason[answer]}); images.model and" in warnings[0]


async def test_the_bot_warns_at_start_of_a_configured_model_that_retires_or_retired(make_config, start_bot, caplog):
    # The bot's clock is the system's: one date ahead of it, one past.
    retires, retired = date.today() + timedelta(days=10), date.today() - timedelta(days=200)
    await start_bot(
        make_config(
            images={
                "base_url": "https://api.openai.com/v1",
                "offered_models": ["gpt-image-2", "gpt-image-1"],
                "models": {
                    "gpt-image-2": {"retires": retires, "replacement": "gpt-image-1.5"},
                    "gpt-image-1": {"retires": retired, "replacement": "gpt-image-2"},
                },
            }
        )
    )
    warnings = [record.getMessage() for record in caplog.records if "the model" in record.getMessage()]
    assert warnings == [
        f"OpenAI retires the model gpt-image-2 on {retires}; offer gpt-image-1.5 instead "
        "(images.model / images.offered_models)",
        f"OpenAI retired the model gpt-image-1 on {retired}; offer gpt-image-2 instead "
        "(images.model / images.offered_models)",
    ]
