"""/imagine end to end: the real bot, through both stand-ins, into the real SQLite file."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from PIL import Image

from bot.logs import RedactingFormatter, register_secrets
from tests.helpers import usage_rows


async def test_imagine_replies_with_attachments_and_logs_usage(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command("imagine", {"prompt": "a lighthouse at dusk", "n": 2})
    reply = await discord_api.wait_for_reply(state)

    assert state.callback_type == 5
    assert reply is state.original and not reply.ephemeral
    assert "a lighthouse at dusk" in reply.text
    images = [Image.open(io.BytesIO(data)) for data in reply.attachment_bytes()]
    assert [image.format for image in images] == ["PNG", "PNG"]
    assert all(image.size == (1024, 1024) for image in images)

    [request] = images_api.requests
    assert request.fields["model"] == "gpt-image-2" and request.fields["n"] == 2
    assert "response_format" not in request.fields
    # The acknowledgement's answer gives the reply's id: it is never read back to learn it.
    operations = [call.operation_id for call in discord_api.calls]
    assert operations.count("create_interaction_response") == 1 and "get_original_webhook_message" not in operations

    [row] = await usage_rows(bot)
    assert (row.status, row.command, row.model, row.n, row.image_count) == ("ok", "imagine", "gpt-image-2", 2, 2)
    assert row.guild_id == int(discord_api.guild_id) and row.user_id == int(discord_api.member["id"])
    assert row.prompt == "a lighthouse at dusk" and row.output_tokens == 2112 and row.latency_ms is not None


async def test_a_deferral_that_names_no_message_is_never_read_back(make_config, start_bot, discord_api, images_api):
    """As Discord answers a deferral: no message id. The reply is edited as @original, and the
    result's edit gives its id (a reply to the result finds the row)."""
    bot = await start_bot(make_config())
    discord_api.deferral_names_message = False
    before = len(discord_api.calls)
    state = await discord_api.send_slash_command("imagine", {"prompt": "a lighthouse at dusk", "n": 2})
    reply = await discord_api.wait_for_reply(state)
    [row] = await usage_rows(bot, delivered=True)
    assert row.message_id == int(reply.id)
    kinds = Counter(call.operation_id for call in discord_api.calls[before:])
    assert kinds["create_interaction_response"] == 1 and kinds["get_original_webhook_message"] == 0
    assert kinds["update_original_webhook_message"] >= 1 and kinds["update_webhook_message"] == 0
    assert set(kinds) <= {"create_interaction_response", "update_original_webhook_message"}


async def test_n_above_the_model_limit_is_served_by_parallel_requests(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", "n": 3, "model": "dall-e-3"})
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 3
    assert [request.fields["n"] for request in images_api.requests] == [1, 1, 1]
    assert "**Revised prompt:** a fox, painted in rich detail" in reply.text
    [row] = await usage_rows(bot)
    assert row.image_count == 3 and row.revised_prompt == "a fox, painted in rich detail"


async def test_images_over_the_attachment_limit_are_reencoded(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    images_api.noise_images = True
    limit = 400_000
    state = await discord_api.send_slash_command("imagine", {"prompt": "static"}, attachment_size_limit=limit)
    reply = await discord_api.wait_for_reply(state)
    [data] = reply.attachment_bytes()
    assert len(data) <= limit
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert reply.payload["attachments"][0]["filename"].endswith(".jpg")


async def test_a_4k_image_is_asked_for_as_webp_and_posted_as_made(make_config, start_bot, discord_api, images_api):
    """A 3840x2160 PNG could pass Discord's 10 MiB: WebP at 90 is asked for, and the bot posts the
    provider's own bytes, re-encoding nothing; a 1024x1024 PNG fits, and nothing is asked."""
    await start_bot(make_config())
    limit = 10 * 1024 * 1024
    big = await discord_api.send_slash_command(
        "imagine", {"prompt": "a harbour", "size": "3840x2160"}, attachment_size_limit=limit
    )
    [made] = (await discord_api.wait_for_reply(big)).attachment_bytes()
    small = await discord_api.send_slash_command("imagine", {"prompt": "a boat"}, attachment_size_limit=limit)
    [plain] = (await discord_api.wait_for_reply(small)).attachment_bytes()

    first, second = images_api.requests
    assert (first.fields["output_format"], first.fields["output_compression"]) == ("webp", 90)
    assert "output_format" not in second.fields and "output_compression" not in second.fields
    assert made == images_api.made[0] and Image.open(io.BytesIO(made)).size == (3840, 2160)
    assert Image.open(io.BytesIO(made)).format == "WEBP" and big.original.payload["attachments"][0][
        "filename"
    ].endswith(".webp")
    assert plain == images_api.made[1] and Image.open(io.BytesIO(plain)).format == "PNG"


async def test_the_operator_may_pin_the_format(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config(images={"output_format": "jpeg", "output_compression": 75}))
    state = await discord_api.send_slash_command("imagine", {"prompt": "a boat"})
    [data] = (await discord_api.wait_for_reply(state)).attachment_bytes()
    [request] = images_api.requests
    assert (request.fields["output_format"], request.fields["output_compression"]) == ("jpeg", 75)
    assert Image.open(io.BytesIO(data)).format == "JPEG"


async def test_refused_prompt_gets_a_private_message_and_a_row(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    images_api.fail_next("refuse")
    state = await discord_api.send_slash_command("imagine", {"prompt": "something not allowed"})
    reply = await discord_api.wait_for_reply(state)
    assert reply.ephemeral and "safety system refused" in reply.text
    assert state.original_deleted
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code, row.image_count) == ("refused", "refused", 0)


@pytest.mark.parametrize(
    ("kind", "times", "requests", "message", "code"),
    [
        ("rate_limit", 2, 3, None, None),
        ("server_error", 10, 3, "having trouble", "server_error"),
        ("quota", 10, 1, "credit has run out", "quota"),
    ],
)
async def test_provider_faults(make_config, start_bot, discord_api, images_api, kind, times, requests, message, code):
    bot = await start_bot(make_config(images={"max_retries": 2}))
    images_api.fail_next(kind, times=times, retry_after=1.0 if kind == "rate_limit" else None)  # waits in the queue
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox"})
    reply = await discord_api.wait_for_reply(state)
    assert len(images_api.requests) == requests
    [row] = await usage_rows(bot)
    if message is None:
        assert reply.attachment_bytes() and row.status == "ok"
    else:
        assert reply.ephemeral and message in reply.text
        assert (row.status, row.error_code) == ("failed", code)


async def test_timeouts_are_bounded_and_reported(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(images={"timeout_seconds": 0.5, "max_retries": 0}))
    images_api.fail_next("timeout", delay=3)
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox"})
    reply = await discord_api.wait_for_reply(state)
    assert reply.ephemeral and "took too long" in reply.text
    [row] = await usage_rows(bot)
    assert row.error_code == "timeout"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": "999x999"}, "multiples of 16"),
        ({"size": "1536x864", "model": "gpt-image-1-mini"}, "`gpt-image-1-mini` makes these sizes"),
        ({"quality": "hd"}, "offers these qualities: auto, low, medium, high"),
        ({"model": "gpt-image-0"}, "`gpt-image-0` is not available here"),
        ({"model": "dall-e-2", "prompt": "x" * 1200}, "up to 1000 characters"),
    ],
)
async def test_bad_input_gets_an_immediate_private_answer(
    make_config, start_bot, discord_api, images_api, options, message
):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", **options})
    reply = await discord_api.wait_for_reply(state)
    assert state.callback_type == 4 and reply.ephemeral and message in reply.text
    assert images_api.requests == []
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code) == ("invalid", "invalid_request")


async def test_mentions_in_the_prompt_never_ping(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    prompt = f"@everyone look <@{discord_api.moderator['id']}> and <@&{discord_api.guild_id}> **bold**"
    state = await discord_api.send_slash_command("imagine", {"prompt": prompt})
    reply = await discord_api.wait_for_reply(state)
    assert "@everyone" in reply.text and "\\*\\*bold\\*\\*" in reply.text
    assert reply.pings == set()


async def test_an_unknown_model_from_config_works_with_conservative_defaults(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(images={"model": "acme-diffusion"}))
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", "n": 2})
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 2
    assert all(set(request.fields) == {"prompt", "model", "n"} for request in images_api.requests)
    [row] = await usage_rows(bot)
    assert row.model == "acme-diffusion" and row.status == "ok"


async def test_secrets_never_reach_replies_logs_or_the_database(
    make_config, start_bot, discord_api, images_api, caplog
):
    wrong_key = "sk-operator-typo-9876543210"
    bot = await start_bot(make_config(images={"api_key": wrong_key}))
    register_secrets(bot.config.secrets())
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox"})
    reply = await discord_api.wait_for_reply(state)
    assert "key was rejected" in reply.text
    [row] = await usage_rows(bot)
    assert row.error_code == "auth" and wrong_key not in (row.error_detail or "")
    assert "[redacted]" in row.error_detail
    everything = " ".join(str(call.body) for call in discord_api.calls)
    assert wrong_key not in everything and discord_api.token not in everything
    formatter = RedactingFormatter("%(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "Incorrect API key provided" in logged and wrong_key not in logged
