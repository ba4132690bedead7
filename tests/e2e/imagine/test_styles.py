"""Guild styles and spoilers end to end: a style's template sets the member's prompt, the row
keeps both; results hidden as spoilers when asked, or always in a guild that says so, and what
is made from a hidden result is hidden too."""

from sqlalchemy import select

from bot.db.models import SettingsChange
from tests.helpers import button_ids, settings, usage_rows


async def imagine(discord_api, **options):
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", **options})
    return await discord_api.wait_for_reply(state)


async def test_a_guild_style_sets_the_prompt_and_the_row_keeps_both(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    saved = await settings(
        discord_api, "style-add", {"name": "Cozy  Cabin", "template": "a cozy illustration of {prompt}, warm light"}
    )
    assert "Saved the style cozy cabin" in saved.text
    choices = await discord_api.autocomplete("imagine", {"prompt": "a fox", "style": "c"}, "style")
    assert [choice["name"] for choice in choices] == ["cozy cabin", "watercolor"]  # the names with a c in them
    everything = await discord_api.autocomplete("imagine", {"prompt": "a fox", "style": ""}, "style")
    assert [choice["name"] for choice in everything] == [
        "cozy cabin",
        "photo",
        "anime",
        "watercolor",
        "pixel art",
        "noir",
    ]

    assert (await imagine(discord_api, style="cozy cabin")).attachment_bytes()
    assert images_api.requests[-1].fields["prompt"] == "a cozy illustration of a fox, warm light"
    result = await imagine(discord_api, style="noir")
    assert images_api.requests[-1].fields["prompt"].startswith("a fox, in film noir style")
    rows = await usage_rows(bot, 2)
    assert [(row.prompt, row.style) for row in rows] == [("a fox", "cozy cabin"), ("a fox", "noir")]

    reroll = await discord_api.click(result, f"ib:reroll:{rows[1].id}")
    assert (await discord_api.wait_for_reply(reroll)).attachment_bytes()
    assert images_api.requests[-1].fields["prompt"].startswith("a fox, in film noir style")

    shown = await settings(discord_api, "show", {})
    field = next(field for field in shown.payload["embeds"][0]["fields"] if field["name"] == "Styles")
    assert "**cozy cabin**: a cozy illustration of {prompt}, warm light" in field["value"]
    removed = await settings(discord_api, "style-remove", {"name": "cozy cabin"})
    assert "Removed the style cozy cabin" in removed.text
    refused = await imagine(discord_api, style="cozy cabin")
    assert refused.ephemeral and "no style called cozy cabin" in refused.text
    assert "photo, anime, watercolor, pixel art, noir" in refused.text
    async with bot.sessions() as session:
        changes = (await session.scalars(select(SettingsChange).order_by(SettingsChange.id))).all()
    assert [(change.setting, change.new_value) for change in changes] == [
        ("style cozy cabin", "a cozy illustration of {prompt}, warm light"),
        ("style cozy cabin", None),
    ]


async def test_a_template_without_the_prompt_or_a_bad_name_is_refused(make_config, start_bot, discord_api):
    await start_bot(make_config())
    refused = await settings(discord_api, "style-add", {"name": "flat", "template": "a flat illustration"})
    assert refused.ephemeral and "{prompt} where the member's prompt goes" in refused.text
    refused = await settings(discord_api, "style-add", {"name": "<@1>", "template": "x {prompt}"})
    assert "letters, digits, spaces" in refused.text


async def test_spoilers_when_asked_always_when_the_guild_says_and_on_what_is_made_from_them(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    plain = await imagine(discord_api)
    assert not plain.payload["attachments"][0]["filename"].startswith("SPOILER_")
    hidden = await imagine(discord_api, spoiler=True)
    assert all(attachment["filename"].startswith("SPOILER_") for attachment in hidden.payload["attachments"])
    rows = await usage_rows(bot, 2)
    zoomed = await discord_api.wait_for_reply(await discord_api.click(hidden, f"ib:z2:{rows[1].id}:0"))
    assert zoomed.payload["attachments"][0]["filename"].startswith("SPOILER_")

    await settings(discord_api, "spoiler", {"when": "always"})
    always = await imagine(discord_api, n=2)
    assert all(attachment["filename"].startswith("SPOILER_") for attachment in always.payload["attachments"])
    assert f"ib:reframe:{(await usage_rows(bot, 4))[-1].id}" in button_ids(always)
    shown = await settings(discord_api, "show", {})
    field = next(field for field in shown.payload["embeds"][0]["fields"] if field["name"] == "Spoilers")
    assert field["value"] == "every result"
