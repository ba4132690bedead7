"""Today's image models through the real bot (issue #30): the models shut down on 2026-12-01 refused
on OpenAI's base URL before any call, 2.5 and 2.6's new settings sent exactly as chosen or refused
with what works, and a draft on Flare enhanced on Sunburst."""

from __future__ import annotations

from tests.helpers import decode, photo, todays_config, usage_rows


async def test_a_model_shut_down_on_openai_is_refused_naming_its_replacement_and_never_offered(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(todays_config(make_config, base_url="https://api.openai.com/v1"))
    offered = await discord_api.autocomplete("imagine", {"prompt": "a fox", "model": "gpt"}, "model")
    assert [choice["value"] for choice in offered] == ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst", "gpt-image-2"]
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", "model": "gpt-image-1-mini"})
    reply = await discord_api.wait_for_reply(state)
    assert (
        reply.payload["content"]
        == "OpenAI retired `gpt-image-1-mini` on 2026-12-01. Use `gpt-image-2.6-flare` instead."
    )
    assert reply.payload["flags"] & 64  # privately
    [row] = await usage_rows(bot)
    assert (row.status, row.model) == ("invalid", "gpt-image-1-mini")
    assert images_api.requests == []  # no provider call, no screening


async def test_flare_sends_exactly_the_quality_and_complexity_chosen(make_config, start_bot, discord_api, images_api):
    await start_bot(todays_config(make_config))
    qualities = await discord_api.autocomplete(
        "imagine", {"prompt": "a fox", "model": "gpt-image-2.6-flare", "quality": ""}, "quality"
    )
    assert [choice["value"] for choice in qualities] == ["auto", "low", "medium", "high", "xhigh", "max"]
    complexities = await discord_api.autocomplete("imagine", {"prompt": "a fox", "complexity": ""}, "complexity")
    assert [choice["value"] for choice in complexities] == ["low", "medium", "high"]
    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "a fox in snow", "n": 2, "quality": "xhigh", "complexity": "low"}
    )
    assert len((await discord_api.wait_for_reply(state)).attachment_bytes()) == 2
    [request] = images_api.requests
    assert request.fields["model"] == "gpt-image-2.6-flare"
    assert (request.fields["quality"], request.fields["complexity"]) == ("xhigh", "low")
    assert "background" not in request.fields


async def test_a_transparent_background_comes_back_transparent(make_config, start_bot, discord_api, images_api):
    await start_bot(todays_config(make_config, output_format="jpeg"))
    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "a sticker of a fox", "background": "transparent"}
    )
    [image] = (await discord_api.wait_for_reply(state)).attachment_bytes()
    [request] = images_api.requests
    assert request.fields["background"] == "transparent" and request.fields.get("output_format") != "jpeg"
    assert decode(image).mode in ("RGBA", "LA", "PA") and decode(image).getchannel("A").getextrema()[0] < 255


async def test_a_setting_the_model_does_not_take_is_refused_before_any_call(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(todays_config(make_config))
    refusals = {
        "quality": ("max", "`gpt-image-2` offers these qualities: auto, low, medium, high."),
        "complexity": ("low", "`gpt-image-2` has no complexity setting; leave complexity empty."),
        "background": ("transparent", "`gpt-image-2` offers these backgrounds: opaque, auto."),
    }
    for option, (value, refusal) in refusals.items():
        state = await discord_api.send_slash_command(
            "imagine", {"prompt": "a fox", "model": "gpt-image-2", option: value}
        )
        assert (await discord_api.wait_for_reply(state)).payload["content"] == refusal
    edit = await discord_api.send_slash_command(
        "edit",
        {
            "image": discord_api.upload("fox.png", photo()),
            "prompt": "a hat",
            "model": "gpt-image-2",
            "quality": "xhigh",
        },
    )
    assert "offers these qualities" in (await discord_api.wait_for_reply(edit)).payload["content"]
    rows = await usage_rows(bot, 4)
    assert [row.status for row in rows] == ["invalid"] * 4 and images_api.requests == []


async def test_a_draft_on_flare_then_enhance_on_sunburst_with_the_draft_as_input(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(todays_config(make_config))
    state = await discord_api.send_slash_command(
        "imagine", {"prompt": "a lighthouse at dusk", "size": "1536x1024", "draft": True}
    )
    draft = await discord_api.wait_for_reply(state)
    [draft_image] = draft.attachment_bytes()
    [made] = images_api.requests
    assert (made.fields["model"], made.fields["quality"], made.fields["size"]) == (
        "gpt-image-2.6-flare",
        "low",
        "1536x1024",
    )
    [enhance] = [c["custom_id"] for c in draft.components if c.get("custom_id", "").startswith("ib:enhance:")]

    enhancing = await discord_api.click(draft, enhance)
    enhanced = await discord_api.wait_for_reply(enhancing)
    assert enhanced.attachment_bytes() and not any("enhance" in c.get("custom_id", "") for c in enhanced.components)
    edit = images_api.requests[1]
    assert edit.operation.endswith("/images/edits")
    assert (edit.fields["model"], edit.fields["quality"], edit.fields["input_fidelity"]) == (
        "gpt-image-2.6-sunburst",
        "high",
        "high",
    )
    assert (edit.fields["prompt"], edit.fields["size"]) == ("a lighthouse at dusk", "1536x1024")
    assert decode(edit.files["image"][0]).tobytes() == decode(draft_image).tobytes()
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[1].command, rows[1].parent_id, rows[1].model) == ("enhance", rows[0].id, "gpt-image-2.6-sunburst")


async def test_a_draft_of_several_asks_which_to_enhance_and_a_guild_may_draft_by_default(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(todays_config(make_config))
    on = await discord_api.send_slash_command(
        "settings", {"when": "on"}, subcommand="drafts", user=discord_api.moderator
    )
    assert "Saved" in (await discord_api.wait_for_reply(on)).payload["content"]
    state = await discord_api.send_slash_command("imagine", {"prompt": "three boats", "n": 3})
    draft = await discord_api.wait_for_reply(state)
    assert images_api.requests[0].fields["quality"] == "low"
    [picker] = [c["custom_id"] for c in draft.components if c.get("custom_id", "").startswith("ib:pickenhance:")]
    opened = await discord_api.click(draft, picker)
    await discord_api.wait_for(lambda: any(m.components for m in opened.followups))
    [menu] = [m for m in opened.followups if m.components]
    [select] = [c["custom_id"] for c in menu.components if c["type"] == 3]
    assert [o["value"] for c in menu.components if c["type"] == 3 for o in c["options"]] == [
        "0:enhance",
        "1:enhance",
        "2:enhance",
    ]
    await discord_api.choose(menu, select, ["2:enhance"])
    await images_api.wait_for_requests(2)
    assert images_api.requests[1].fields["model"] == "gpt-image-2.6-sunburst"
    assert decode(images_api.requests[1].files["image"][0]).tobytes() == decode(menu.attachment_bytes()[2]).tobytes()

    not_now = await discord_api.send_slash_command("imagine", {"prompt": "a boat", "draft": False})
    await discord_api.wait_for_reply(not_now)
    assert images_api.requests[-1].fields["model"] == "gpt-image-2.6-flare"
    assert "quality" not in images_api.requests[-1].fields  # the member's own request: no draft quality
    mixed = await discord_api.send_slash_command("imagine", {"prompt": "a boat", "model": "gpt-image-2"})
    assert "A draft is made with `gpt-image-2.6-flare`" in (await discord_api.wait_for_reply(mixed)).payload["content"]


async def test_a_reroll_of_a_draft_is_a_draft_and_of_anything_else_never_one(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(todays_config(make_config))
    on = await discord_api.send_slash_command(
        "settings", {"when": "on"}, subcommand="drafts", user=discord_api.moderator
    )
    await discord_api.wait_for_reply(on)
    draft = await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": "a kite"}))
    [reroll] = [c["custom_id"] for c in draft.components if c.get("custom_id", "").startswith("ib:reroll:")]
    again = await discord_api.wait_for_reply(await discord_api.click(draft, reroll))
    assert any(c.get("custom_id", "").startswith("ib:enhance:") for c in again.components)
    assert images_api.requests[-1].fields["quality"] == "low"

    chosen = await discord_api.send_slash_command("imagine", {"prompt": "a kite", "draft": False, "quality": "high"})
    plain = await discord_api.wait_for_reply(chosen)
    [reroll] = [c["custom_id"] for c in plain.components if c.get("custom_id", "").startswith("ib:reroll:")]
    again = await discord_api.wait_for_reply(await discord_api.click(plain, reroll))
    assert again.attachment_bytes() and images_api.requests[-1].fields["quality"] == "high"
    assert not any("enhance" in c.get("custom_id", "") for c in again.components)
