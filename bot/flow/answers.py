"""Talking to a member about a job, through the interaction's webhook while its token lives
(Discord gives 15 minutes), through a channel message that mentions only them after that, and,
when neither is open, through their DMs."""

from __future__ import annotations

import contextlib
import io
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Protocol, cast

import discord

from bot.clock import Clock, aware
from bot.db.models import Job, JobOrigin
from bot.errors import CannotAnswer

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
REFUSAL_SECONDS = 60.0  # a refusal in a channel goes after this long


class AnswerViews(Protocol):
    """The buttons under an answer; the Discord surface builds them."""

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


async def answer_message(
    message: discord.Message,
    reply: Callable[[], Awaitable[discord.Message]],
    direct: Callable[[list[str]], Sequence[str]],
) -> discord.Message:
    """Answer a member's `message`: by `reply()` in its channel, or, where the bot lacks a
    permission to answer there (the log names it), by the texts `direct(missing)` in the
    member's DMs, returning the last. Raises CannotAnswer when their DMs are closed too, and
    discord.HTTPException when the reply fails."""
    missing = missing_permissions(message.channel)
    if not missing:
        return await reply()
    names = ", ".join(missing)
    log.warning(
        "cannot answer user %s in channel %s: the bot lacks %s there; answering in DMs",
        message.author.id,
        message.channel.id,
        names,
    )
    try:
        dm = await message.author.create_dm()
        sent = [await dm.send(text, allowed_mentions=NO_PINGS) for text in direct(missing)]
    except discord.HTTPException:
        log.warning(
            "user %s does not take DMs either; their message in channel %s goes unanswered",
            message.author.id,
            message.channel.id,
        )
        raise CannotAnswer(missing) from None
    return sent[-1]


def only_member(user_id: int) -> discord.AllowedMentions:
    return discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(user_id)])


# Discord's name, in a webhook message's path, for an interaction's first answer: a deferral's
# "thinking..." reply is edited by it, so its id is never read back (discord.py puts it in the
# path as it is given).
ORIGINAL = cast(int, "@original")


class AnswerTarget(ABC):
    """Where a job's member is answered, worked out once from the job (`MemberAnswers.target`):
    `edit` shows a status there, `send` posts the result, `tell` leaves a note in their place.
    `route` names it in the delivery's attempts: "reply" (where the member asked), "channel" or
    "dm"."""

    route: ClassVar[str] = "reply"

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def addressed(self, text: str) -> str:
        """`text` as this target shows a result's words: a channel's mentions the member."""
        return text

    async def edit(self, text: str, *, view: discord.ui.View | None, files: list[discord.File]) -> None:
        """Show a status; a target with nothing of the bot's to edit shows none. Raises
        discord.HTTPException."""
        return None

    @abstractmethod
    async def send(
        self, files: Sequence[discord.File], view: discord.ui.LayoutView
    ) -> discord.Message | discord.WebhookMessage:
        """The finished answer, one Components V2 message (`view` holds its text, gallery and
        buttons). Raises discord.HTTPException."""

    @abstractmethod
    async def tell(self, text: str, view: discord.ui.View | None = None) -> None:
        """A note for the member in place of the answer, with `view`'s buttons. Raises
        discord.HTTPException."""


class OwnMessage(AnswerTarget):
    """The bot's own message answering a member's message: edited into each status, the result,
    or a note that mentions only the member (a note without buttons goes in a minute)."""

    def __init__(self, user_id: int, message: discord.PartialMessage) -> None:
        super().__init__(user_id)
        self._message = message

    async def edit(self, text: str, *, view: discord.ui.View | None, files: list[discord.File]) -> None:
        await self._message.edit(content=text, view=view, attachments=files, allowed_mentions=NO_PINGS)

    async def send(
        self, files: Sequence[discord.File], view: discord.ui.LayoutView
    ) -> discord.Message | discord.WebhookMessage:
        return await self._message.edit(content=None, attachments=list(files), view=view, allowed_mentions=NO_PINGS)

    async def tell(self, text: str, view: discord.ui.View | None = None) -> None:
        await self._message.edit(
            content=f"<@{self.user_id}> {text}",
            view=view,
            attachments=[],
            delete_after=None if view is not None else REFUSAL_SECONDS,
        )


class _Webhook(AnswerTarget):
    """Answers through a live interaction's webhook."""

    def __init__(self, user_id: int, hook: discord.Webhook) -> None:
        super().__init__(user_id)
        self._hook = hook

    async def _private(self, text: str, view: discord.ui.View | None) -> None:
        if view is None:
            await self._hook.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await self._hook.send(text, ephemeral=True, allowed_mentions=NO_PINGS, view=view)
        # Its buttons are DynamicItems, answered without the view: discord.py would otherwise keep
        # an ephemeral message's view, and a timer, for 15 minutes.
        view.stop()


class InteractionResponse(_Webhook):
    """The interaction's own response (its "thinking..." reply): edited into each status and the
    result; a note goes privately in its place. `message_id` is the response's id when the
    acknowledgement gave it, else ORIGINAL."""

    def __init__(self, user_id: int, hook: discord.Webhook, message_id: int) -> None:
        super().__init__(user_id, hook)
        self._message_id = message_id

    async def edit(self, text: str, *, view: discord.ui.View | None, files: list[discord.File]) -> None:
        await self._hook.edit_message(
            self._message_id, content=text, view=view, attachments=files, allowed_mentions=NO_PINGS
        )

    async def send(
        self, files: Sequence[discord.File], view: discord.ui.LayoutView
    ) -> discord.Message | discord.WebhookMessage:
        return await self._hook.edit_message(
            self._message_id,
            content=None,
            attachments=list(files),
            view=view,  # pyright: ignore[reportArgumentType]  discord.py 2.7 types it View; it takes a LayoutView
            allowed_mentions=NO_PINGS,
        )

    async def tell(self, text: str, view: discord.ui.View | None = None) -> None:
        with contextlib.suppress(discord.HTTPException):  # already gone: the note goes all the same
            await self._hook.delete_message(self._message_id)
        await self._private(text, view)


class FollowUp(_Webhook):
    """A follow-up of a live interaction that has no response of the bot's to edit (the painting
    page's): no status, the result as a new message, a note privately."""

    async def send(
        self, files: Sequence[discord.File], view: discord.ui.LayoutView
    ) -> discord.Message | discord.WebhookMessage:
        return await self._hook.send(files=list(files), view=view, allowed_mentions=NO_PINGS, wait=True)

    async def tell(self, text: str, view: discord.ui.View | None = None) -> None:
        await self._private(text, view)


class ChannelMessage(AnswerTarget):
    """A new message in the job's channel that mentions only the member: no status."""

    route: ClassVar[str] = "channel"

    def __init__(self, user_id: int, channel: discord.PartialMessageable) -> None:
        super().__init__(user_id)
        self._channel = channel

    def addressed(self, text: str) -> str:
        return f"<@{self.user_id}> {text}"

    async def send(
        self, files: Sequence[discord.File], view: discord.ui.LayoutView
    ) -> discord.Message | discord.WebhookMessage:
        return await self._channel.send(files=list(files), view=view, allowed_mentions=only_member(self.user_id))

    async def tell(self, text: str, view: discord.ui.View | None = None) -> None:
        if view is None:
            await self._channel.send(self.addressed(text), allowed_mentions=only_member(self.user_id))
        else:
            await self._channel.send(self.addressed(text), view=view, allowed_mentions=only_member(self.user_id))


class DirectMessages(AnswerTarget):
    """A new message in the member's DMs: no status."""

    route: ClassVar[str] = "dm"

    def __init__(self, user_id: int, dm: Callable[[int], Awaitable[discord.abc.Messageable]]) -> None:
        super().__init__(user_id)
        self._dm = dm

    async def send(
        self, files: Sequence[discord.File], view: discord.ui.LayoutView
    ) -> discord.Message | discord.WebhookMessage:
        return await (await self._dm(self.user_id)).send(files=list(files), view=view, allowed_mentions=NO_PINGS)

    async def tell(self, text: str, view: discord.ui.View | None = None) -> None:
        channel = await self._dm(self.user_id)
        if view is None:
            await channel.send(text, allowed_mentions=NO_PINGS)
        else:
            await channel.send(text, view=view, allowed_mentions=NO_PINGS)


class MemberAnswers:
    def __init__(
        self,
        *,
        webhook: Callable[[dict[str, Any]], discord.Webhook],
        channel: Callable[[int], discord.PartialMessageable],
        dm: Callable[[int], Awaitable[discord.abc.Messageable]],
        views: AnswerViews,
        clock: Clock,
        lifetime: timedelta,
    ) -> None:
        """`webhook` makes an interaction's webhook from its payload; `channel` a channel to send
        to; `dm` opens (or finds) the DM channel with a user; `views` make a status's Cancel. An
        interaction is answered through its webhook while its token has `lifetime` left, less a
        minute (or a tenth of it)."""
        self._webhook = webhook
        self._channel = channel
        self._dm = dm
        self._views = views
        self._clock = clock
        self._lifetime = lifetime

    def target(self, job: Job) -> AnswerTarget:
        """Where the member is answered now: a message's job by the bot's own message; an
        interaction's, while its token lives, by its response (or a follow-up, for the painting
        page's, which has none); after that by a channel message, or in their DMs where the job
        has no channel."""
        if job.origin == JobOrigin.MESSAGE and job.message_id is not None and job.channel_id is not None:
            return OwnMessage(job.user_id, self._channel(job.channel_id).get_partial_message(job.message_id))
        if self._token_lives(job):
            hook = self._webhook({"id": job.application_id, "type": 3, "token": job.interaction_token})
            if job.origin == JobOrigin.PAINTING:
                return FollowUp(job.user_id, hook)
            return InteractionResponse(job.user_id, hook, job.message_id or ORIGINAL)
        return self.fallback(job, "channel") or DirectMessages(job.user_id, self._dm)

    def fallback(self, job: Job, route: str) -> AnswerTarget | None:
        """The target of `route` ("channel" or "dm") for when the answer where the member asked
        is closed; None for a channel the job does not have."""
        if route == "dm":
            return DirectMessages(job.user_id, self._dm)
        return ChannelMessage(job.user_id, self._channel(job.channel_id)) if job.channel_id is not None else None

    def answerable(self, job: Job) -> bool:
        """Whether the member can still be answered where they asked."""
        return self.target(job).route == "reply"

    def _token_lives(self, job: Job) -> bool:
        if job.interaction_token is None:
            return False
        left = aware(job.interaction_at) + self._lifetime - self._clock.now()
        return left > min(timedelta(minutes=1), self._lifetime / 10)

    async def edit_status(
        self, job: Job, text: str, *, cancellable: bool, preview: bytes | None, spoiler: bool = False
    ) -> None:
        """Show where the job stands in the member's answer, with Cancel while it is `cancellable`
        and the `preview` image (a `spoiler` if the result will be). Raises discord.HTTPException."""
        view = self._views.cancel(job.id, job.locale) if cancellable else None
        files = [discord.File(io.BytesIO(preview), filename="preview.png", spoiler=spoiler)] if preview else []
        await self.target(job).edit(text, view=view, files=files)

    async def tell(self, job: Job, text: str, view: discord.ui.View | None = None) -> bool:
        """Tell the member `text` where they are answered, in place of any status; False (logged)
        when Discord refuses."""
        try:
            await self.target(job).tell(text, view)
            return True
        except discord.HTTPException:
            log.exception("could not tell user %s about job %s", job.user_id, job.id)
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
