"""A guild's own API key: set through the private form, used for that guild's requests only,
sealed in the database, never shown back but for its last four characters; a refused key tells
the guild's moderators. (The secrets scan every test runs under looks for the keys and the
operator's secret in the logs, in everything sent to Discord and in every row.)"""

import asyncio

import pytest
from sqlalchemy import select

from bot.db.models import GuildApiKey, SettingsChange
from bot.logs import redact
from tests.helpers import guild_on_shard, imagine, set_key, settings, stop_processes, usage_rows
from tests.sandbox import secrets_env, start_bot_process, write_config
from tests.secrets_scan import leaks
from tests.standins.discord_data import ChannelOption
from tests.standins.images_rules import GUILD_API_KEY, REFUSED_GUILD_KEY, VAULT_SECRET


def with_vault(make_config):
    return make_config(
        security={
            "secret_key": VAULT_SECRET,
            "guild_base_urls": ["http://127.0.0.1:"],
            "allowed_networks": ["127.0.0.1/32"],  # the operator lets guilds reach the loopback stand-in
        }
    )


async def test_a_guilds_own_key_pays_for_its_requests_only(
    make_config, start_bot, discord_api, images_api, guild_images_api
):
    bot = await start_bot(with_vault(make_config))
    saved = await set_key(discord_api, GUILD_API_KEY, guild_images_api.base_url)
    assert saved.ephemeral and "ending 3921" in saved.text

    assert (await imagine(discord_api, "a fox in our server")).attachment_bytes()
    assert (await imagine(discord_api, "a fox elsewhere", guild_id=guild_on_shard(0, 1))).attachment_bytes()
    [ours] = guild_images_api.requests
    [theirs] = images_api.requests
    assert ours.authorization == f"Bearer {GUILD_API_KEY}" and "our server" in ours.fields["prompt"]
    assert theirs.authorization == f"Bearer {images_api.api_key}" and "elsewhere" in theirs.fields["prompt"]
    rows = await usage_rows(bot, 2, delivered=True)
    assert [(row.prompt, row.paid_by) for row in rows] == [
        ("a fox in our server", "guild …3921"),
        ("a fox elsewhere", "bot"),
    ]

    shown = await settings(discord_api, "show", {})
    field = next(field for field in shown.payload["embeds"][0]["fields"] if field["name"] == "Image service key")
    assert "ending 3921" in field["value"] and guild_images_api.base_url in field["value"]
    async with bot.sessions() as session:
        [stored] = (await session.scalars(select(GuildApiKey))).all()
        [change] = (await session.scalars(select(SettingsChange))).all()
    assert stored.last_four == "3921" and GUILD_API_KEY.encode() not in stored.sealed_key
    assert (change.setting, change.old_value, change.new_value) == ("api_key", None, "…3921")

    removed = await settings(discord_api, "api-key-remove", {})
    assert "Removed the key ending 3921" in removed.text
    assert (await imagine(discord_api, "a fox on the bot's key")).attachment_bytes()
    assert len(guild_images_api.requests) == 1 and len(images_api.requests) == 2
    rows = await usage_rows(bot, 3, delivered=True)
    assert rows[-1].paid_by == "bot"


async def test_a_refused_guild_key_tells_the_moderators_not_the_member(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(with_vault(make_config))
    alerts = discord_api.alerts_channel_id
    await settings(discord_api, "budget", {"monthly_usd": 50.0, "alert_channel": ChannelOption(alerts)})
    await set_key(discord_api, REFUSED_GUILD_KEY)  # the bot's own base URL, which refuses this key
    for prompt in ("a fox", "a hare"):
        reply = await imagine(discord_api, prompt)
        assert reply.ephemeral and "server's own image service key is not working" in reply.text
        assert "ab12" not in reply.text
    rows = await usage_rows(bot, 4)
    jobs = [row for row in rows if row.command == "imagine"]
    assert [(row.status, row.error_code, row.paid_by) for row in jobs] == [
        ("failed", "guild_key_refused", "guild …ab12")
    ] * 2
    await discord_api.wait_for(lambda: discord_api.channel_messages.get(alerts))
    [notice] = discord_api.channel_messages[alerts]  # once, not once a request
    assert "refused this server's own key (ending ab12)" in notice.text
    assert "/settings api-key" in notice.text


async def test_a_guild_key_without_a_base_url_is_used_at_the_operators_own_private_one(
    make_config, start_bot, discord_api, images_api
):
    """The operator's images.base_url is a gateway on 127.0.0.1 and lets guilds reach no private
    network: a guild's key set without a base URL is used there, as trusted as the bot's own
    key; the same private URL given as the guild's own base URL is refused."""
    bot = await start_bot(make_config(security={"secret_key": VAULT_SECRET, "guild_base_urls": ["http://127.0.0.1:"]}))
    images_api.api_key = GUILD_API_KEY  # the operator's gateway takes this guild's key too
    refused = await set_key(discord_api, GUILD_API_KEY, images_api.base_url)
    assert refused.ephemeral and "address this bot does not connect to" in refused.text
    async with bot.sessions() as session:
        assert not (await session.scalars(select(GuildApiKey))).all()

    saved = await set_key(discord_api, GUILD_API_KEY)
    assert "ending 3921" in saved.text
    reply = await imagine(discord_api, "a fox at the gateway")
    assert reply.attachment_bytes(), reply.text
    [request] = images_api.requests
    assert request.authorization == f"Bearer {GUILD_API_KEY}"
    rows = await usage_rows(bot, 2, delivered=True)
    assert [(row.status, row.paid_by) for row in rows if row.command == "imagine"] == [("ok", "guild …3921")]


async def test_without_a_secret_key_the_command_says_why(make_config, start_bot, discord_api):
    await start_bot(make_config())
    state = await discord_api.send_slash_command("settings", {}, subcommand="api-key", user=discord_api.moderator)
    reply = await discord_api.wait_for_reply(state)
    assert reply.ephemeral and "security.secret_key" in reply.text and state.modal is None


@pytest.mark.parametrize(
    ("key", "base_url", "says"),
    [
        ("sk short", "", "doesn't look like an API key"),
        ("discord.", "", "doesn't look like an API key"),  # else every "discord." would be blanked from the log
        (GUILD_API_KEY, "https://example.com/v1", "must start with http://127.0.0.1:"),
        (GUILD_API_KEY, "ftp://127.0.0.1:1/v1", "must start with http://127.0.0.1:"),
    ],
)
async def test_a_bad_key_or_base_url_is_refused_and_nothing_saved(
    make_config, start_bot, discord_api, images_api, key, base_url, says
):
    bot = await start_bot(with_vault(make_config))
    reply = await set_key(discord_api, key, base_url)
    assert reply.ephemeral and says in reply.text and "Nothing was saved" in reply.text
    async with bot.sessions() as session:
        assert not (await session.scalars(select(GuildApiKey))).all()
    if key != GUILD_API_KEY:  # (that one other tests of this process set for real)
        assert redact(f"a log line about {key}") == f"a log line about {key}"  # a refused key is not redacted


async def test_members_cannot_open_the_key_form(make_config, start_bot, discord_api):
    await start_bot(with_vault(make_config))
    state = await discord_api.send_slash_command("settings", {}, subcommand="api-key", user=discord_api.member)
    reply = await discord_api.wait_for_reply(state)
    assert "Manage Server" in reply.text and state.modal is None


async def test_the_real_process_uses_the_key_and_keeps_it_out_of_its_log_and_database(
    tmp_path, discord_api, images_api, guild_images_api
):
    security = '[security]\nguild_base_urls = ["http://127.0.0.1:"]\nallowed_networks = ["127.0.0.1/32"]\n'
    config = write_config(tmp_path, discord_api, images_api, security)
    env = {**secrets_env(discord_api, images_api), "IMAGEBOT_SECRET_KEY": VAULT_SECRET}
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        process = await start_bot_process(config, env, stdout=log, stderr=log)
        try:
            await asyncio.wait_for(discord_api.identified.wait(), 60)
            saved = await set_key(discord_api, GUILD_API_KEY, guild_images_api.base_url)
            assert "ending 3921" in saved.text
            assert (await imagine(discord_api, "a heron", guild_id=discord_api.guild_id)).attachment_bytes()
        finally:
            await stop_processes([process])
    assert [request.authorization for request in guild_images_api.requests] == [f"Bearer {GUILD_API_KEY}"]
    assert not images_api.requests
    assert not leaks(log_path.read_bytes(), "the bot's log")
    database = b"".join(path.read_bytes() for path in tmp_path.glob("imagebot.db*"))  # with any WAL left
    assert not leaks(database, "the database file") and b"3921" in database
