"""Languages: complete catalogues, valid localized commands, a font for Chinese, the
member's language chosen. Replies in zh-CN through the real bot: tests/e2e/languages/test_chinese.py."""

import re
import unicodedata

import pytest
from fontTools.ttLib import TTFont

from bot.charts import FONT_PATH, HEIGHT, WIDTH, render_usage_chart
from bot.i18n import LOCALES, NAME_CONTEXT, _, choose_locale, placeholders
from tests.helpers import decode
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
