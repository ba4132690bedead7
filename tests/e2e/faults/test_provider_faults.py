"""Every Images API fault, end to end through the bot: each ends bounded in time, with a clear
private message to the member and a finished row; running out of credit also tells moderators."""

import pytest

from tests.helpers import EXHAUSTED_CREDIT_CODES, settings, usage_rows
from tests.standins.discord_data import ChannelOption

QUICK = {"max_retries": 1, "retry_base_delay": 0.01, "max_retry_wait": 0.05, "timeout_seconds": 2, "stall_seconds": 0.5}


@pytest.mark.parametrize(
    ("kind", "options", "fault", "message", "code"),
    [
        ("rate_limit", {}, {"times": 5, "retry_after": 0.01}, "busy right now", "rate_limited"),
        ("server_error", {}, {"times": 5}, "having trouble", "server_error"),
        ("overloaded", {}, {"times": 5}, "having trouble", "server_error"),
        ("request_timeout", {}, {"times": 5}, "took too long", "timeout"),
        ("timeout", {}, {"times": 2, "delay": 3}, "took too long", "timeout"),
        ("garbage", {"n": 2}, {}, "answer we could not use", "invalid_response"),
        ("truncated", {"n": 2}, {}, "answer we could not use", "invalid_response"),
        ("no_images", {"n": 2}, {}, "answer we could not use", "invalid_response"),
        ("stream_cut", {}, {}, "answer we could not use", "invalid_response"),
        ("stall", {}, {"delay": 3}, "took too long", "timeout"),
    ],
)
async def test_a_provider_fault_ends_with_a_message_and_a_row(
    make_config, start_bot, discord_api, images_api, kind, options, fault, message, code
):
    bot = await start_bot(make_config(images=QUICK))
    images_api.fail_next(kind, **fault)
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", **options})
    reply = await discord_api.wait_for_reply(state, 15)
    assert reply.ephemeral and message in reply.text
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code, row.image_count) == ("failed", code, 0)
    assert not row.reserved_images and not row.reserved_usd


async def test_connection_refused_ends_with_a_message_and_a_row(make_config, start_bot, discord_api):
    bot = await start_bot(make_config(images={**QUICK, "base_url": "http://127.0.0.1:9/v1"}))
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox"})
    reply = await discord_api.wait_for_reply(state, 15)
    assert reply.ephemeral and "could not be reached" in reply.text
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code) == ("failed", "connection")


@pytest.mark.parametrize("code", EXHAUSTED_CREDIT_CODES)
async def test_exhausted_credit_is_not_a_rate_limit_and_moderators_hear_once(
    make_config, start_bot, discord_api, images_api, code
):
    bot = await start_bot(make_config(images=QUICK))
    alerts = discord_api.alerts_channel_id
    await settings(discord_api, "budget", {"monthly_usd": 50.0, "alert_channel": ChannelOption(alerts)})
    images_api.fail_next("quota", code=code, times=2)
    for prompt in ("a fox", "a hare"):
        reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": prompt}))
        assert reply.ephemeral and "image credit has run out" in reply.text
    assert len(images_api.requests) == 2  # never retried
    rows = await usage_rows(bot, 2)
    assert [(row.status, row.error_code) for row in rows] == [("failed", "quota")] * 2
    await discord_api.wait_for(lambda: discord_api.channel_messages.get(alerts))
    [notice] = discord_api.channel_messages[alerts]
    assert "image credit has run out" in notice.text
    assert "operator" in notice.text
