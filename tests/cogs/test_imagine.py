"""/imagine end to end: the real bot, through both stand-ins, into the real SQLite file."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.db.models import UsageRecord


async def usage_rows(bot) -> list[UsageRecord]:
    async with bot.db() as session:
        return list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())


async def test_imagine_replies_with_attachments_and_logs_usage(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command("imagine", {"prompt": "a lighthouse at dusk", "n": 2})
    reply = await discord_api.wait_for_reply(state)

    assert state.callback_type == 5
    assert reply is state.original and not reply.ephemeral
    assert "a lighthouse at dusk" in reply.payload["content"]
    images = [Image.open(io.BytesIO(data)) for data in reply.attachment_bytes()]
    assert [image.format for image in images] == ["PNG", "PNG"]
    assert all(image.size == (1024, 1024) for image in images)

    [request] = images_api.requests
    assert request.fields["model"] == "gpt-image-2" and request.fields["n"] == 2
    assert "response_format" not in request.fields

    [row] = await usage_rows(bot)
    assert (row.status, row.command, row.model, row.n, row.image_count) == ("ok", "imagine", "gpt-image-2", 2, 2)
    assert row.guild_id == int(discord_api.guild_id) and row.user_id == int(discord_api.member["id"])
    assert row.prompt == "a lighthouse at dusk" and row.output_tokens == 2112 and row.latency_ms is not None
