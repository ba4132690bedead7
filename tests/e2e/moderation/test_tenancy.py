"""Tenancy: a guild's moderators see that guild's usage only, through every /usage path, its
page buttons and the export; a member cannot act on another member's request."""

import json

from tests.helpers import usage, usage_rows
from tests.standins.discord_data import UserOption, user_payload

GUILD_B = "9100000000000001"


def everything_shown(reply) -> str:
    """All a moderator can read in a reply: text, embeds, buttons and attached files."""
    files = b"".join(reply.attachment_bytes()).decode("utf-8", errors="replace")
    return json.dumps([reply.text, reply.payload["embeds"], reply.payload["components"]]) + files


async def test_a_guilds_moderators_see_only_that_guilds_usage(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    member_b = user_payload("180000000000000077", "bravo")
    for index in range(2):
        await discord_api.wait_for_reply(
            await discord_api.send_slash_command("imagine", {"prompt": f"alpha fox {index}"})
        )
        await discord_api.wait_for_reply(
            await discord_api.send_slash_command(
                "imagine", {"prompt": f"bravo hare {index}"}, user=member_b, guild_id=GUILD_B
            )
        )
    await usage_rows(bot, 4)
    shown_in_a = [
        everything_shown((await usage(discord_api, subcommand, options))[1])
        for subcommand, options in [
            ("summary", {"period": "all"}),
            ("recent", {}),
            ("export", {}),
            ("user", {"member": UserOption(discord_api.member), "period": "all"}),
        ]
    ]
    assert any("alpha fox 1" in shown for shown in shown_in_a)
    assert not any("bravo" in shown or member_b["id"] in shown or GUILD_B in shown for shown in shown_in_a)
    _, about_b = await usage(discord_api, "user", {"member": UserOption(member_b), "period": "all"})
    fields = {field["name"]: field["value"] for field in about_b.payload["embeds"][0]["fields"]}
    assert fields["Requests"] == "0" and "hare" not in everything_shown(about_b)

    state = await discord_api.send_slash_command(
        "usage", {}, subcommand="export", user=discord_api.moderator, guild_id=GUILD_B
    )
    export_b = everything_shown(await discord_api.wait_for_reply(state))
    assert "bravo hare 0" in export_b and "alpha" not in export_b


async def test_the_pages_of_recent_usage_answer_only_the_moderator_who_opened_them(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    for index in range(11):
        await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": f"fox {index}"}))
    await usage_rows(bot, 11)
    _, reply = await usage(discord_api, "recent")
    older = next(
        c["custom_id"] for row in reply.payload["components"] for c in row["components"] if c["label"] == "Older"
    )
    refused = await discord_api.wait_for_reply(await discord_api.click(reply, older, user=discord_api.member))
    assert refused.ephemeral and "belong to someone else" in refused.text
    assert "fox 0" not in everything_shown(refused)
