"""Guild styles' queries: listed by name and counted per guild, replaced in place (returning the
template replaced), removed (returning the template removed, None when there was none)."""

from bot.db.styles import count_styles, delete_style, get_style, guild_styles, put_style

GUILD, OTHER_GUILD = 10, 11


async def test_styles_are_listed_by_name_and_counted_per_guild(sessions):
    async with sessions() as session:
        assert await put_style(session, GUILD, "watercolour", "{prompt}, watercolour", 1) is None
        assert await put_style(session, GUILD, "anime", "{prompt}, anime", 1) is None
        assert await put_style(session, OTHER_GUILD, "noir", "{prompt}, noir", 2) is None
        await session.commit()
    async with sessions() as session:
        assert [style.name for style in await guild_styles(session, GUILD)] == ["anime", "watercolour"]
        assert [style.name for style in await guild_styles(session, OTHER_GUILD)] == ["noir"]
        assert await guild_styles(session, 12) == []
        assert (await count_styles(session, GUILD), await count_styles(session, 12)) == (2, 0)
        assert (await get_style(session, GUILD, "anime")).template == "{prompt}, anime"
        assert await get_style(session, OTHER_GUILD, "anime") is None


async def test_putting_a_style_again_replaces_it_and_returns_the_old_template(sessions):
    async with sessions() as session:
        await put_style(session, GUILD, "anime", "{prompt}, anime", 1)
        await session.commit()
    async with sessions() as session:
        assert await put_style(session, GUILD, "anime", "{prompt}, cel shaded", 2) == "{prompt}, anime"
        await session.commit()
    async with sessions() as session:
        style = await get_style(session, GUILD, "anime")
        assert (style.template, style.created_by, await count_styles(session, GUILD)) == ("{prompt}, cel shaded", 2, 1)


async def test_deleting_a_style_returns_its_template_once(sessions):
    async with sessions() as session:
        await put_style(session, GUILD, "anime", "{prompt}, anime", 1)
        await put_style(session, OTHER_GUILD, "anime", "{prompt}, other", 1)
        await session.commit()
    async with sessions() as session:
        assert await delete_style(session, GUILD, "anime") == "{prompt}, anime"
        assert await delete_style(session, GUILD, "anime") is None
        assert await delete_style(session, GUILD, "never") is None
        await session.commit()
    async with sessions() as session:
        assert await get_style(session, GUILD, "anime") is None
        assert (await get_style(session, OTHER_GUILD, "anime")).template == "{prompt}, other"
