"""Saved references end to end: saved by /references add and the Save as reference menu, used by
/imagine reference: as the edit's input images, listed, limited, removed, forgotten by /forget-me,
and read by id by a job that a crash left queued."""

import asyncio
import signal

from PIL import Image
from sqlalchemy import select

from bot.db.models import Reference, SettingsChange
from tests.helpers import (
    decode,
    encode,
    member,
    process_config,
    saved_rows,
    stop_processes,
    usage_rows,
    wait_queued,
)
from tests.sandbox import start_bot_process

OTHER_GUILD = "777000000000000002"
RED, BLUE, GREEN = (200, 20, 20), (20, 20, 200), (20, 200, 20)


def square(colour, side: int = 256) -> bytes:
    return encode(Image.new("RGB", (side, side), colour))


async def add(discord_api, name: str, colour, *, user=None, scope: str | None = None, **where):
    """/references add as `user` (the member, unless said); the private answer."""
    options = {"name": name, "image": discord_api.upload(f"{name}.png", square(colour))}
    if scope is not None:
        options["scope"] = scope
    state = await discord_api.send_slash_command("references", options, subcommand="add", user=user, **where)
    return await discord_api.wait_for_reply(state)


async def offered(discord_api, user=None, **where) -> list[str]:
    """What /imagine's reference option offers `user`."""
    choices = await discord_api.autocomplete(
        "imagine", {"prompt": "a fox", "reference": ""}, "reference", user=user, **where
    )
    return [choice["value"] for choice in choices]


async def stored(bot) -> list[tuple[str, str, int]]:
    async with bot.sessions() as session:
        rows = (await session.scalars(select(Reference).order_by(Reference.id))).all()
    return [(row.scope, row.name, row.created_by) for row in rows]


def colours(request) -> list[tuple[int, int, int]]:
    return [decode(image).convert("RGB").getpixel((5, 5)) for image in request.files["image"]]


async def test_a_server_reference_added_by_a_moderator_reaches_the_provider_for_another_member(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    saved = await add(discord_api, "Mascot", RED, user=discord_api.moderator, scope="server")
    assert saved.ephemeral
    assert saved.text == "Saved **mascot** for this server. Members can use it in /imagine reference:."
    mine = await add(discord_api, "hat", BLUE)
    assert mine.ephemeral and mine.text == "Saved **hat** for you. Use it in /imagine reference:."
    assert images_api.requests == []  # saving calls no provider

    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "on a beach", "reference": "mascot", "reference_2": "HAT", "size": "1024x1024"}
    )
    reply = await discord_api.wait_for_reply(state)
    assert len(reply.attachment_bytes()) == 1
    [request] = images_api.requests
    assert request.operation == "/v1/images/edits" and request.fields["prompt"] == "on a beach"
    assert colours(request) == [RED, BLUE] and "mask" not in request.files
    assert (request.fields["model"], request.fields["size"]) == ("gpt-image-2", "1024x1024")
    [row] = await usage_rows(bot, delivered=True)  # saving a reference is no image request
    assert (row.command, row.status, row.image_count, row.prompt) == ("imagine", "ok", 1, "on a beach")
    assert not any(button.get("custom_id", "").startswith("ib:reroll:") for button in reply.components)


async def test_a_saved_reference_is_fitted_under_the_smallest_input_limit_of_the_models_it_is_for(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(images={"models": {"gpt-image-1-mini": {"max_input_mb": 1}}}))
    noisy = Image.effect_noise((1600, 1600), 100).convert("RGB")
    options = {"name": "noise", "image": discord_api.upload("noise.png", encode(noisy))}
    await discord_api.wait_for_reply(
        await discord_api.send_slash_command("references", options, subcommand="add", place="dm")
    )
    async with bot.sessions() as session:
        [reference] = (await session.scalars(select(Reference))).all()
    # dall-e-2's limit is smaller still, but it takes one input: gpt-image-1-mini's limit is the one
    assert reference.data.startswith(b"\x89PNG") and len(reference.data) < 1024 * 1024
    assert decode(reference.data).size == (reference.width, reference.height) and reference.width < 1600


async def test_a_personal_reference_is_gone_after_forget_me_and_the_servers_stays(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    moderator = discord_api.moderator
    await add(discord_api, "house", GREEN, user=moderator, scope="server")
    await add(discord_api, "my cat", RED, user=moderator)
    assert await offered(discord_api, user=moderator) == ["my cat", "house"]

    forgot = await discord_api.wait_for_reply(await discord_api.send_slash_command("forget-me", user=moderator))
    assert "Your saved references are gone too: 1." in forgot.text
    assert await offered(discord_api, user=moderator) == ["house"]
    assert await offered(discord_api) == ["house"]
    assert await stored(bot) == [("server", "house", 0)]  # the server's keeps no name of theirs

    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", "reference": "my cat"}, user=moderator)
    refused = await discord_api.wait_for_reply(state)
    assert refused.ephemeral and refused.text == "There is no reference called **my cat**. See /references list."
    assert images_api.requests == []


async def test_limits_names_and_scope_are_refused_privately(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(references={"max_per_guild": 1, "max_per_member": 1}))
    moderator = discord_api.moderator
    refused = await add(discord_api, "logo", RED, scope="server")  # a member without Manage Server
    assert refused.ephemeral and "Manage Server" in refused.text
    await add(discord_api, "logo", RED, user=moderator, scope="server")
    full = await add(discord_api, "badge", RED, user=moderator, scope="server")
    assert full.ephemeral and full.text == "This server keeps 1 references already; remove one first."
    taken = await add(discord_api, "LOGO", BLUE, user=moderator, scope="server")
    assert taken.text == "This server has a reference called **logo** already; pick another name."

    await add(discord_api, "me", BLUE)
    taken = await add(discord_api, "me", BLUE)
    assert taken.ephemeral and taken.text == "You have a reference called **me** already; pick another name."
    full = await add(discord_api, "other", BLUE)
    assert full.ephemeral and full.text == "You keep 1 references already; remove one first."

    listed = await discord_api.wait_for_reply(await discord_api.send_slash_command("references", {}, subcommand="list"))
    assert listed.ephemeral and listed.text == "Yours (1 of 1): **me**\nThis server's (1 of 1): **logo**"

    state = await discord_api.send_slash_command("references", {"name": "logo", "scope": "server"}, subcommand="remove")
    assert "Manage Server" in (await discord_api.wait_for_reply(state)).text
    state = await discord_api.send_slash_command("references", {"name": "nothing"}, subcommand="remove")
    unknown = await discord_api.wait_for_reply(state)
    assert unknown.ephemeral and unknown.text == "There is no reference called **nothing**. See /references list."
    state = await discord_api.send_slash_command("references", {"name": "me"}, subcommand="remove")
    assert (await discord_api.wait_for_reply(state)).text == "Removed the reference **me**."
    assert await stored(bot) == [("server", "logo", int(moderator["id"]))]
    async with bot.sessions() as session:
        changes = (await session.scalars(select(SettingsChange))).all()
    assert [(c.setting, c.old_value, c.new_value, c.user_id) for c in changes] == [
        ("reference", None, "logo", int(moderator["id"]))
    ]
    rows = await usage_rows(bot, 7)  # each refusal's; saving and removing are no image requests
    assert [(row.command, row.status) for row in rows] == [
        *[("references add", "invalid")] * 5,
        *[("references remove", "invalid")] * 2,
    ]
    assert images_api.requests == []


async def test_a_model_without_several_inputs_is_refused_before_any_call(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    await add(discord_api, "hat", BLUE)
    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "a fox", "reference": "hat", "model": "dall-e-3"}
    )
    refused = await discord_api.wait_for_reply(state)
    assert refused.ephemeral and refused.text == (
        "`dall-e-3` can't make a picture from references. Pick one of: gpt-image-2, gpt-image-1-mini."
    )
    assert images_api.requests == []
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.model, row.prompt) == ("imagine", "invalid", "dall-e-3", "a fox")


async def test_autocomplete_offers_the_members_own_and_the_servers_only(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(make_config())
    moderator, other = discord_api.moderator, member("someone else")
    await add(discord_api, "mine", RED)
    await add(discord_api, "theirs", BLUE, user=other)
    await add(discord_api, "ours", GREEN, user=moderator, scope="server")
    await add(discord_api, "elsewhere", GREEN, user=moderator, scope="server", guild_id=OTHER_GUILD)
    assert await offered(discord_api) == ["mine", "ours"]
    assert await offered(discord_api, user=other) == ["theirs", "ours"]
    assert await offered(discord_api, guild_id=OTHER_GUILD) == ["mine", "elsewhere"]
    assert await offered(discord_api, place="dm") == ["mine"]

    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", "reference": "theirs"})
    refused = await discord_api.wait_for_reply(state)  # another member's is not to be had by typing its name
    assert refused.text == "There is no reference called **theirs**. See /references list."


async def test_save_as_reference_menu_asks_the_name_and_a_moderator_may_keep_it_for_the_server(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    posted = discord_api.post_message([discord_api.upload("cat.png", square(RED))])
    state = await discord_api.send_message_command("Save as reference", posted)
    await discord_api.wait_for(lambda: state.modal is not None)
    assert len(state.modal["components"]) == 1  # a member is not offered the server's scope
    saved = await discord_api.wait_for_reply(await discord_api.submit_modal(state, ["Cat"]))
    assert saved.ephemeral and saved.text == "Saved **cat** for you. Use it in /imagine reference:."

    state = await discord_api.send_message_command("Save as reference", posted, user=discord_api.moderator)
    await discord_api.wait_for(lambda: state.modal is not None)
    submitted = await discord_api.submit_modal(state, ["office cat"], checked={"scope": ["server"]})
    saved = await discord_api.wait_for_reply(submitted)
    assert saved.text == "Saved **office cat** for this server. Members can use it in /imagine reference:."
    assert await stored(bot) == [
        ("member", "cat", int(discord_api.member["id"])),
        ("server", "office cat", int(discord_api.moderator["id"])),
    ]


async def test_a_job_a_crash_left_queued_reads_its_reference_after_the_restart(tmp_path, discord_api, images_api):
    config, env = process_config(tmp_path, discord_api, images_api, "max_running = 1")
    process = await start_bot_process(config, env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 30)
        second = member("r2")
        await add(discord_api, "hat", BLUE, user=second)
        images_api.delay = 2.0
        first = await discord_api.send_slash_command("imagine", {"prompt": "first"}, user=member("r1"))
        await wait_queued(discord_api, first, "Working on it")
        queued = await discord_api.send_slash_command(
            "imagine", {"prompt": "in a hat", "reference": "hat"}, user=second
        )
        await wait_queued(discord_api, queued)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await discord_api.wait_for(lambda: not discord_api.identified.is_set())

        images_api.delay = 0.0
        process = await start_bot_process(
            config, env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        reply = await discord_api.wait_for_reply(queued, 40)
    finally:
        await stop_processes([process])
    assert reply.attachment_bytes()
    [edit] = [request for request in images_api.requests if request.operation == "/v1/images/edits"]
    assert edit.fields["prompt"] == "in a hat" and colours(edit) == [BLUE]
    rows, jobs = await saved_rows(tmp_path)
    assert [(row.prompt, row.status) for row in rows if row.prompt == "in a hat"] == [("in a hat", "ok")]
    assert [job.params["image"] for job in jobs if job.kind == "edit"] == [{"reference_id": 1}]
