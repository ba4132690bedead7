"""Talking to a member about a job, through the interaction's webhook while its token lives
(Discord gives 15 minutes), through a channel message that mentions only them after that, and,
when neither is open, through their DMs."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

import discord

from bot.clock import Clock, aware
from bot.db.models import Job, JobOrigin
from bot.flow.job_params import params_of

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
REFUSAL_SECONDS = 60.0  # a refusal in a channel goes after this long


class ReplyViews(Protocol):
    """The buttons under a reply; the Discord surface builds them."""

    def result(
        self,
        usage_id: int,
        text: str,
        files: Sequence[discord.File],
        *,
        rerollable: bool,
        enhanceable: bool = False,
        upscalable: bool = False,
        locale: str,
    ) -> discord.ui.LayoutView: ...

    def cancel(self, job_id: int, locale: str) -> discord.ui.View: ...

    def kept(self, locale: str) -> discord.ui.View: ...


# What the bot needs to answer a member's message in a channel: to post, to attach the images, and
# to reply to a message (Discord asks Read Message History for a message_reference).
ANSWER_PERMISSIONS = (
    ("send_messages", "Send Messages"),
    ("attach_files", "Attach Files"),
    ("read_message_history", "Read Message History"),
)


def missing_permissions(channel: object) -> list[str]:
    """The permissions the bot lacks to answer in `channel`, by Discord's names, as the gateway's
    cache has them (no REST call); none in DMs, or for a channel the cache does not know."""
    guild = getattr(channel, "guild", None)
    if not isinstance(channel, discord.abc.GuildChannel | discord.Thread) or guild is None or guild.me is None:
        return []
    granted = channel.permissions_for(guild.me)
    missing = [name for flag, name in ANSWER_PERMISSIONS if not getattr(granted, flag)]
    if isinstance(channel, discord.Thread):  # a thread asks its own permission to post
        missing = [name for name in missing if name != "Send Messages"]
        if not granted.send_messages_in_threads:
            missing.insert(0, "Send Messages in Threads")
    return missing


def only_member(user_id: int) -> discord.AllowedMentions:
    return discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(user_id)])


class MemberReplies:
    def __init__(
        self,
        *,
        webhook: Callable[[dict[str, Any]], discord.Webhook],
        channel: Callable[[int], discord.PartialMessageable],
        dm: Callable[[int], Awaitable[discord.abc.Messageable]],
        lacking: Callable[[int], list[str]],
        views: ReplyViews,
        clock: Clock,
        lifetime: timedelta,
    ) -> None:
        """`webhook` makes an interaction's webhook from its payload; `channel` a channel to send
        to; `dm` opens (or finds) the DM channel with a user; `lacking` names the permissions the
        bot lacks to answer in a channel (`missing_permissions` of the cached channel)."""
        self._webhook = webhook
        self._channel = channel
        self._dm = dm
        self.lacking = lacking
        self.views = views
        self._clock = clock
        self._lifetime = lifetime

    def token_valid(self, job: Job) -> bool:
        """Whether the interaction can still be answered, with a minute (or a tenth of it) to spare."""
        if job.interaction_token is None:
            return False
        left = aware(job.interaction_at) + self._lifetime - self._clock.now()
        return left > min(timedelta(minutes=1), self._lifetime / 10)

    def answerable(self, job: Job) -> bool:
        """Whether the member can still be answered where they asked: a message's job always can
        (its answer is the bot's own message); an interaction's while its token lives."""
        return job.origin == JobOrigin.MESSAGE or self.token_valid(job)

    def editable(self, job: Job) -> bool:
        """Whether the job has a reply of the bot's to edit: its own message, or a live interaction's."""
        return job.message_id is not None and self.answerable(job)

    def repliable(self, job: Job) -> bool:
        """Whether the result can go as the answer where the member asked: by editing the bot's
        reply, or, for a job with no reply yet (the painting page's), as a follow-up of its live
        interaction."""
        return self.editable(job) or (job.origin == JobOrigin.PAINTING and self.token_valid(job))

    def _own(self, job: Job) -> discord.PartialMessage:
        """The bot's message answering a message's job."""
        assert job.channel_id is not None and job.message_id is not None
        return self._channel(job.channel_id).get_partial_message(job.message_id)

    def _hook(self, job: Job) -> discord.Webhook:
        return self._webhook({"id": job.application_id, "type": 3, "token": job.interaction_token})

    async def edit_status(self, job: Job, text: str, *, cancellable: bool, preview: bytes | None) -> None:
        """Show where the job stands in the member's reply. Raises discord.HTTPException."""
        if not self.editable(job):
            return
        view = self.views.cancel(job.id, job.locale) if cancellable else None
        files = (
            [discord.File(io.BytesIO(preview), filename="preview.png", spoiler=params_of(job).spoiler)]
            if preview
            else []
        )
        if job.origin == JobOrigin.MESSAGE:
            await self._own(job).edit(content=text, view=view, attachments=files, allowed_mentions=NO_PINGS)
            return
        assert job.message_id is not None
        await self._hook(job).edit_message(
            job.message_id, content=text, view=view, attachments=files, allowed_mentions=NO_PINGS
        )

    async def tell(self, job: Job, text: str) -> None:
        """A private message through the interaction, or, once it has expired, a channel message;
        for a message's job, its reply says it (mentioning only the member), and goes in a minute."""
        try:
            if job.origin == JobOrigin.MESSAGE and job.message_id is not None:
                await self._own(job).edit(
                    content=f"<@{job.user_id}> {text}", view=None, attachments=[], delete_after=REFUSAL_SECONDS
                )
            elif self.token_valid(job):
                webhook = self._hook(job)
                if job.message_id is not None:
                    await webhook.delete_message(job.message_id)
                await webhook.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
            elif job.channel_id is not None:
                await self._channel(job.channel_id).send(
                    f"<@{job.user_id}> {text}", allowed_mentions=only_member(job.user_id)
                )
        except discord.HTTPException:
            log.exception("could not tell user %s about job %s", job.user_id, job.id)

    async def post_result(
        self, job: Job, files: Sequence[discord.File], view: discord.ui.LayoutView, *, route: str
    ) -> discord.Message | discord.WebhookMessage:
        """The finished reply, one Components V2 message (`view` holds its text, gallery and
        buttons), by `route`: "reply", the member's reply edited; "channel", a channel message
        that mentions only them (the view's text starts with the mention); "dm", a message in
        their DMs. Raises discord.HTTPException."""
        if route == "reply" and job.origin == JobOrigin.MESSAGE:
            return await self._own(job).edit(
                content=None, attachments=list(files), view=view, allowed_mentions=NO_PINGS
            )
        if route == "reply" and job.origin == JobOrigin.PAINTING:  # no reply of ours yet: a follow-up
            return await self._hook(job).send(files=list(files), view=view, allowed_mentions=NO_PINGS, wait=True)
        if route == "reply":
            assert job.message_id is not None
            return await self._hook(job).edit_message(
                job.message_id,
                content=None,
                attachments=list(files),
                view=view,  # pyright: ignore[reportArgumentType]  discord.py 2.7 types it View; it takes a LayoutView
                allowed_mentions=NO_PINGS,
            )
        if route == "dm":
            channel = await self._dm(job.user_id)
            return await channel.send(files=list(files), view=view, allowed_mentions=NO_PINGS)
        assert job.channel_id is not None
        return await self._channel(job.channel_id).send(
            files=list(files), view=view, allowed_mentions=only_member(job.user_id)
        )

    async def whisper(self, job: Job, text: str, view: discord.ui.View | None = None) -> bool:
        """A private note in place of the member's pending reply, while the interaction lives (for a
        message's job, its reply becomes the note); False if that is not possible."""
        if job.origin == JobOrigin.MESSAGE and job.message_id is not None:
            try:
                await self._own(job).edit(content=f"<@{job.user_id}> {text}", view=view, attachments=[])
                return True
            except discord.HTTPException:
                log.exception("could not tell user %s about job %s in its reply", job.user_id, job.id)
                return False
        if not self.token_valid(job):
            return False
        hook = self._hook(job)
        if job.message_id is not None:
            with contextlib.suppress(discord.HTTPException):
                await hook.delete_message(job.message_id)
        try:
            if view is None:
                await hook.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await hook.send(text, ephemeral=True, allowed_mentions=NO_PINGS, view=view)
                # Its buttons are DynamicItems, answered without the view: discord.py would otherwise
                # keep an ephemeral message's view, and a timer, for 15 minutes.
                view.stop()
            return True
        except discord.HTTPException:
            log.exception("could not send user %s a private note about job %s", job.user_id, job.id)
            return False

    async def post_notice(self, channel_id: int, text: str, *, view: discord.ui.View | None = None) -> None:
        """A notice for moderators in a channel, with `view`'s buttons; a failure is logged."""
        try:
            if view is None:
                await self._channel(channel_id).send(text, allowed_mentions=NO_PINGS)
            else:
                await self._channel(channel_id).send(text, allowed_mentions=NO_PINGS, view=view)
        except discord.HTTPException:
            log.exception("could not post a notice in channel %s", channel_id)
