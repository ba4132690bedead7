"""Discord's faults, end to end through the real discord.py: rate limits with and without `Via`,
server errors, a late acknowledgement, and the gateway closing mid-job. Each interaction is
answered, or its row says exactly why not; a result already paid for is delivered or kept."""

import asyncio

import pytest

from tests.helpers import EDIT_REPLY, delivery_of, finished_jobs, send_imagine_of_two, usage_rows

ACK = "create_interaction_response"


@pytest.mark.parametrize("is_global", [False, True])
async def test_a_rate_limited_upload_waits_as_discord_says_and_is_delivered(
    make_config, start_bot, discord_api, images_api, is_global
):
    bot = await start_bot(make_config())
    discord_api.rate_limit_next(EDIT_REPLY, 0.2, is_global=is_global, uploads=True)
    reply = await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    assert reply.attachment_bytes() and not reply.ephemeral
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery) == ("ok", "delivered") and row.cost_usd > 0
    uploads = [call for call in discord_api.calls if call.operation_id == EDIT_REPLY and call.files]
    assert len(uploads) == 2  # refused once, sent again after retry_after


async def test_a_cloudflare_block_keeps_the_result_and_tells_the_member(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    discord_api.rate_limit_next(EDIT_REPLY, via=False, uploads=True)  # a block is for the bot's address, any route
    notice = await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    assert notice.ephemeral and "/results" in notice.text
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery) == ("ok", "kept") and row.cost_usd > 0
    assert await delivery_of(bot, row) == [("reply", "429/0")]


async def test_a_server_error_on_the_upload_is_retried_by_discord_py(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    discord_api.server_error_next(EDIT_REPLY, 502, uploads=True)
    reply = await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    assert reply.attachment_bytes()
    [row] = await usage_rows(bot, delivered=True)
    assert row.delivery == "delivered"


async def test_an_acknowledgement_too_late_leaves_a_row_that_says_why(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    discord_api.fail_next(ACK, 404, 10062, "Unknown interaction")
    await discord_api.send_slash_command("imagine", {"prompt": "a late fox"})
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code) == ("failed", "discord_404_10062")
    assert not images_api.requests


async def test_a_server_error_on_the_acknowledgement_is_retried(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    discord_api.server_error_next(ACK, 503)
    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": "a fox"}))
    assert reply.attachment_bytes()
    [row] = await usage_rows(bot, delivered=True)
    assert (row.status, row.delivery) == ("ok", "delivered")


@pytest.mark.parametrize(
    ("code", "resumable", "reconnect"),
    [(None, True, ["resume"]), (4000, True, ["resume"]), (4009, False, ["invalid_session", "identify"])],
    ids=["1006", "4000", "4009"],
)
async def test_the_gateway_closing_mid_job_loses_nothing(
    make_config, start_bot, discord_api, images_api, code, resumable, reconnect
):
    bot = await start_bot(make_config())
    images_api.gate = asyncio.Event()  # the running job is at the provider until the bot is back
    running = await send_imagine_of_two(discord_api)
    await images_api.wait_for_requests(1)
    await discord_api.drop_gateway(code, resumable=resumable)
    waiting = await send_imagine_of_two(discord_api) if resumable else None  # sent while the bot is away
    await discord_api.identified.wait()
    assert discord_api.gateway_log[-len(reconnect) :] == reconnect
    images_api.gate.set()
    assert (await discord_api.wait_for_reply(running)).attachment_bytes()
    if waiting is not None:
        assert (await discord_api.wait_for_reply(waiting)).attachment_bytes()
    after = await discord_api.wait_for_reply(await send_imagine_of_two(discord_api))
    assert after.attachment_bytes()
    rows = await usage_rows(bot, 3 if resumable else 2, delivered=True)
    assert [(row.status, row.delivery) for row in rows] == [("ok", "delivered")] * len(rows)
    assert all(job.state == "done" for job in await finished_jobs(bot))
