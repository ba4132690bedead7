"""Buttons on results, and the edit-prompt modal.

The buttons are `DynamicItem`s: their custom ids carry the usage row id (and the image's
index), so they keep working after a restart; the database holds the rest. discord.py only
logs errors raised in item callbacks and modals, so each one hands its failure to the
command tree's error path itself.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from bot.db.usage import get_usage
from bot.errors import InvalidRequest
from bot.i18n import SOURCE_LOCALE, _

if TYPE_CHECKING:
    from bot.service import SourceImage

BUTTONS_PER_ROW = 5


async def guarded(interaction: discord.Interaction, work: Awaitable[Any]) -> None:
    """Run a component's or modal's work; send any failure down the one error path."""
    try:
        await work
    except Exception as exc:
        await interaction.client.tree.report_failure(interaction, exc)  # type: ignore[attr-defined]


def _source(interaction: discord.Interaction, index: int) -> SourceImage:
    from bot.service import message_image

    if interaction.message is None:
        raise InvalidRequest(_("That result message is gone."))
    return message_image(interaction.message, index)


_ACTIONS = {
    "vary": (_("Vary"), discord.ButtonStyle.secondary, "🔀"),
    "edit": (_("Edit"), discord.ButtonStyle.secondary, "✏️"),
    "reroll": (_("Reroll"), discord.ButtonStyle.primary, "🎲"),
    "delete": (_("Delete"), discord.ButtonStyle.danger, "🗑️"),
    "cancel": (_("Cancel"), discord.ButtonStyle.secondary, "✖️"),
}


class ResultButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"ib:(?P<action>vary|edit|reroll|delete|cancel):(?P<usage>\d+)(?::(?P<index>\d+))?",
):
    """One button on a result, `ib:ACTION:USAGE_ID[:IMAGE_INDEX]`, or on a queued request, `ib:cancel:JOB_ID`."""

    def __init__(self, action: str, usage_id: int, index: int | None = None, label: str | None = None) -> None:
        default_label, style, emoji = _ACTIONS[action]
        custom_id = f"ib:{action}:{usage_id}" + (f":{index}" if index is not None else "")
        super().__init__(discord.ui.Button(label=label or str(default_label), style=style, custom_id=custom_id,
                                           emoji=emoji))
        self.action, self.usage_id, self.index = action, usage_id, index or 0

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        index = int(match["index"]) if match["index"] is not None else None
        return cls(match["action"], int(match["usage"]), index, item.label)

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, getattr(self, f"_{self.action}")(interaction))

    async def _vary(self, interaction: discord.Interaction) -> None:
        await interaction.client.service.vary(  # type: ignore[attr-defined]
            interaction, command="vary", image=_source(interaction, self.index)
        )

    async def _edit(self, interaction: discord.Interaction) -> None:
        locale = await interaction.client.locale_for(interaction)  # type: ignore[attr-defined]
        await interaction.response.send_modal(EditPromptModal(_source(interaction, self.index), locale))

    async def _reroll(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        async with bot.db() as session:  # type: ignore[attr-defined]
            row = await get_usage(session, self.usage_id)
        if row is None or row.guild_id != interaction.guild_id or not row.prompt:
            raise InvalidRequest(_("This result can't be rerolled any more. Run /imagine again."))
        await bot.service.generate(  # type: ignore[attr-defined]
            interaction, command="reroll", prompt=row.prompt, model=row.model, size=row.size,
            quality=row.quality, n=row.n,
        )

    async def _delete(self, interaction: discord.Interaction) -> None:
        async with interaction.client.db() as session:  # type: ignore[attr-defined]
            row = await get_usage(session, self.usage_id)
        requester = row is not None and row.user_id == interaction.user.id
        if not (requester or interaction.permissions.manage_messages):
            raise InvalidRequest(_("Only the member who asked for these images, or a moderator, can delete them."))
        await interaction.response.defer()
        await interaction.delete_original_response()


    async def _cancel(self, interaction: discord.Interaction) -> None:
        scheduler = interaction.client.scheduler  # type: ignore[attr-defined]
        job = scheduler.queued_job(self.usage_id)
        if job is None:
            raise InvalidRequest(_("This request has already started or finished."))
        if job.user_id != interaction.user.id and not interaction.permissions.manage_messages:
            raise InvalidRequest(_("Only the member who asked, or a moderator, can cancel this."))
        await scheduler.cancel(job)
        await interaction.response.edit_message(content=_("Cancelled.").render(job.locale), view=None)


DYNAMIC_ITEMS = (ResultButton,)


def cancel_view(job_id: int, locale: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ResultButton("cancel", job_id, label=_ACTIONS["cancel"][0].render(locale)))
    return view


def result_view(usage_id: int, count: int, *, rerollable: bool, locale: str = SOURCE_LOCALE) -> discord.ui.View:
    """Vary and Edit for each image (V1, E1, ... when there are several), Reroll and Delete."""
    view = discord.ui.View(timeout=None)
    single = count == 1
    for first_row, action in ((0, "vary"), (2, "edit")):
        for index in range(count):
            label = _ACTIONS[action][0].render(locale)
            item = ResultButton(action, usage_id, index, label if single else f"{action[0].upper()}{index + 1}")
            if not single:
                item.item.row = first_row + index // BUTTONS_PER_ROW
            view.add_item(item)
    for action in (["reroll"] if rerollable else []) + ["delete"]:
        item = ResultButton(action, usage_id, label=_ACTIONS[action][0].render(locale))
        if not single:
            item.item.row = 4
        view.add_item(item)
    return view


class EditPromptModal(discord.ui.Modal):
    def __init__(self, source: SourceImage, locale: str) -> None:
        super().__init__(title=_("Edit image").render(locale), timeout=15 * 60)
        self.source = source
        self.prompt: discord.ui.Label[Any] = discord.ui.Label(
            text=_("What should change?").render(locale),
            component=discord.ui.TextInput(style=discord.TextStyle.paragraph, max_length=4000,
                                           placeholder=_("Give the cat a red scarf").render(locale)),
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text_input = self.prompt.component
        assert isinstance(text_input, discord.ui.TextInput)
        await guarded(interaction, interaction.client.service.edit(  # type: ignore[attr-defined]
            interaction, command="edit", image=self.source, prompt=text_input.value
        ))
