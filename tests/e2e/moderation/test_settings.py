"""/settings, /quota and /forget-me end to end; limits and budgets as members meet them."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import SettingsChange, UsageRecord
from tests.helpers import settings, usage_rows
from tests.standins.discord_data import ChannelOption, RoleOption, UserOption


async def imagine(discord_api, **options):
    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "a fox", **options}, user=options.pop("user", None) if "user" in options else None
    )
    return await discord_api.wait_for_reply(state)


async def quota(discord_api):
    return await discord_api.wait_for_reply(await discord_api.send_slash_command("quota"))


async def test_a_daily_limit_stops_the_request_that_would_cross_it(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    saved = await settings(discord_api, "limits", {"images_per_day": 3})
    assert "Saved." in saved.text
    assert (await imagine(discord_api, n=2)).attachment_bytes()
    refused = await imagine(discord_api, n=2)
    assert refused.ephemeral and "over your 3 images a day" in refused.text
    assert "resets <t:" in refused.text
    assert len(images_api.requests) == 1
    assert (await imagine(discord_api, n=1)).attachment_bytes()
    rows = await usage_rows(bot, 3)
    assert [(row.status, row.error_code) for row in rows] == [("ok", None), ("limited", "daily_limit"), ("ok", None)]
    assert "Images today: **3** of 3 (0 left)" in (await quota(discord_api)).text


async def test_a_budget_stops_the_request_that_would_cross_it_and_alerts(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    alerts = discord_api.alerts_channel_id
    await settings(discord_api, "budget", {"monthly_usd": 0.05, "alert_channel": ChannelOption(alerts)})
    for _ in range(2):
        assert (await imagine(discord_api, model="dall-e-2")).attachment_bytes()
    await discord_api.wait_for(lambda: discord_api.channel_messages.get(alerts))
    [alert] = discord_api.channel_messages[alerts]
    assert "80% of its $0.05 monthly image budget" in alert.text
    refused = await imagine(discord_api, model="dall-e-2")
    assert "monthly image budget ($0.05) is used up" in refused.text
    assert "resets <t:" in refused.text
    rows = await usage_rows(bot, 3)
    assert [round(row.cost_usd or 0, 3) for row in rows] == [0.02, 0.02, 0.0]
    assert rows[-1].error_code == "budget" and len(images_api.requests) == 2
    assert "Server budget this month: 80% used; resets <t:" in (await quota(discord_api)).text


async def test_simultaneous_requests_cannot_both_take_the_last_slot(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await settings(discord_api, "limits", {"images_per_day": 1})
    states = await asyncio.gather(
        *(discord_api.send_slash_command("imagine", {"prompt": f"race {index}"}) for index in range(4))
    )
    replies = [await discord_api.wait_for_reply(state) for state in states]
    assert sum(1 for reply in replies if reply.attachment_bytes()) == 1
    assert sum(1 for reply in replies if "a day" in reply.text) == 3
    rows = await usage_rows(bot, 4)
    assert sorted(row.status for row in rows) == ["limited", "limited", "limited", "ok"]


async def test_a_failed_request_gives_its_reservation_back(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config(images={"max_retries": 0}))
    await settings(discord_api, "limits", {"images_per_day": 1})
    images_api.fail_next("server_error")
    assert "having trouble" in (await imagine(discord_api)).text
    assert (await imagine(discord_api)).attachment_bytes()


async def test_cooldown_and_exempt_roles(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    await settings(discord_api, "limits", {"cooldown_seconds": 3600})
    assert (await imagine(discord_api)).attachment_bytes()
    waiting = await imagine(discord_api)
    assert "Slow down: you can ask again <t:" in waiting.text
    assert "Next request: <t:" in (await quota(discord_api)).text
    await settings(discord_api, "exempt", {"action": "add", "role": RoleOption(discord_api.artist_role_id)})
    discord_api.member_roles[discord_api.member["id"]] = [discord_api.artist_role_id]
    assert (await imagine(discord_api)).attachment_bytes()
    exempt = (await quota(discord_api)).text
    assert "Images today: **2** (your role is exempt from limits)." in exempt and "Next request" not in exempt


async def test_blocks_channels_models_and_sizes(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    await settings(discord_api, "models", {"allowed": "gpt-image-1-mini"})
    assert "is not allowed here" in (await imagine(discord_api)).text
    await settings(discord_api, "models", {"allowed": "all"})
    await settings(discord_api, "sizes", {"allowed": "1024x1024"})
    assert "Size 1536x1024 is not allowed here" in (await imagine(discord_api, size="1536x1024")).text
    await settings(discord_api, "channels", {"action": "add", "channel": ChannelOption(discord_api.art_channel_id)})
    assert f"works in <#{discord_api.art_channel_id}>" in (await imagine(discord_api)).text
    art = await discord_api.send_slash_command("imagine", {"prompt": "a fox"}, channel_id=discord_api.art_channel_id)
    assert (await discord_api.wait_for_reply(art)).attachment_bytes()
    await settings(discord_api, "channels", {"action": "clear"})
    await settings(discord_api, "block", {"action": "add", "member": UserOption(discord_api.member)})
    assert "blocked you" in (await imagine(discord_api)).text
    assert len(images_api.requests) == 1
    bad = await settings(discord_api, "models", {"allowed": "gpt-image-9"})
    assert "Not offered by this bot: gpt-image-9" in bad.text


async def test_changes_are_logged_and_shown(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await settings(discord_api, "limits", {"images_per_day": 5})
    await settings(discord_api, "limits", {"images_per_day": 0})
    async with bot.sessions() as session:
        changes = list((await session.scalars(select(SettingsChange).order_by(SettingsChange.id))).all())
    assert [(c.setting, c.old_value, c.new_value, c.user_id) for c in changes] == [
        ("images_per_day", None, 5, int(discord_api.moderator["id"])),
        ("images_per_day", 5, None, int(discord_api.moderator["id"])),
    ]
    shown = await settings(discord_api, "show", {})
    history = {f["name"]: f["value"] for f in shown.payload["embeds"][0]["fields"]}["Latest changes"]
    assert "`images_per_day`: 5 → None" in history
    refused = await settings(discord_api, "limits", {"images_per_day": 1}, user=discord_api.member)
    assert "Manage Server" in refused.text


async def test_forget_me_and_retention(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await imagine(discord_api)
    async with bot.sessions() as session:
        session.add(
            UsageRecord(
                guild_id=int(discord_api.guild_id),
                user_id=5,
                command="imagine",
                status="ok",
                n=1,
                image_count=1,
                prompt="old prompt",
                created_at=datetime.now(UTC) - timedelta(days=10),
            )
        )
        await session.commit()
    await settings(discord_api, "retention", {"days": 7})
    await bot.parts.retention.prune()
    rows = await usage_rows(bot, 2)
    assert [row.prompt for row in rows] == ["a fox", None]

    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("forget-me"))
    assert "gone from 1 request" in reply.text
    rows = await usage_rows(bot, 2)
    assert rows[0].prompt is None and rows[0].user_id == 0 and rows[0].status == "ok"


async def test_the_whole_bot_on_postgresql(postgres_url, make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(database={"url": postgres_url}))
    await settings(discord_api, "limits", {"images_per_day": 1})
    states = await asyncio.gather(
        *(discord_api.send_slash_command("imagine", {"prompt": f"pg {index}"}) for index in range(3))
    )
    replies = [await discord_api.wait_for_reply(state) for state in states]
    assert sum(1 for reply in replies if reply.attachment_bytes()) == 1
    summary = await discord_api.wait_for_reply(
        await discord_api.send_slash_command(
            "usage", {"period": "today"}, subcommand="summary", user=discord_api.moderator
        )
    )
    fields = {f["name"]: f["value"] for f in summary.payload["embeds"][0]["fields"]}
    assert fields["Requests"] == "3" and fields["Limited or blocked"] == "2"
    export = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("usage", {}, subcommand="export", user=discord_api.moderator)
    )
    assert export.attachment_bytes()[0].decode().count("\n") == 4
    await bot.close()
