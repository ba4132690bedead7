"""/usage end to end, as moderators and as members without Manage Server."""

import csv
import io
from datetime import UTC, datetime, timedelta

from bot.charts import HEIGHT, WIDTH
from bot.db.models import UsageRecord
from tests.helpers import decode, usage, usage_rows
from tests.standins.discord_data import UserOption


async def seed(bot, discord_api, count=3):
    for index in range(count):
        await discord_api.wait_for_reply(
            await discord_api.send_slash_command("imagine", {"prompt": f"fox number {index} @everyone"})
        )
    return await usage_rows(bot, count, delivered=True)


async def test_members_without_manage_server_are_refused_even_if_the_command_reaches_the_bot(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    for subcommand in ("summary", "recent", "export"):
        _, reply = await usage(discord_api, subcommand, user=discord_api.member)
        assert reply.ephemeral and "Manage Server" in reply.text
        assert not reply.payload["attachments"] and not reply.payload["embeds"]
    rows = await usage_rows(bot, 3)
    assert [(row.command, row.status) for row in rows] == [
        ("usage summary", "invalid"),
        ("usage recent", "invalid"),
        ("usage export", "invalid"),
    ]


async def test_summary_has_totals_and_a_dark_chart(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await seed(bot, discord_api, 2)
    images_api.fail_next("refuse")
    await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": "nope"}))
    async with bot.sessions() as session:
        session.add(UsageRecord(guild_id=999, user_id=1, command="imagine", status="ok", n=1, image_count=5))
        await session.commit()
    _, reply = await usage(discord_api, "summary", {"period": "7d"})
    [embed] = reply.payload["embeds"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Requests"] == "3" and fields["Images"] == "2" and fields["Refused"] == "1"
    assert fields["Estimated cost"].startswith("$0.0") and fields["Estimated cost"] != "$0.00"
    assert f"<@{discord_api.member['id']}> · 3 requests · 2 images" in fields["Top members"]
    chart = decode(reply.attachment_bytes()[0])
    assert chart.format == "PNG" and chart.size == (WIDTH, HEIGHT)
    assert chart.getpixel((5, 5)) == (43, 45, 49)


async def test_user_shows_one_members_recent_prompts(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await seed(bot, discord_api, 2)
    _, reply = await usage(discord_api, "user", {"member": UserOption(discord_api.member)})
    fields = {field["name"]: field["value"] for field in reply.payload["embeds"][0]["fields"]}
    assert "fox number 1" in fields["Recent prompts"] and fields["Requests"] == "2"
    assert reply.pings == set()


async def test_recent_pages_with_buttons(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    rows = await seed(bot, discord_api, 12)
    _, reply = await usage(discord_api, "recent")
    first_page = reply.payload["embeds"][0]["description"].splitlines()
    assert len(first_page) == 10 and "fox number 11" in first_page[0]
    assert (
        f"https://discord.com/channels/{discord_api.guild_id}/{discord_api.channel_id}/{rows[11].message_id}"
        in first_page[0]
    )
    assert reply.payload["embeds"][0]["footer"]["text"] == "1–10 of 12"
    older = next(
        c["custom_id"] for row in reply.payload["components"] for c in row["components"] if c["label"] == "Older"
    )
    click = await discord_api.click(reply, older, user=discord_api.moderator)
    await discord_api.wait_for(lambda: click.callback_type == 7)
    page_two = click.original.payload["embeds"][0]
    assert page_two["footer"]["text"] == "11–12 of 12" and "fox number 0" in page_two["description"]


async def test_export_is_a_csv_that_parses_back_into_the_rows(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    rows = await seed(bot, discord_api, 3)
    _, reply = await usage(discord_api, "export")
    [data] = reply.attachment_bytes()
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [int(row["id"]) for row in parsed] == [row.id for row in rows]
    for record, line in zip(rows, parsed, strict=True):
        assert line["prompt"] == record.prompt and line["status"] == record.status
        assert int(line["user_id"]) == record.user_id and float(line["cost_usd"]) == record.cost_usd
        assert datetime.fromisoformat(line["created_at"]) == record.created_at.replace(tzinfo=UTC)


async def test_periods_leave_out_older_rows(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    async with bot.sessions() as session:
        session.add(
            UsageRecord(
                guild_id=int(discord_api.guild_id),
                user_id=1,
                command="imagine",
                status="ok",
                n=1,
                image_count=1,
                created_at=datetime.now(UTC) - timedelta(days=40),
            )
        )
        await session.commit()
    await seed(bot, discord_api, 1)
    _, reply = await usage(discord_api, "summary", {"period": "30d"})
    assert {f["name"]: f["value"] for f in reply.payload["embeds"][0]["fields"]}["Requests"] == "1"
    _, reply = await usage(discord_api, "summary", {"period": "all"})
    assert {f["name"]: f["value"] for f in reply.payload["embeds"][0]["fields"]}["Requests"] == "2"


async def test_recent_pages_turn_after_a_restart_and_keep_their_filters(
    make_config, start_bot, discord_api, images_api
):
    config = make_config()
    bot = await start_bot(config)
    await seed(bot, discord_api, 12)
    state = await discord_api.send_slash_command(
        "usage", {"status": "ok"}, subcommand="recent", user=discord_api.moderator
    )
    reply = await discord_api.wait_for_reply(state)
    older = next(
        c["custom_id"] for row in reply.payload["components"] for c in row["components"] if c["label"] == "Older"
    )
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())
    await start_bot(config)
    click = await discord_api.click(reply, older, user=discord_api.moderator)
    await discord_api.wait_for(lambda: click.callback_type == 7)
    page_two = click.original.payload["embeds"][0]
    assert page_two["footer"]["text"] == "11–12 of 12" and "fox number 0" in page_two["description"]
    assert older.endswith(".ok.")  # the status filter rides in the button
