"""Results end to end: one Components V2 message (text, gallery, buttons); Vary, Edit, Reroll,
Delete, and the same after a restart (Remix and Upscale: tests/e2e/editing/test_remix_form.py, test_upscale.py)."""

from tests.helpers import button_ids, decode, imagine, usage_rows


async def test_results_carry_vary_edit_reroll_and_delete(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    single = await imagine(discord_api)
    [row] = await usage_rows(bot)
    assert button_ids(single) == [
        f"ib:vary:{row.id}:0",
        f"ib:edit:{row.id}:0",
        f"ib:reroll:{row.id}",
        f"ib:remix:{row.id}",
        f"ib:delete:{row.id}",
        *(f"ib:{action}:{row.id}:0" for action in ("upscale", "z15", "z2", "pl", "pr", "pu", "pd")),
    ]
    several = await imagine(discord_api, n=7)
    top = several.payload["components"]
    assert several.payload["flags"] & 1 << 15 and not several.payload["content"]  # one Components V2 message
    assert [component["type"] for component in top[:2]] == [10, 12]  # its text, then its gallery
    gallery = [item["media"]["attachment_id"] for item in top[1]["items"]]
    assert gallery == [attachment["id"] for attachment in several.payload["attachments"]] and len(gallery) == 7
    assert [len(row["components"]) for row in top[2:]] == [5, 2, 5, 2, 5]


async def test_vary_button_varies_that_image(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, n=2)
    [row] = await usage_rows(bot)
    click = await discord_api.click(result, f"ib:vary:{row.id}:1")
    reply = await discord_api.wait_for_reply(click)
    assert reply is not result and reply.attachment_bytes()
    sent = decode(images_api.requests[-1].files["image"][0])
    first, second = (decode(data) for data in result.attachment_bytes())
    assert sent.getpixel((0, 0)) == second.getpixel((0, 0)) != first.getpixel((0, 0))
    rows = await usage_rows(bot, 2)
    assert [(r.command, r.status) for r in rows] == [("imagine", "ok"), ("vary", "ok")]


async def test_edit_button_opens_a_modal_and_edits(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    result = await imagine(discord_api)
    [row] = await usage_rows(bot)
    click = await discord_api.click(result, f"ib:edit:{row.id}:0")
    await discord_api.wait_for(lambda: click.modal)
    submitted = await discord_api.submit_modal(click, ["add a top hat"])
    reply = await discord_api.wait_for_reply(submitted)
    assert "add a top hat" in reply.text
    assert images_api.requests[-1].operation == "/v1/images/edits"


async def test_reroll_repeats_the_request(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, size="1024x1536", quality="low")
    [row] = await usage_rows(bot)
    click = await discord_api.click(result, f"ib:reroll:{row.id}", user=discord_api.moderator)
    await discord_api.wait_for_reply(click)
    first, second = images_api.requests
    assert {k: v for k, v in first.fields.items() if k != "user"} == {
        k: v for k, v in second.fields.items() if k != "user"
    }
    rows = await usage_rows(bot, 2)
    assert rows[1].command == "reroll" and rows[1].user_id == int(discord_api.moderator["id"])


async def test_delete_is_for_the_requester_and_moderators(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    other = {**discord_api.member, "id": "4242", "username": "other"}
    result = await imagine(discord_api)
    [row] = await usage_rows(bot, delivered=True)

    refused = await discord_api.click(result, f"ib:delete:{row.id}", user=other)
    reply = await discord_api.wait_for_reply(refused)
    assert reply.ephemeral and "Only the member who asked" in reply.text

    allowed = await discord_api.click(result, f"ib:delete:{row.id}", user=discord_api.moderator)
    await discord_api.wait_for(lambda: allowed.original_deleted)

    own = await imagine(discord_api)
    rows = await usage_rows(bot, 3, delivered=True)
    assert [(r.command, r.status) for r in rows] == [("imagine", "ok"), ("delete", "invalid"), ("imagine", "ok")]
    mine = await discord_api.click(own, f"ib:delete:{rows[2].id}")
    await discord_api.wait_for(lambda: mine.original_deleted)


async def test_buttons_work_after_a_restart(make_config, start_bot, discord_api, images_api):
    config = make_config()
    bot = await start_bot(config)
    result = await imagine(discord_api)
    [row] = await usage_rows(bot)
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())

    restarted = await start_bot(config)
    click = await discord_api.click(result, f"ib:reroll:{row.id}")
    assert (await discord_api.wait_for_reply(click)).attachment_bytes()
    vary = await discord_api.click(result, f"ib:vary:{row.id}:0")
    assert (await discord_api.wait_for_reply(vary)).attachment_bytes()
    rows = await usage_rows(restarted, 3)
    assert [r.command for r in rows] == ["imagine", "reroll", "vary"]
