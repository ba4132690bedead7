"""Styles: prompt templates with `{prompt}` where the member's prompt goes; a few built in, and
each guild's own (`/settings style-add`), which win over a built-in of the same name."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import GuildStyle
from bot.db.policy import log_change
from bot.db.styles import count_styles, delete_style, get_style, guild_styles, put_style
from bot.errors import InvalidRequest
from bot.i18n import _

PLACEHOLDER = "{prompt}"
BUILTIN_STYLES = {
    "photo": "A photograph of {prompt}. Natural light, realistic detail, shot on a 35mm lens.",
    "anime": "{prompt}, as a hand-drawn anime illustration: clean line art, cel shading, vivid colours.",
    "watercolor": "A watercolor painting of {prompt}: soft washes, bleeding edges, visible paper texture.",
    "pixel art": "{prompt}, as pixel art: a limited palette, crisp square pixels, 16-bit game style.",
    "noir": "{prompt}, in film noir style: black and white, hard shadows, rain-slick streets, 1940s cinema.",
}
MAX_GUILD_STYLES = 20
MAX_TEMPLATE_CHARS = 1000
_NAME = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,31}$")


def style_name(name: str) -> str:
    """A style's name as stored and matched: lower case, single spaces."""
    return " ".join(name.lower().split())


def apply_template(template: str, prompt: str) -> str:
    return template.replace(PLACEHOLDER, prompt)


class Styles:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def names(self, guild_id: int | None) -> list[str]:
        """The guild's styles, then the built-in ones it has not replaced."""
        own: list[str] = []
        if guild_id is not None:
            async with self._sessions() as session:
                own = [style.name for style in await guild_styles(session, guild_id)]
        return own + [name for name in BUILTIN_STYLES if name not in own]

    async def apply(self, guild_id: int | None, name: str, prompt: str) -> str:
        """The prompt in the style `name`, or a refusal naming the styles there are."""
        key = style_name(name)
        template = None
        if guild_id is not None:
            async with self._sessions() as session:
                row = await get_style(session, guild_id, key)
            template = row.template if row is not None else None
        template = template or BUILTIN_STYLES.get(key)
        if template is None:
            raise InvalidRequest(
                _(
                    "There is no style called {name} here. Pick one of: {styles}.",
                    name=name[:32],
                    styles=", ".join(await self.names(guild_id)),
                )
            )
        return apply_template(template, prompt)

    @staticmethod
    async def listing(session: AsyncSession, guild_id: int) -> list[GuildStyle]:
        return await guild_styles(session, guild_id)

    async def add(self, guild_id: int, user_id: int, name: str, template: str) -> str:
        """Add or replace the guild's style, logged as a settings change; returns its name."""
        key = style_name(name)
        if not _NAME.match(key):
            raise InvalidRequest(
                _("A style's name has 1 to 32 letters, digits, spaces, - or _, like pixel art or film-noir.")
            )
        template = template.strip()
        if PLACEHOLDER not in template or len(template) > MAX_TEMPLATE_CHARS:
            raise InvalidRequest(
                _(
                    "A style is a template of up to {limit} characters with {{prompt}} where the member's prompt "
                    "goes, like: a watercolor of {{prompt}}, soft light.",
                    limit=MAX_TEMPLATE_CHARS,
                )
            )
        async with self._sessions() as session:
            replaced = await put_style(session, guild_id, key, template, user_id)
            if replaced is None and await count_styles(session, guild_id) > MAX_GUILD_STYLES:
                raise InvalidRequest(
                    _("This server has {limit} styles already; remove one first.", limit=MAX_GUILD_STYLES)
                )
            log_change(session, guild_id, user_id, f"style {key}", replaced, template)
            await session.commit()
        return key

    async def remove(self, guild_id: int, user_id: int, name: str) -> bool:
        key = style_name(name)
        async with self._sessions() as session:
            removed = await delete_style(session, guild_id, key)
            if removed is not None:
                log_change(session, guild_id, user_id, f"style {key}", removed, None)
            await session.commit()
        return removed is not None
