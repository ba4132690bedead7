"""The Remix form, opened by a result's Remix button: the result's prompt, filled in, for the
member to change. Submitting makes the same request again (the row's model, size, quality, style
and number of images) with the new prompt; its row continues the result's (`parent_id`).

Complexity and background are not carried: the usage row does not hold them, and the job that
does is pruned a day after it finishes, so a Remix would change with the result's age. Reroll
carries the same.
"""

from __future__ import annotations

import discord

from bot.db.models import UsageRecord
from bot.flow.intake import Intake
from bot.i18n import _
from bot.surface.errors import ErrorReporter

PROMPT_LIMIT = 4000  # the most a form's text input holds, on Discord's side


class RemixForm(discord.ui.Modal):
    """Asks for the new prompt, the result's own filled in, then hands the request to intake."""

    def __init__(self, row: UsageRecord, spoiler: bool, locale: str, intake: Intake, errors: ErrorReporter) -> None:
        """`row`: the result's usage row, whose prompt fits in `PROMPT_LIMIT`; `spoiler`: whether
        the result was hidden as one (the remix is too)."""
        super().__init__(title=_("Remix").render(locale), timeout=15 * 60, custom_id=f"ib:remix:{row.id}")
        self.row, self.spoiler, self.intake, self.errors = row, spoiler, intake, errors
        self.prompt_input = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, max_length=PROMPT_LIMIT, default=row.prompt
        )
        self.add_item(
            discord.ui.Label(
                text=_("New prompt").render(locale),
                description=_("Change what you like; the rest of the request stays the same.").render(locale),
                component=self.prompt_input,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.errors.guarded(interaction, self._remix(interaction))

    async def _remix(self, interaction: discord.Interaction) -> None:
        row = self.row
        await self.intake.generate(
            interaction,
            command="remix",
            prompt=self.prompt_input.value,
            model=row.model,
            size=row.size,
            quality=row.quality,
            n=row.n,
            style=row.style,
            spoiler=self.spoiler,
            draft=False,  # the row's own model and quality, a draft's too, whatever the guild's default
            parent_id=row.id,
        )
