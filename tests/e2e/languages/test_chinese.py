"""Languages through the real bot: a Chinese member gets Chinese replies and buttons, a guild pinned
to Chinese serves members whose language we lack, and synced commands carry Chinese names."""

from tests.helpers import usage_rows


async def test_a_chinese_member_gets_chinese_replies_and_buttons(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command("imagine", {"prompt": "灯塔"}, locale="zh-CN")
    reply = await discord_api.wait_for_reply(state)
    assert reply.text.startswith("**提示词：**灯塔") and "1 张图片" in reply.text
    labels = [component.get("label") for component in reply.components if component["type"] == 2]
    expected = ["变体", "编辑", "重新生成", "改写重绘", "删除", "放大", "缩小 1.5×", "缩小 2×"]
    assert labels == [*expected, None, None, None, None]  # pans are arrows

    refused = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": "x", "size": "999x999"}, locale="zh-CN")
    )
    assert refused.text == "宽和高都必须是 16 的倍数。"
    images_api.fail_next("refuse")
    failed = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": "x"}, locale="zh-CN")
    )
    assert "安全系统拒绝了此请求" in failed.text
    # The refusal's row is saved after its answer, so the rows may land in either order.
    assert sorted(row.status for row in await usage_rows(bot, 3)) == ["invalid", "ok", "refused"]


async def test_a_pinned_guild_language_serves_members_we_have_no_language_for(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(make_config())
    french = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": "x", "size": "999x999"}, locale="fr")
    )
    assert french.text.startswith("Width and height")
    await discord_api.wait_for_reply(
        await discord_api.send_slash_command(
            "settings", {"language": "zh-CN"}, subcommand="language", user=discord_api.moderator
        )
    )
    pinned = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": "x", "size": "999x999"}, locale="fr")
    )
    assert pinned.text == "宽和高都必须是 16 的倍数。"
    summary = await discord_api.wait_for_reply(
        await discord_api.send_slash_command(
            "usage", {}, subcommand="summary", user=discord_api.moderator, locale="zh-CN"
        )
    )
    assert [f["name"] for f in summary.payload["embeds"][0]["fields"]][:3] == ["请求", "图片", "估算费用"]


async def test_synced_commands_carry_chinese_names_and_descriptions(make_config, start_bot, discord_api):
    from bot.__main__ import _sync

    await _sync(make_config(), None)
    commands = {command["name"]: command for command in discord_api.commands[None]}
    imagine = commands["imagine"]
    assert imagine["name_localizations"] == {"zh-CN": "生成"}
    assert imagine["description_localizations"] == {"zh-CN": "根据文字提示词生成图片"}
    prompt = next(option for option in imagine["options"] if option["name"] == "prompt")
    assert prompt["name_localizations"] == {"zh-CN": "提示词"}
    assert commands["Vary image"]["name_localizations"] == {"zh-CN": "图片变体"}
    period = next(option for option in commands["usage"]["options"][0]["options"] if option["name"] == "period")
    assert {"name": "today", "value": "today", "name_localizations": {"zh-CN": "今天"}} in period["choices"]
