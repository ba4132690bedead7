"""/references add, list and remove, and the "Save as reference" message command: images saved
for /imagine reference:, a member's own or, added by members with Manage Server, the server's."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.billing.usage import guild_scope
from bot.db.models import ReferenceScope
from bot.flow.locales import Locales
from bot.flow.references import MAX_NAME_CHARS, References, shown
from bot.flow.sources import SourceImage, message_image
from bot.i18n import _
from bot.surface.checks import require_moderator
from bot.surface.errors import ErrorReporter
from bot.surface.options import ANY_INSTALL, ANYWHERE, choices
from bot.surface.reference_form import SaveReferenceForm, may_keep_for_server, save_reference

SCOPES = [
    app_commands.Choice(name="me", value=ReferenceScope.MEMBER.value),
    app_commands.Choice(name="server", value=ReferenceScope.SERVER.value),
]


def as_scope(value: str | None) -> ReferenceScope:
    return ReferenceScope.SERVER if value == ReferenceScope.SERVER else ReferenceScope.MEMBER


class ReferenceCommands(commands.Cog):
    references = app_commands.Group(
        name="references",
        description="Images saved for /imagine reference:",
        allowed_contexts=ANYWHERE,
        allowed_installs=ANY_INSTALL,
    )

    def __init__(
        self, references: References, locales: Locales, errors: ErrorReporter, tree: app_commands.CommandTree
    ) -> None:
        self.saved = references
        self.locales = locales
        self.errors = errors
        self.tree = tree
        self.menu = app_commands.ContextMenu(
            name="Save as reference",
            callback=self.save_message_image,
            allowed_contexts=ANYWHERE,
            allowed_installs=ANY_INSTALL,
        )

    async def cog_load(self) -> None:
        self.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.tree.remove_command(self.menu.name, type=self.menu.type)

    @references.command(name="add", description="Save an image as a reference for /imagine")
    @app_commands.describe(
        name="What to call it in /imagine reference:",
        image="The image (PNG, JPEG, WebP, GIF, BMP or TIFF)",
        scope="me: only yours; server: every member's here (needs Manage Server)",
    )
    @app_commands.choices(scope=SCOPES)
    async def add(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, MAX_NAME_CHARS],
        image: discord.Attachment,
        scope: str | None = None,
    ) -> None:
        await save_reference(
            interaction, self.saved, self.locales, as_scope(scope), name, SourceImage.from_attachment(image)
        )

    @references.command(name="list", description="The references you can use here")
    async def list_references(self, interaction: discord.Interaction) -> None:
        entries = await self.saved.usable(guild_scope(interaction), interaction.user.id)
        own = [shown(entry.name) for entry in entries if entry.scope == ReferenceScope.MEMBER]
        server = [shown(entry.name) for entry in entries if entry.scope == ReferenceScope.SERVER]
        limits = self.saved.limits
        lines = [
            _("Yours ({count} of {limit}): {names}", count=len(own), limit=limits.max_per_member, names=", ".join(own))
            if own
            else _("You have no references yet. Save one with /references add or right-click → Save as reference.")
        ]
        if guild_scope(interaction) is not None:
            lines.append(
                _(
                    "This server's ({count} of {limit}): {names}",
                    count=len(server),
                    limit=limits.max_per_guild,
                    names=", ".join(server),
                )
                if server
                else _("This server has no references.")
            )
        locale = await self.locales.for_interaction(interaction)
        await interaction.response.send_message(
            "\n".join(line.render(locale) for line in lines),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @references.command(name="remove", description="Remove one of your references, or the server's")
    @app_commands.describe(
        name="The reference to remove", scope="me: yours; server: the server's (needs Manage Server)"
    )
    @app_commands.choices(scope=SCOPES)
    async def remove(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, MAX_NAME_CHARS],
        scope: str | None = None,
    ) -> None:
        chosen = as_scope(scope)
        if chosen == ReferenceScope.SERVER:
            require_moderator(interaction)
        key = await self.saved.remove(
            scope=chosen, guild_id=guild_scope(interaction), user_id=interaction.user.id, name=name
        )
        locale = await self.locales.for_interaction(interaction)
        await interaction.response.send_message(
            _("Removed the reference {name}.", name=shown(key)).render(locale), ephemeral=True
        )

    @remove.autocomplete("name")
    async def _complete_removable(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        scope = as_scope(getattr(interaction.namespace, "scope", None))
        entries = await self.saved.usable(guild_scope(interaction), interaction.user.id)
        return choices([entry.name for entry in entries if entry.scope == scope], current)

    async def save_message_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message: a form asking the name to save its first image under."""
        source = message_image(message)
        locale = await self.locales.for_interaction(interaction)
        form = SaveReferenceForm(
            source, locale, self.saved, self.locales, self.errors, for_server=may_keep_for_server(interaction)
        )
        await interaction.response.send_modal(form)
