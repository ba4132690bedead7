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
        raise InvalidRequest("That result message is gone.")
    return message_image(interaction.message, index)


class VaryButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ib:vary:(?P<usage>\d+):(?P<index>\d+)"):
    def __init__(self, usage_id: int, index: int, label: str = "Vary") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"ib:vary:{usage_id}:{index}", emoji="🔀"))
        self.usage_id, self.index = usage_id, index

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(int(match["usage"]), int(match["index"]), item.label or "Vary")

    async def callback(self, interaction: discord.Interaction) -> None:
        async def work() -> None:
            await interaction.client.service.vary(  # type: ignore[attr-defined]
                interaction, command="vary", image=_source(interaction, self.index)
            )

        await guarded(interaction, work())


class EditButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ib:edit:(?P<usage>\d+):(?P<index>\d+)"):
    def __init__(self, usage_id: int, index: int, label: str = "Edit") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"ib:edit:{usage_id}:{index}", emoji="✏️"))
        self.usage_id, self.index = usage_id, index

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(int(match["usage"]), int(match["index"]), item.label or "Edit")

    async def callback(self, interaction: discord.Interaction) -> None:
        async def work() -> None:
            await interaction.response.send_modal(EditPromptModal(_source(interaction, self.index)))

        await guarded(interaction, work())


class RerollButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ib:reroll:(?P<usage>\d+)"):
    def __init__(self, usage_id: int) -> None:
        super().__init__(discord.ui.Button(label="Reroll", style=discord.ButtonStyle.primary,
                                           custom_id=f"ib:reroll:{usage_id}", emoji="🎲"))
        self.usage_id = usage_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(int(match["usage"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def work() -> None:
            bot = interaction.client
            async with bot.db() as session:  # type: ignore[attr-defined]
                row = await get_usage(session, self.usage_id)
            if row is None or row.guild_id != interaction.guild_id or not row.prompt:
                raise InvalidRequest("This result can't be rerolled any more. Run /imagine again.")
            await bot.service.generate(  # type: ignore[attr-defined]
                interaction, command="reroll", prompt=row.prompt, model=row.model, size=row.size,
                quality=row.quality, n=row.n,
            )

        await guarded(interaction, work())


class DeleteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ib:delete:(?P<usage>\d+)"):
    def __init__(self, usage_id: int) -> None:
        super().__init__(discord.ui.Button(label="Delete", style=discord.ButtonStyle.danger,
                                           custom_id=f"ib:delete:{usage_id}", emoji="🗑️"))
        self.usage_id = usage_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(int(match["usage"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def work() -> None:
            async with interaction.client.db() as session:  # type: ignore[attr-defined]
                row = await get_usage(session, self.usage_id)
            requester = row is not None and row.user_id == interaction.user.id
            if not (requester or interaction.permissions.manage_messages):
                raise InvalidRequest("Only the member who asked for these images, or a moderator, can delete them.")
            await interaction.response.defer()
            await interaction.delete_original_response()

        await guarded(interaction, work())


DYNAMIC_ITEMS = (VaryButton, EditButton, RerollButton, DeleteButton)


def result_view(usage_id: int, count: int, *, rerollable: bool) -> discord.ui.View:
    """Vary and Edit for each image (V1, E1, ... when there are several), Reroll and Delete."""
    view = discord.ui.View(timeout=None)
    single = count == 1
    for kind, button in (("V", VaryButton), ("E", EditButton)):
        for index in range(count):
            label = ("Vary" if kind == "V" else "Edit") if single else f"{kind}{index + 1}"
            item = button(usage_id, index, label)
            if not single:
                item.item.row = (0 if kind == "V" else 2) + index // BUTTONS_PER_ROW
            view.add_item(item)
    for item in ([RerollButton(usage_id)] if rerollable else []) + [DeleteButton(usage_id)]:
        if not single:
            item.item.row = 4
        view.add_item(item)
    return view


class EditPromptModal(discord.ui.Modal, title="Edit image"):
    prompt: discord.ui.Label[Any] = discord.ui.Label(
        text="What should change?",
        component=discord.ui.TextInput(style=discord.TextStyle.paragraph, max_length=4000,
                                       placeholder="Give the cat a red scarf"),
    )

    def __init__(self, source: SourceImage) -> None:
        super().__init__(timeout=15 * 60)
        self.source = source

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text_input = self.prompt.component
        assert isinstance(text_input, discord.ui.TextInput)
        await guarded(interaction, interaction.client.service.edit(  # type: ignore[attr-defined]
            interaction, command="edit", image=self.source, prompt=text_input.value
        ))
