"""The "Save as reference" form, opened by right-click → Save as reference: the name to save the
message's image under, and, for a member who may manage the server, whether it is the server's."""

from __future__ import annotations

from typing import Any

import discord

from bot.billing.usage import guild_scope
from bot.db.models import ReferenceScope
from bot.flow.locales import Locales
from bot.flow.references import MAX_NAME_CHARS, References, shown
from bot.flow.sources import SourceImage
from bot.i18n import _
from bot.surface.checks import require_moderator
from bot.surface.errors import ErrorReporter


def may_keep_for_server(interaction: discord.Interaction) -> bool:
    """Whether the member may save a server reference here: Manage Server in a server that added the bot."""
    return guild_scope(interaction) is not None and interaction.permissions.manage_guild


async def save_reference(
    interaction: discord.Interaction,
    references: References,
    locales: Locales,
    scope: ReferenceScope,
    name: str,
    image: SourceImage,
) -> None:
    """Save `image` as the reference `name` (the server's only for a member with Manage Server),
    thinking privately while it is read, fitted and screened; then say so privately."""
    if scope == ReferenceScope.SERVER:
        require_moderator(interaction)
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    key = await references.save(
        scope=scope, guild_id=guild_scope(interaction), user_id=interaction.user.id, name=name, image=image
    )
    saved = (
        _("Saved {name} for this server. Members can use it in /imagine reference:.", name=shown(key))
        if scope == ReferenceScope.SERVER
        else _("Saved {name} for you. Use it in /imagine reference:.", name=shown(key))
    )
    locale = await locales.for_interaction(interaction)
    await interaction.followup.send(saved.render(locale), ephemeral=True)


class SaveReferenceForm(discord.ui.Modal):
    """Asks the name to save `source` under; a moderator may tick that it is the server's."""

    def __init__(
        self,
        source: SourceImage,
        locale: str,
        references: References,
        locales: Locales,
        errors: ErrorReporter,
        *,
        for_server: bool,
    ) -> None:
        """`for_server`: the member may keep it for the server (the form offers it)."""
        super().__init__(title=_("Save as reference").render(locale), timeout=15 * 60)
        self.source, self.references, self.locales, self.errors = source, references, locales, errors
        self.name_input = discord.ui.TextInput(max_length=MAX_NAME_CHARS, placeholder=_("mascot").render(locale))
        self.add_item(discord.ui.Label(text=_("Name").render(locale), component=self.name_input))
        self.server_choice: discord.ui.CheckboxGroup[Any] | None = None
        if for_server:
            self.server_choice = discord.ui.CheckboxGroup(custom_id="scope", required=False, min_values=0, max_values=1)
            self.server_choice.add_option(label=_("For the whole server").render(locale), value=ReferenceScope.SERVER)
            self.add_item(
                discord.ui.Label(
                    text=_("Whose (optional)").render(locale),
                    description=_("Unticked: only yours").render(locale),
                    component=self.server_choice,
                )
            )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        chosen = self.server_choice.values if self.server_choice is not None else []
        scope = ReferenceScope.SERVER if ReferenceScope.SERVER in chosen else ReferenceScope.MEMBER
        await self.errors.guarded(
            interaction,
            save_reference(interaction, self.references, self.locales, scope, self.name_input.value, self.source),
        )
