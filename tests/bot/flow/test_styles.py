"""Styles: built-in templates and a guild's own, which win over a built-in of the same name; names
and templates checked, at most MAX_GUILD_STYLES a guild, each change logged."""

import pytest
from sqlalchemy import select

from bot.db.models import SettingsChange
from bot.errors import InvalidRequest
from bot.flow.styles import BUILTIN_STYLES, MAX_GUILD_STYLES, MAX_TEMPLATE_CHARS, Styles, apply_template, style_name


async def changes(sessions) -> list[tuple[str, str | None, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(SettingsChange).order_by(SettingsChange.id))
        return [(row.setting, row.old_value, row.new_value) for row in rows]


def test_a_name_is_matched_in_lower_case_with_single_spaces_and_the_prompt_fills_the_placeholder():
    assert style_name("  Pixel   ART ") == "pixel art"
    assert apply_template("a {prompt}, twice: {prompt}", "fox") == "a fox, twice: fox"


async def test_a_built_in_style_applies_anywhere_and_an_unknown_one_is_refused_naming_the_styles(sessions):
    styles = Styles(sessions)
    assert await styles.apply(None, "Pixel  Art", "a fox") == apply_template(BUILTIN_STYLES["pixel art"], "a fox")
    with pytest.raises(InvalidRequest) as refused:
        await styles.apply(1, "vaporwave", "a fox")
    assert "vaporwave" in (said := refused.value.message.render("en-US"))
    assert ", ".join(BUILTIN_STYLES) in said


async def test_a_guilds_own_style_wins_over_the_built_in_and_is_listed_first(sessions):
    styles = Styles(sessions)
    assert await styles.add(1, 50, " Noir ", "  {prompt} in sepia  ") == "noir"
    assert await styles.add(1, 50, "my-style_2", "tiny {prompt}") == "my-style_2"
    assert await styles.apply(1, "NOIR", "a fox") == "a fox in sepia"
    assert await styles.apply(2, "noir", "a fox") == apply_template(BUILTIN_STYLES["noir"], "a fox")
    names = await styles.names(1)
    assert names[:2] == ["my-style_2", "noir"]
    assert names.count("noir") == 1 and set(names) == {"my-style_2", *BUILTIN_STYLES}
    assert await styles.names(None) == list(BUILTIN_STYLES)
    async with sessions() as session:
        assert [row.name for row in await Styles.listing(session, 1)] == ["my-style_2", "noir"]


async def test_adding_replacing_and_removing_are_each_logged(sessions):
    styles = Styles(sessions)
    await styles.add(1, 50, "ink", "{prompt} in ink")
    await styles.add(1, 51, "ink", "{prompt} in blue ink")
    assert await styles.remove(1, 52, "INK")
    assert not await styles.remove(1, 52, "ink")
    with pytest.raises(InvalidRequest):
        await styles.apply(1, "ink", "a fox")
    assert await changes(sessions) == [
        ("style ink", None, "{prompt} in ink"),
        ("style ink", "{prompt} in ink", "{prompt} in blue ink"),
        ("style ink", "{prompt} in blue ink", None),
    ]


@pytest.mark.parametrize("name", ["", "-dash first", "a" * 33, "émoji", "semi;colon"])
async def test_a_bad_name_is_refused(sessions, name):
    with pytest.raises(InvalidRequest, match="1 to 32"):
        await Styles(sessions).add(1, 50, name, "{prompt}")
    assert await changes(sessions) == []


@pytest.mark.parametrize("template", ["no placeholder", "{prompt}" + "x" * MAX_TEMPLATE_CHARS, "{PROMPT}"])
async def test_a_template_without_the_placeholder_or_too_long_is_refused(sessions, template):
    with pytest.raises(InvalidRequest, match="template of up to"):
        await Styles(sessions).add(1, 50, "mine", template)
    assert await changes(sessions) == []


async def test_a_guild_holds_at_most_its_limit_of_styles_but_may_replace_one(sessions):
    styles = Styles(sessions)
    for number in range(MAX_GUILD_STYLES):
        await styles.add(1, 50, f"style {number}", "{prompt}")
    with pytest.raises(InvalidRequest, match="styles already"):
        await styles.add(1, 50, "one more", "{prompt}")
    assert await styles.add(1, 50, "style 0", "{prompt}, again") == "style 0"  # a replacement
    assert await styles.add(2, 50, "one more", "{prompt}") == "one more"  # another guild's own limit
    async with sessions() as session:
        assert len(await Styles.listing(session, 1)) == MAX_GUILD_STYLES
