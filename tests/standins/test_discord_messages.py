"""The Discord stand-in's MESSAGE_CREATE, on its own: a raw gateway client identifies with chosen
intents and reads what arrives, as Discord's documentation says it arrives (see
tests/standins/discord_messages.py)."""

import asyncio
import json

import aiohttp
import pytest

from tests.standins.discord_data import StoredMessage, user_payload
from tests.standins.discord_messages import (
    ATTACH_FILES,
    DIRECT_MESSAGES,
    GUILD_MESSAGES,
    MESSAGE_CONTENT,
    READ_MESSAGE_HISTORY,
)

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


async def test_a_denied_permission_is_an_overwrite_on_the_gateway_and_a_50013_on_rest(discord_api):
    async with aiohttp.ClientSession() as session:
        ws = await identify(session, discord_api, GUILDS)
        await discord_api.deny_bot(discord_api.channel_id, ATTACH_FILES | READ_MESSAGE_HISTORY)
        while (event := await ws.receive_json()).get("t") != "CHANNEL_UPDATE":
            pass
        [overwrite] = event["d"]["permission_overwrites"]
        assert overwrite == {
            "id": discord_api.bot_user["id"],
            "type": 1,
            "allow": "0",
            "deny": str(ATTACH_FILES | READ_MESSAGE_HISTORY),
        }
        await ws.close()

        url = f"{discord_api.api_base_url}/channels/{discord_api.channel_id}/messages"
        headers = {"Authorization": f"Bot {discord_api.token}"}
        async with session.post(url, json={"content": "words alone"}, headers=headers) as answer:
            assert answer.status == 200
            said = (await answer.json())["id"]
        reply = {"content": "a reply", "message_reference": {"message_id": said}}
        async with session.post(url, json=reply, headers=headers) as answer:
            assert (answer.status, (await answer.json())["code"]) == (403, 50013)
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"attachments": [{"id": 0, "filename": "a.png"}]}))
        form.add_field("files[0]", b"\x89PNG fake", filename="a.png", content_type="image/png")
        async with session.post(url, data=form, headers=headers) as answer:
            assert (answer.status, (await answer.json())["code"]) == (403, 50013)
