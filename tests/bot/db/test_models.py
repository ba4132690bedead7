"""The usage row's own links, built in one place for every book and notice."""

from bot.db.models import UsageRecord


def test_a_row_links_to_its_result_message_or_else_to_its_channel():
    row = UsageRecord(guild_id=1, channel_id=2, user_id=3, command="imagine", status="ok")
    assert row.jump_link() == row.channel_link() == "https://discord.com/channels/1/2"
    row.message_id = 4
    assert row.jump_link() == "https://discord.com/channels/1/2/4"
    assert row.channel_link() == "https://discord.com/channels/1/2"


def test_a_personal_rows_links_are_under_at_me():
    row = UsageRecord(guild_id=None, channel_id=2, user_id=3, command="imagine", status="ok", message_id=4)
    assert row.jump_link() == "https://discord.com/channels/@me/2/4"
