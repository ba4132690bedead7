"""The buttons on a moderators' notice of a flagged request: Block member (24 h, 7 d, or for good),
Dismiss, and Delete result where the flagged image was one of the bot's results.

They are `DynamicItem`s (`ib:flag:ACTION:USAGE_ID`), so they keep working after a restart. Custom
ids are anyone's to forge: every click is checked to come from a moderator (Manage Server) of the
guild the row belongs to. The click's answer edits the notice itself (an interaction callback,
not bound by the bot's global limit) to say who did what.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.models import UsageRecord
from bot.db.policy import log_change
from bot.db.safety import FLAGGED_STATUSES, block_member, flagged_rows
from bot.db.usage import get_usage
from bot.errors import InvalidRequest
from bot.flow.flags import notice_text
from bot.flow.locales import Locales
from bot.flow.result_message import quote
from bot.i18n import Text, _
from bot.surface.errors import ErrorReporter
from bot.surface.pages import PAGE_SIZE, Paginator, footer
from bot.surface.result_items import bound

FLAG_TEMPLATE = r"ib:flag:(?P<action>b1|b7|bf|dismiss|delete):(?P<usage>[0-9]{1,18})"
BLOCKS = {"b1": timedelta(hours=24), "b7": timedelta(days=7), "bf": None}
ACTIONS = ("b1", "b7", "bf", "dismiss", "delete")
_LOOKS = {
    "b1": (_("Block 24 h"), discord.ButtonStyle.danger, "⛔"),
    "b7": (_("Block 7 d"), discord.ButtonStyle.danger, None),
    "bf": (_("Block for good"), discord.ButtonStyle.danger, None),
    "dismiss": (_("Dismiss"), discord.ButtonStyle.secondary, "✔️"),
    "delete": (_("Delete result"), discord.ButtonStyle.secondary, "🗑️"),
}


class FlagActions:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        locales: Locales,
        errors: ErrorReporter,
        clock: Clock,
        channel: Callable[[int], discord.PartialMessageable],
    ) -> None:
        self.sessions = sessions
        self.locales = locales
        self.errors = errors
        self.clock = clock
        self._channel = channel

    async def _own_row(self, session: AsyncSession, interaction: discord.Interaction, usage_id: int) -> UsageRecord:
        row = await get_usage(session, usage_id)
        if row is None or row.guild_id is None or row.guild_id != interaction.guild_id:
            raise InvalidRequest(_("This notice is not about this server."))
        if row.status not in FLAGGED_STATUSES:
            raise InvalidRequest(_("That request was not flagged."))
        if not interaction.permissions.manage_guild:
            raise InvalidRequest(_("Only moderators with Manage Server can act on this notice."))
        return row

    async def act(self, interaction: discord.Interaction, action: str, usage_id: int) -> Text:
        """A moderator's click: block the member, dismiss the notice, or delete the flagged
        result; returns what was done, for the notice."""
        async with self.sessions() as session:
            row = await self._own_row(session, interaction, usage_id)
            assert row.guild_id is not None
            moderator = interaction.user.id
            if action in BLOCKS:
                length = BLOCKS[action]
                now = self.clock.now()
                until = now + length if length is not None else None
                await block_member(
                    session, row.guild_id, row.user_id, until=until, reason="moderator", blocked_by=moderator, now=now
                )
                log_change(session, row.guild_id, moderator, f"block {row.user_id}", None, action)
                row.review = "blocked"
                if until is None:
                    done = _("<@{moderator}> blocked <@{user}> for good.", moderator=moderator, user=row.user_id)
                else:
                    when = discord.utils.format_dt(until, "f")
                    done = _(
                        "<@{moderator}> blocked <@{user}> until {when}.",
                        moderator=moderator,
                        user=row.user_id,
                        when=when,
                    )
            elif action == "delete":
                parent = await get_usage(session, row.parent_id) if row.parent_id is not None else None
                if parent is None or parent.message_id is None or parent.channel_id is None:
                    raise InvalidRequest(_("There is no result of the bot's to delete here."))
                await self._delete_message(parent)
                row.review = "deleted"
                done = _("<@{moderator}> deleted the result.", moderator=moderator)
            else:
                row.review = "dismissed"
                done = _("<@{moderator}> dismissed this.", moderator=moderator)
            session.add(row)
            await session.commit()
        return done

    async def _delete_message(self, row: UsageRecord) -> None:
        assert row.channel_id is not None and row.message_id is not None
        messages = self._channel(row.channel_id)
        with contextlib.suppress(discord.NotFound):  # already gone
            await messages.get_partial_message(row.message_id).delete()


class FlagButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=FLAG_TEMPLATE):
    """A button on a notice: `ib:flag:ACTION:USAGE_ID`."""

    actions: ClassVar[FlagButtons]

    def __init__(self, action: str, usage_id: int, locale: str = "en-US") -> None:
        text, style, emoji = _LOOKS[action]
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=text.render(locale), style=style, emoji=emoji, custom_id=f"ib:flag:{action}:{usage_id}"
        )
        super().__init__(button)
        self.action, self.usage_id = action, usage_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FlagButton:
        return cls(match["action"], int(match["usage"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.actions.errors.guarded(interaction, self.actions.run(interaction, self.action, self.usage_id))


class FlagButtons:
    """The notice's buttons, bound to the actions they run; what app.py registers."""

    def __init__(self, actions: FlagActions) -> None:
        self.actions = actions
        self.errors = actions.errors
        self.button = bound(FlagButton, self)
        self.items = (self.button,)

    async def run(self, interaction: discord.Interaction, action: str, usage_id: int) -> None:
        """Act, then edit the notice in the click's own answer: what was done, and the buttons
        that still apply (a block's go once one is chosen; Dismiss takes them all)."""
        done = await self.actions.act(interaction, action, usage_id)
        locale = await self.actions.locales.for_interaction(interaction)
        message = interaction.message
        spent = set(ACTIONS) if action == "dismiss" else set(BLOCKS) if action in BLOCKS else {action}
        left = [name for name in on_message(message, usage_id) if name not in spent]
        await interaction.response.edit_message(
            content=f"{message.content if message else ''}\n-# {done.render(locale)}"[:2000],
            view=self._view(usage_id, left, locale) if left else None,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    def _view(self, usage_id: int, names: list[str], locale: str) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        for name in names:
            view.add_item(self.button(name, usage_id, locale))
        return view

    def flag_notice(self, usage_id: int, *, deletable: bool, locale: str) -> discord.ui.View:
        return self._view(usage_id, [name for name in ACTIONS if deletable or name != "delete"], locale)


def on_message(message: discord.Message | None, usage_id: int) -> list[str]:
    """The notice's actions whose buttons are on `message`, in order."""
    present = {
        child.custom_id
        for row in (message.components if message else [])
        for child in getattr(row, "children", [])
        if isinstance(child, discord.Button)
    }
    return [name for name in ACTIONS if f"ib:flag:{name}:{usage_id}" in present]


def flagged_lines(rows: list[UsageRecord], offset: int) -> str:
    lines = []
    for number, row in enumerate(rows, start=offset + 1):
        prompt = quote(row.prompt, 80) if row.prompt else "—"
        review = f" · {row.review}" if row.review else ""
        lines.append(
            f"**{number}.** {discord.utils.format_dt(row.created_at, 'f')} <@{row.user_id}> **{row.status}** "
            f"{discord.utils.escape_markdown(row.flags or '')}{review} · {prompt}"
        )
    return "\n".join(lines)


class FlaggedPages(Paginator):
    """/usage flagged: 10 flagged or filtered requests a page, Newer and Older, and a menu that
    opens one of them privately with the notice's buttons. Only the moderator who asked pages."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        buttons: FlagButtons,
        owner_id: int,
        guild_id: int,
        since: datetime,
        locale: str,
    ) -> None:
        super().__init__(owner_id=owner_id, locale=locale, render=self._render_page)
        self.sessions, self.buttons, self.guild_id, self.since = sessions, buttons, guild_id, since
        self.rows: list[UsageRecord] = []
        self.pick.placeholder = _("Act on one of them…").render(locale)

    async def _render_page(self, offset: int) -> tuple[discord.Embed, int]:
        """Read the page at `offset`, fill the menu with it, and return its embed and the total."""
        async with self.sessions() as session:
            self.rows, total = await flagged_rows(session, self.guild_id, self.since, offset=offset, limit=PAGE_SIZE)
        self.pick.options = [
            discord.SelectOption(label=f"{number}. {row.flags or row.status}"[:100], value=str(row.id))
            for number, row in enumerate(self.rows, start=offset + 1)
        ] or [discord.SelectOption(label="—", value="0")]
        self.pick.disabled = not self.rows
        embed = discord.Embed(
            title=_("Flagged requests").render(self.locale),
            description=flagged_lines(self.rows, offset)[:4096] or _("Nothing was flagged.").render(self.locale),
            colour=discord.Colour.red(),
        )
        embed.set_footer(text=footer(offset, len(self.rows), total, self.locale))
        return embed, total

    @discord.ui.select(options=[discord.SelectOption(label="—", value="0")])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        row = next((row for row in self.rows if str(row.id) == select.values[0]), None)
        if row is None:
            await interaction.response.defer()
            return
        view = self.buttons.flag_notice(row.id, deletable=row.parent_id is not None, locale=self.locale)
        await interaction.response.send_message(
            notice_text(row, self.locale), view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        view.stop()  # its buttons are DynamicItems, answered without it
