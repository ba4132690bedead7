"""The Edit form, opened by right-click → Edit image and by a result's Edit buttons: the prompt,
and, all optional, a mask to upload or the area to change as cells of a 3x3 grid, and, when the
model the form edits with (the default) takes markup, notes drawn on the image to upload.

discord.py sends `required: true` for a file upload and a checkbox group unless told otherwise,
so each says `required=False`. An uploaded mask wins over the grid; with neither, the whole image
changes. Notes come instead of a mask or an area: with either, intake refuses them. The form has
four of the five rows Discord allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.flow.intake import GRID_CELLS, Intake
from bot.flow.sources import SourceImage
from bot.i18n import _
from bot.surface.errors import ErrorReporter

CELL_NAMES = (
    _("top left"),
    _("top"),
    _("top right"),
    _("left"),
    _("centre"),
    _("right"),
    _("bottom left"),
    _("bottom"),
    _("bottom right"),
)


class EditForm(discord.ui.Modal):
    """Asks what should change in `source`, and optionally where, then hands it to intake."""

    def __init__(
        self,
        source: SourceImage,
        locale: str,
        intake: Intake,
        errors: ErrorReporter,
        offer_painting: Callable[[discord.Interaction, SourceImage], Awaitable[None]] | None = None,
    ) -> None:
        """`offer_painting`: the painting page's link, offered after an edit of the whole image."""
        super().__init__(title=_("Edit image").render(locale), timeout=15 * 60)
        self.source, self.intake, self.errors = source, intake, errors
        self.offer_painting = offer_painting
        self.prompt_input = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, max_length=4000, placeholder=_("Give the cat a red scarf").render(locale)
        )
        self.mask_upload: discord.ui.FileUpload[Any] = discord.ui.FileUpload(
            custom_id="mask", required=False, min_values=0, max_values=1
        )
        self.markup_upload: discord.ui.FileUpload[Any] | None = None
        self.area_cells: discord.ui.CheckboxGroup[Any] = discord.ui.CheckboxGroup(
            custom_id="area", required=False, min_values=0, max_values=GRID_CELLS
        )
        for cell, name in enumerate(CELL_NAMES):
            self.area_cells.add_option(label=name.render(locale), value=str(cell))
        self.add_item(discord.ui.Label(text=_("What should change?").render(locale), component=self.prompt_input))
        self.add_item(
            discord.ui.Label(
                text=_("Mask (optional)").render(locale),
                description=_("White or transparent where it changes, black where it stays").render(locale),
                component=self.mask_upload,
            )
        )
        self.add_item(
            discord.ui.Label(
                text=_("Area to change (optional)").render(locale),
                description=_("Parts of the image, in thirds; none: all of it").render(locale),
                component=self.area_cells,
            )
        )
        if intake.takes_markup():
            self.markup_upload = discord.ui.FileUpload(custom_id="markup", required=False, min_values=0, max_values=1)
            self.add_item(
                discord.ui.Label(
                    text=_("Notes drawn on the image (optional)").render(locale),
                    description=_("A transparent PNG with arrows, circles or words; not with a mask").render(locale),
                    component=self.markup_upload,
                )
            )

    def area(self) -> list[int]:
        """The chosen cells, only those the form offers."""
        return sorted({int(value) for value in self.area_cells.values if value.isdigit() and int(value) < GRID_CELLS})

    async def on_submit(self, interaction: discord.Interaction) -> None:
        uploads = self.mask_upload.values
        mask = SourceImage.from_attachment(uploads[0]) if uploads else None
        area = self.area() if mask is None else []
        notes = self.markup_upload.values if self.markup_upload is not None else []
        markup = SourceImage.from_attachment(notes[0]) if notes else None
        await self.errors.guarded(interaction, self._edit(interaction, mask, area, markup))

    async def _edit(
        self, interaction: discord.Interaction, mask: SourceImage | None, area: list[int], markup: SourceImage | None
    ) -> None:
        await self.intake.edit(
            interaction,
            command="edit",
            image=self.source,
            prompt=self.prompt_input.value,
            mask=mask,
            area=area,
            markup=markup,
        )
        if mask is None and not area and markup is None and self.offer_painting is not None:
            await self.offer_painting(interaction, self.source)
