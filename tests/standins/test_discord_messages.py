"""The Discord stand-in's MESSAGE_CREATE, on its own: a raw gateway client identifies with chosen
intents and reads what arrives, as Discord's documentation says it arrives (see
tests/standins/discord_messages.py)."""

import asyncio
import json

import aiohttp
import pytest

from tests.standins.discord_data import StoredMessage, user_payload
from tests.standins.discord_messages import DIRECT_MESSAGES, GUILD_MESSAGES, MESSAGE_CONTENT

GUILDS = 1


async def identify(session: aiohttp.ClientSession, discord_api, intents: int) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{discord_api.gateway_url}?v=10&encoding=json")
    assert (await ws.receive_json())["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": discord_api.token, "intents": intents, "properties": {}}})
    while (await ws.receive_json()).get("t") != "GUILD_CREATE":
        pass
    return ws


async def next_message(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0) -> dict | None:
    """The next MESSAGE_CREATE's data, or None when none comes."""
    try:
        while True:
            payload = json.loads((await asyncio.wait_for(ws.receive(), timeout)).data)
            if payload.get("t") == "MESSAGE_CREATE":
                return payload["d"]
    except TimeoutError:
        return None


PHOTO = [("cat.png", b"\x89PNG fake", "image/png")]


@pytest.mark.parametrize("content_intent", [False, True])
async def test_guild_messages_are_blanked_unless_they_mention_the_bot(discord_api, content_intent):
    other = user_payload("5150", "photographer")
    async with aiohttp.ClientSession() as session:
        intents = GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES | (MESSAGE_CONTENT if content_intent else 0)
        ws = await identify(session, discord_api, intents)
        photo = await discord_api.send_member_message("my cat", user=other, attachments=PHOTO)
        seen = await next_message(ws)
        assert seen["guild_id"] == discord_api.guild_id and seen["member"]["user"]["id"] == "5150"
        assert (seen["content"], len(seen["attachments"])) == (("my cat", 1) if content_intent else ("", 0))

        await discord_api.send_member_message("make it night", reply_to=photo, mention_bot=True)
        reply = await next_message(ws)
        assert reply["type"] == 19 and reply["message_reference"]["message_id"] == photo.id
        assert reply["content"] == f"<@{discord_api.bot_user['id']}> make it night"  # it mentions the bot: whole
        referenced = reply["referenced_message"]  # another member's, not mentioning the bot
        assert len(referenced["attachments"]) == (1 if content_intent else 0)

        await discord_api.send_member_message("in private", place="dm", attachments=PHOTO)
        dm = await next_message(ws)
        assert "guild_id" not in dm and dm["content"] == "in private" and len(dm["attachments"]) == 1
        await ws.close()


async def test_a_reply_pings_the_bot_only_for_its_regular_messages(discord_api):
    async with aiohttp.ClientSession() as session:
        ws = await identify(session, discord_api, GUILDS | GUILD_MESSAGES)
        bot = discord_api.bot_user
        regular = StoredMessage(
            {
                "id": "1",
                "author": bot,
                "channel_id": discord_api.channel_id,
                "guild_id": discord_api.guild_id,
                "attachments": [],
            }
        )
        response = StoredMessage({**regular.payload, "id": "2", "webhook_id": "9"})  # an interaction's response
        await discord_api.send_member_message("add a moon", reply_to=regular)
        kept_ping = await next_message(ws)
        assert kept_ping["content"] == "add a moon" and [user["id"] for user in kept_ping["mentions"]] == [bot["id"]]
        await discord_api.send_member_message("add a moon", reply_to=response)
        assert (await next_message(ws))["content"] == ""  # no mention: Discord blanks it
        await discord_api.send_member_message("add a moon", reply_to=regular, ping_on_reply=False)
        assert (await next_message(ws))["content"] == ""
        await ws.close()


async def test_without_the_message_intents_no_message_arrives(discord_api):
    async with aiohttp.ClientSession() as session:
        ws = await identify(session, discord_api, GUILDS)
        await discord_api.send_member_message("hello", mention_bot=True)
        await discord_api.send_member_message("hello", place="dm")
        assert await next_message(ws, timeout=0.5) is None
        await ws.close()
