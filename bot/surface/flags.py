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
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, utcnow
from bot.db.models import UsageRecord
from bot.db.policy import log_change
from bot.db.safety import FLAGGED_STATUSES, block_member, flagged_rows
from bot.db.usage import get_usage
from bot.errors import InvalidRequest
from bot.flow.flags import notice_text
from bot.flow.locales import Locales
from bot.flow.result_message import quote
from bot.i18n import Text, _
from bot.surface.checks import guild_of, require_moderator
from bot.surface.errors import ErrorReporter
from bot.surface.pages import PAGE_SIZE, Pages, footer
from bot.surface.periods import period_start
from bot.surface.result_items import bound

PICK_TEMPLATE = r"ib:flagpick:(?P<offset>[0-9]{1,6})"
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

    async def own_row(self, session: AsyncSession, interaction: discord.Interaction, usage_id: int) -> UsageRecord:
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
            row = await self.own_row(session, interaction, usage_id)
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
        self.pick = bound(FlagPick, self)
        self.items = (self.button, self.pick)

    async def open_notice(self, interaction: discord.Interaction, usage_id: int) -> None:
        """A flagged request of this guild, privately, with the notice's buttons (a moderator only)."""
        async with self.actions.sessions() as session:
            row = await self.actions.own_row(session, interaction, usage_id)
        locale = await self.actions.locales.for_interaction(interaction)
        view = self.flag_notice(row.id, deletable=row.parent_id is not None, locale=locale)
        await interaction.response.send_message(
            notice_text(row, locale), view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

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


class FlagPick(discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICK_TEMPLATE):
    """/usage flagged's menu of the page's requests: opens the chosen one privately, with the notice's buttons."""

    actions: ClassVar[FlagButtons]

    def __init__(self, offset: int, options: list[discord.SelectOption] | None = None, placeholder: str = "") -> None:
        menu: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"ib:flagpick:{offset}",
            placeholder=placeholder or None,
            options=options or [discord.SelectOption(label="—", value="0")],
            disabled=not options,
        )
        super().__init__(menu)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FlagPick:
        return cls(int(match["offset"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values") or ["0"]
        chosen = int(values[0]) if str(values[0]).isdigit() else 0
        await self.actions.errors.guarded(interaction, self.actions.open_notice(interaction, chosen))


class FlaggedRequests:
    """/usage flagged's pages: 10 flagged or filtered requests a page, and the menu that opens
    one of them. ARGS is the period's key."""

    code = "f"

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], locales: Locales, pages: Pages, buttons: FlagButtons
    ) -> None:
        self.sessions, self.locales, self.pages, self.buttons = sessions, locales, pages, buttons
        pages.add(self)

    async def open(self, interaction: discord.Interaction, offset: int, args: str, *, turn: bool) -> None:
        require_moderator(interaction)  # on every turn: custom ids are anyone's to forge
        if not turn:
            await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        since = period_start(args, utcnow()) or datetime(2000, 1, 1, tzinfo=UTC)
        async with self.sessions() as session:
            rows, total = await flagged_rows(session, guild_of(interaction), since, offset=offset, limit=PAGE_SIZE)
        embed = discord.Embed(
            title=_("Flagged requests").render(locale),
            description=flagged_lines(rows, offset)[:4096] or _("Nothing was flagged.").render(locale),
            colour=discord.Colour.red(),
        )
        embed.set_footer(text=footer(offset, len(rows), total, locale))
        options = [
            discord.SelectOption(label=f"{number}. {row.flags or row.status}"[:100], value=str(row.id))
            for number, row in enumerate(rows, start=offset + 1)
        ]
        pick = self.buttons.pick(offset, options, _("Act on one of them…").render(locale))
        await self.pages.answer(
            interaction, self, embed, offset=offset, total=total, locale=locale, args=args, turn=turn, items=(pick,)
        )
