"""Remix through the real bot: a result of /imagine (or a reroll) offers it; its form holds the
prompt, and submitting a changed one makes the first request again with it, on a row that
continues the first; after a restart too; and only where the member may act on the result."""

from tests.helpers import button_ids, imagine, settings, usage_rows

OTHER_GUILD = "777000000000000001"


def without_user(fields: dict) -> dict:
    return {key: value for key, value in fields.items() if key not in ("user", "prompt")}


async def remix(discord_api, result, custom_id: str, prompt: str, **who):
    click = await discord_api.click(result, custom_id, **who)
    await discord_api.wait_for(lambda: click.modal)
    return click, await discord_api.submit_modal(click, [prompt])


async def test_remix_sends_the_new_prompt_with_the_first_requests_options(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api, size="1536x1024", quality="low", n=2)
    [row] = await usage_rows(bot)
    assert f"ib:remix:{row.id}" in button_ids(result)
    click, submitted = await remix(discord_api, result, f"ib:remix:{row.id}", "a blue fox in the snow")
    [label] = click.modal["components"]
    assert label["component"]["value"] == "a red fox"  # the prompt, filled in
    reply = await discord_api.wait_for_reply(submitted)
    assert len(reply.attachment_bytes()) == 2 and "a blue fox in the snow" in reply.text
    first, second = images_api.requests
    assert second.operation == "/v1/images/generations" and second.fields["prompt"] == "a blue fox in the snow"
    assert without_user(second.fields) == without_user(first.fields)
    assert (second.fields["model"], second.fields["size"], second.fields["quality"], second.fields["n"]) == (
        "gpt-image-2",
        "1536x1024",
        "low",
        2,
    )
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[1].command, rows[1].parent_id, rows[1].prompt, rows[1].status) == (
        "remix",
        row.id,
        "a blue fox in the snow",
        "ok",
    )
    assert f"ib:remix:{rows[1].id}" in button_ids(reply)  # a remix's result is a generation: remix it again


async def test_a_remix_goes_through_the_word_filters(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    await settings(discord_api, "filter-add", {"pattern": "wolf"})
    result = await imagine(discord_api)
    [row] = await usage_rows(bot)
    _click, submitted = await remix(discord_api, result, f"ib:remix:{row.id}", "a grey wolf")
    refused = await discord_api.wait_for_reply(submitted)
    assert refused.ephemeral and "word filter does not allow that prompt" in refused.text
    assert len(images_api.requests) == 1
    rows = await usage_rows(bot, 2)
    assert (rows[-1].command, rows[-1].parent_id, rows[-1].status) == ("remix", row.id, "filtered")


async def test_remix_works_after_a_restart_and_only_where_the_result_is(
    make_config, start_bot, discord_api, images_api
):
    config = make_config()
    bot = await start_bot(config)
    result = await imagine(discord_api)
    [row] = await usage_rows(bot)
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())
    restarted = await start_bot(config)

    _click, submitted = await remix(discord_api, result, f"ib:remix:{row.id}", "a red fox, at night")
    assert (await discord_api.wait_for_reply(submitted)).attachment_bytes()
    assert images_api.requests[-1].fields["prompt"] == "a red fox, at night"

    elsewhere = await discord_api.click(result, f"ib:remix:{row.id}", guild_id=OTHER_GUILD)
    refused = await discord_api.wait_for_reply(elsewhere)
    assert refused.ephemeral and "can't be remixed" in refused.text and elsewhere.modal is None
    rows = await usage_rows(restarted, 3)
    assert [(r.command, r.parent_id) for r in rows] == [("imagine", None), ("remix", row.id), ("remix", None)]
