"""Where a request comes from: an interaction (a command, menu, button or form), a member's
message (a reply to an image, or a mention with one), or a ticket of the painting page.

Each way in builds one `Origin`, which admission takes whole: who asks and where (what the
guild's policy checks), how the job answers them (the fields of its `Job`), the language to
answer in, and whether the channel is age-restricted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.billing.policy import Requester
from bot.billing.usage import reachable_channel
from bot.db.models import GuildSettings, Job, JobOrigin, PaintTicket
from bot.flow.locales import Locales

DM_UPLOAD_LIMIT = 10 * 1024 * 1024  # what Discord takes in a DM without Nitro

# The language to answer in, given the guild's settings (None outside a guild), which admission
# loads in its unit of work.
LocaleOf = Callable[[GuildSettings | None], Awaitable[str]]


def age_restricted(channel: object) -> bool:
    """Whether a channel is age-restricted (`nsfw`); a thread is as its parent is. Never a DM."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) and getattr(channel, "guild", None) is not None else False


def message_requester(message: discord.Message) -> Requester:
    """Who asks by `message`, and where, as the guild's policy sees them."""
    roles = getattr(message.author, "roles", [])
    guild_id = message.guild.id if message.guild is not None else None
    return Requester(guild_id, message.channel.id, message.author.id, frozenset(role.id for role in roles))


@dataclass(frozen=True)
class Origin:
    """One request's way in; `job()` gives the job that answers it."""

    kind: JobOrigin
    requester: Requester
    answer_channel_id: int | None  # where the job may post: the member's DMs, for a message answered there
    application_id: int
    interaction_token: str | None  # an interaction's (and a painting ticket's): how its answer is edited or sent
    message_id: int | None  # the bot's message that shows the status and becomes the result; none for painting
    attachment_limit: int
    asked_at: datetime  # when the interaction (or the message) came: the token lives 15 minutes from then
    age_restricted: bool
    locale_of: LocaleOf

    @classmethod
    def of_interaction(cls, interaction: discord.Interaction, *, message_id: int | None, locales: Locales) -> Origin:
        """An interaction's request, answered in its response ("thinking..."), `message_id` when known."""

        async def locale_of(settings: GuildSettings | None) -> str:
            return await locales.for_interaction(interaction, settings)

        return cls(
            kind=JobOrigin.INTERACTION,
            requester=Requester.from_interaction(interaction),
            answer_channel_id=reachable_channel(interaction),
            application_id=interaction.application_id,
            interaction_token=interaction.token,
            message_id=message_id,
            attachment_limit=interaction.filesize_limit,
            asked_at=interaction.created_at,
            age_restricted=age_restricted(interaction.channel),
            locale_of=locale_of,
        )

    @classmethod
    def of_message(
        cls, message: discord.Message, *, status: discord.Message, application_id: int, locales: Locales
    ) -> Origin:
        """A member's `message`, answered by `status`, the bot's own message: a reply to it in the
        channel, or a message in the member's DMs (where nothing is age-restricted)."""
        return cls(
            kind=JobOrigin.MESSAGE,
            requester=message_requester(message),
            answer_channel_id=status.channel.id,
            application_id=application_id,
            interaction_token=None,
            message_id=status.id,
            attachment_limit=status.guild.filesize_limit if status.guild is not None else DM_UPLOAD_LIMIT,
            asked_at=message.created_at,
            age_restricted=age_restricted(message.channel) and status.guild is not None,
            locale_of=locales.for_settings,
        )

    @classmethod
    def of_ticket(cls, ticket: PaintTicket) -> Origin:
        """A send from the painting page: answered by a follow-up through the interaction that
        offered the link, in the language the link was offered in; never as age-restricted (the
        ticket does not keep whether its channel is)."""

        async def locale_of(_settings: GuildSettings | None) -> str:
            return ticket.locale

        return cls(
            kind=JobOrigin.PAINTING,
            requester=Requester(ticket.guild_id, ticket.channel_id, ticket.user_id, frozenset(ticket.roles)),
            answer_channel_id=ticket.channel_id,
            application_id=ticket.application_id,
            interaction_token=ticket.interaction_token,
            message_id=None,
            attachment_limit=ticket.attachment_limit,
            asked_at=ticket.interaction_at,
            age_restricted=False,
            locale_of=locale_of,
        )

    def job(self) -> Job:
        """The job that answers this request, where it came from filled in (admission fills the rest)."""
        return Job(
            origin=self.kind,
            guild_id=self.requester.guild_id,
            channel_id=self.answer_channel_id,
            user_id=self.requester.user_id,
            application_id=self.application_id,
            interaction_token=self.interaction_token,
            message_id=self.message_id,
            attachment_limit=self.attachment_limit,
            interaction_at=self.asked_at,
        )
