"""A guild's word filters: kept as their folded key, each change logged, at most 100 a guild."""

import pytest
from sqlalchemy import select

from bot.db.models import SettingsChange
from bot.errors import InvalidRequest
from bot.flow.filters import MAX_GUILD_FILTERS, WordFilters
from bot.wordfilter import MAX_PATTERN_CHARS


async def changes(sessions) -> list[tuple[int, str | None, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(SettingsChange).order_by(SettingsChange.id))
        return [(row.guild_id, row.old_value, row.new_value) for row in rows if row.setting == "filter"]


async def test_a_filter_is_added_once_and_removed_once_each_change_logged(sessions):
    filters = WordFilters(sessions)
    assert await filters.add(1, 50, "Dra*on") == ("dra*on", True)
    assert await filters.add(1, 50, "DRA*ON") == ("dra*on", False)  # the same filter
    assert await filters.add(2, 60, "dragon") == ("dragon", True)
    async with sessions() as session:
        assert await WordFilters.listing(session, 1) == ["dra*on"]
    assert await filters.remove(1, 50, "dra*on") == ("dra*on", True)
    assert await filters.remove(1, 50, "dra*on") == ("dra*on", False)
    async with sessions() as session:
        assert await WordFilters.listing(session, 1) == []
        assert await WordFilters.listing(session, 2) == ["dragon"]
    assert await changes(sessions) == [(1, None, "dra*on"), (2, None, "dragon"), (1, "dra*on", None)]


@pytest.mark.parametrize("pattern", ["", "***", " * ", "x" * (MAX_PATTERN_CHARS + 1)])
async def test_an_empty_or_overlong_filter_is_refused(sessions, pattern):
    with pytest.raises(InvalidRequest, match="1 to"):
        await WordFilters(sessions).add(1, 50, pattern)
    assert await changes(sessions) == []


async def test_a_guild_holds_at_most_its_limit_of_filters(sessions):
    filters = WordFilters(sessions)
    for number in range(MAX_GUILD_FILTERS):
        await filters.add(1, 50, f"word{chr(97 + number // 26)}{chr(97 + number % 26)}")
    with pytest.raises(InvalidRequest, match="filters already"):
        await filters.add(1, 50, "onemore")
    assert await filters.add(1, 50, "wordaa") == ("wordaa", False)  # one it has: no new row, no refusal
    assert (await filters.add(2, 50, "onemore"))[1]  # another guild's own limit
