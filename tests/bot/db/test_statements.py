"""The query functions' helpers: how many rows a statement changed (0 when its condition held for
none), and the session's dialect."""

from sqlalchemy import delete, update

from bot.db.models import GuildStyle
from bot.db.statements import changed, dialect_of
from tests.conftest import BOT_DATABASE


async def test_changed_counts_the_rows_a_statement_changed(sessions):
    async with sessions() as session:
        session.add_all(GuildStyle(guild_id=1, name=name, template="{prompt}", created_by=5) for name in "abc")
        await session.flush()
        assert await changed(session, update(GuildStyle).where(GuildStyle.name != "c").values(created_by=6)) == 2
        assert await changed(session, update(GuildStyle).where(GuildStyle.guild_id == 2).values(created_by=6)) == 0
        assert await changed(session, delete(GuildStyle)) == 3


async def test_the_dialect_is_the_engines(sessions):
    async with sessions() as session:
        assert dialect_of(session) == ("postgresql" if BOT_DATABASE == "postgresql" else "sqlite")
