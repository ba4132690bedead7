"""Guilds' own API keys: set, replaced, read and removed, each guild its own."""

from bot.db.keys import delete_guild_key, get_guild_key, put_guild_key


async def test_a_guild_key_is_set_replaced_and_removed(sessions):
    async with sessions() as session:
        assert await put_guild_key(session, 7, sealed_key=b"one", last_four="1111", base_url=None, set_by=1) is None
        await session.commit()
    async with sessions() as session:
        replaced = await put_guild_key(
            session, 7, sealed_key=b"two", last_four="2222", base_url="https://llm.example.com/v1", set_by=2
        )
        await put_guild_key(session, 8, sealed_key=b"other", last_four="8888", base_url=None, set_by=3)
        await session.commit()
    assert replaced == "1111"
    async with sessions() as session:
        key = await get_guild_key(session, 7)
        assert key is not None
        assert (key.sealed_key, key.last_four, key.base_url, key.set_by) == (
            b"two",
            "2222",
            "https://llm.example.com/v1",
            2,
        )
        assert await delete_guild_key(session, 7) == "2222"
        assert await delete_guild_key(session, 7) is None
        await session.commit()
    async with sessions() as session:
        assert await get_guild_key(session, 7) is None
        assert (await get_guild_key(session, 8)) is not None
