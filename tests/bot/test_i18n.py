"""Languages: complete catalogues, valid localized commands, a font for Chinese, replies in zh-CN."""

import re
import unicodedata

import pytest
from fontTools.ttLib import TTFont

from bot.charts import FONT_PATH, HEIGHT, WIDTH, render_usage_chart
from bot.i18n import LOCALES, NAME_CONTEXT, _, choose_locale, placeholders
from tests.helpers import decode, usage_rows
from tools.catalogue import all_messages, read_catalog

DISCORD_NAME = re.compile(r"^[-_'\w]{1,32}$")


@pytest.mark.parametrize("locale", list(LOCALES))
async def test_every_message_is_in_every_catalogue_with_the_same_placeholders(locale):
    catalog = read_catalog(locale)
    for context, message in await all_messages():
        entry = catalog.get(message, context=context)
        assert entry is not None and entry.string and not entry.fuzzy, f"{locale} lacks {message!r}"
        assert placeholders(entry.string) == placeholders(message), f"{locale}: placeholders differ in {message!r}"


def test_localized_command_names_are_valid_and_distinct():
    catalog = read_catalog("zh-CN")
    names = [(str(entry.id), str(entry.string)) for entry in catalog if entry.context == NAME_CONTEXT]
    for source, name in names:
        if " " in source:
            continue
        assert DISCORD_NAME.match(name) and name == name.lower(), f"{name!r} is not a valid command name"
    parameters = [name for source, name in names if source.startswith("reference_")]
    assert len(set(parameters)) == 11


def test_the_bundled_font_draws_every_letter_digit_and_punctuation_of_the_catalogues():
    cmap = TTFont(FONT_PATH).getBestCmap()
    drawable = ("L", "N", "P")
    for locale in LOCALES:
        for entry in read_catalog(locale):
            missing = {
                char
                for char in str(entry.string)
                if unicodedata.category(char).startswith(drawable) and ord(char) not in cmap
            }
            assert not missing, f"{locale}: the chart font lacks {''.join(sorted(missing))}"


def test_a_chinese_chart_renders():
    labels = {"ok": _("ok").render("zh-CN"), "failed": _("failed").render("zh-CN")}
    png = render_usage_chart(
        ["2026-11-22", "2026-11-23"],
        {"2026-11-23": {"ok": 3, "failed": 1}},
        _("Requests per day").render("zh-CN"),
        labels,
    )
    assert decode(png).size == (WIDTH, HEIGHT)


@pytest.mark.parametrize(
    ("user", "pinned", "guild", "expected"),
    [
        ("zh-CN", None, "en-US", "zh-CN"),
        ("en-GB", "zh-CN", "zh-CN", "en-US"),
        ("fr", "zh-CN", "en-US", "zh-CN"),
        ("fr", None, "zh-CN", "zh-CN"),
        ("fr", None, "de", "en-US"),
        (None, None, None, "en-US"),
    ],
)
def test_language_follows_the_member_then_the_guild_then_english(user, pinned, guild, expected):
    assert choose_locale(user, pinned, guild) == expected


def test_rendering_translates_nested_messages():
    text = _("That image can't be used: {reason}.", reason=_("the file is not an image"))
    assert text.render("zh-CN") == "无法使用这张图片：该文件不是图片。"
    assert text.render("de") == "That image can't be used: the file is not an image."


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
