"""A guild's word filters, kept by its moderators (`/settings filter-add`, `filter-remove`); the
policy checks every prompt against them before anything else (bot/wordfilter.py says how)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.policy import log_change
from bot.db.safety import add_filter, filter_patterns, remove_filter
from bot.errors import InvalidRequest
from bot.i18n import _
from bot.wordfilter import MAX_PATTERN_CHARS, pattern_key

MAX_GUILD_FILTERS = 100


class WordFilters:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @staticmethod
    async def listing(session: AsyncSession, guild_id: int) -> list[str]:
        return await filter_patterns(session, guild_id)

    async def add(self, guild_id: int, user_id: int, pattern: str) -> tuple[str, bool]:
        """Add a pattern, logged as a settings change; returns its key and whether it is new."""
        key = pattern_key(pattern)
        if not key.strip("*") or len(key) > MAX_PATTERN_CHARS:
            raise InvalidRequest(
                _(
                    "A filter is 1 to {limit} characters of text, with * for any letters within a word, "
                    "like dragon or dra*on.",
                    limit=MAX_PATTERN_CHARS,
                )
            )
        async with self._sessions() as session:
            existing = await filter_patterns(session, guild_id)
            if key not in existing and len(existing) >= MAX_GUILD_FILTERS:
                raise InvalidRequest(
                    _("This server has {limit} filters already; remove one first.", limit=MAX_GUILD_FILTERS)
                )
            added = await add_filter(session, guild_id, key, user_id)
            if added:
                log_change(session, guild_id, user_id, "filter", None, key)
            await session.commit()
        return key, added

    async def remove(self, guild_id: int, user_id: int, pattern: str) -> tuple[str, bool]:
        key = pattern_key(pattern)
        async with self._sessions() as session:
            removed = await remove_filter(session, guild_id, key)
            if removed:
                log_change(session, guild_id, user_id, "filter", key, None)
            await session.commit()
        return key, removed
