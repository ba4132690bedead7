"""The bot installed to a member: /imagine and the buttons in the bot's DMs and in servers that
have not added it, logged with no guild under the member, within their own daily limit; no
guild's policy applies there."""

import pytest

from tests.helpers import settings, usage_rows


async def imagine(discord_api, place: str, **options):
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", **options}, place=place)
    return await discord_api.wait_for_reply(state)


@pytest.mark.parametrize("place", ["dm", "foreign"])
async def test_a_member_makes_images_outside_the_servers_that_added_the_bot(
    make_config, start_bot, discord_api, images_api, place
):
    bot = await start_bot(make_config())
    await settings(discord_api, "limits", {"images_per_day": 1})  # the guild's: not for personal use
    result = await imagine(discord_api, place, n=2)
    assert len(result.attachment_bytes()) == 2 and not result.ephemeral
    [row] = await usage_rows(bot, delivered=True)
    assert (row.guild_id, row.user_id, row.status, row.delivery) == (
        None,
        int(discord_api.member["id"]),
        "ok",
        "delivered",
    )
    assert row.channel_id == int(discord_api.dm_channel_id if place == "dm" else discord_api.foreign_channel_id)
    picker = await discord_api.wait_for_reply(await discord_api.click(result, f"ib:reframe:{row.id}"))
    [menu] = [child for action_row in picker.payload["components"] for child in action_row["components"]]
    zoom = await discord_api.choose(picker, menu["custom_id"], ["1:z15"])
    assert (await discord_api.wait_for_reply(zoom)).attachment_bytes()
    rows = await usage_rows(bot, 2, delivered=True)
    assert [(row.command, row.guild_id) for row in rows] == [("imagine", None), ("zoom", None)]


async def test_personal_use_has_its_own_daily_limit_across_dms_and_servers(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(limits={"dm_images_per_day": 3}))
    assert (await imagine(discord_api, "dm", n=2)).attachment_bytes()
    refused = await imagine(discord_api, "foreign", n=2)
    assert refused.ephemeral and "over your 3 images a day outside servers" in refused.text
    assert (await imagine(discord_api, "foreign")).attachment_bytes()
    assert (await imagine(discord_api, "guild", n=2)).attachment_bytes()  # the guild's own limits, untouched
    rows = await usage_rows(bot, 4)
    assert [(row.guild_id is None, row.status) for row in rows] == [
        (True, "ok"),
        (True, "limited"),
        (True, "ok"),
        (False, "ok"),
    ]


async def test_an_operator_can_allow_no_personal_use(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(limits={"dm_images_per_day": 0}))
    refused = await imagine(discord_api, "dm")
    assert refused.ephemeral and "only works in servers that have added it" in refused.text
    assert not images_api.requests
    [row] = await usage_rows(bot)
    assert (row.guild_id, row.status) == (None, "invalid")
