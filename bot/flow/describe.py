"""/describe and the message menu "Describe image": an image turned into four prompts by a
vision-capable chat model, and the Imagine buttons that run one of them as /imagine.

A description goes the way of a request: a usage row at once, "thinking..." within Discord's three
seconds, the guild's policy (word filters, blocks, channels, cooldown; one of the member's daily
images and the answer's most cost reserved against the budget), screening of the input image, the
call with the paying account's key, and the tokens the answer reports settling the cost. It is
answered while the member waits (a chat answer takes seconds), not queued. The prompts are kept
by the row's id, so the buttons work after a restart; anyone where the description was posted may
press them, each press an /imagine of the presser's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy, Requester
from bot.billing.usage import UsageLog, finish_described, guild_scope, start_record
from bot.db.models import Description, UsageRecord
from bot.db.policy import get_settings
from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest, Unavailable, UnusableAnswer
from bot.flow.accounts import Account, Accounts
from bot.flow.admission import Admission
from bot.flow.intake import Intake
from bot.flow.notices import ModeratorNotices
from bot.flow.origin import age_restricted
from bot.flow.production import provider_user_id
from bot.flow.screening import Screener
from bot.flow.sources import SourceImage
from bot.i18n import _
from bot.images import errors as images_errors
from bot.images.chat import ChatAnswer
from bot.imaging import ImageDataError, vision_copy
from bot.threads import BoundedThreads

PROMPTS = 4
MAX_PROMPT_CHARS = 1000
INSTRUCTIONS = (
    "You write prompts for an image generator. Look at the image and write four different prompts, each of "
    "which would make a picture like it: its subject, composition, style, medium, lighting and colours. Make "
    "the four differ in emphasis or wording. Each prompt is one to three sentences, under 600 characters. "
    'Answer with JSON only: {"prompts": ["…", "…", "…", "…"]}.'
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"prompts": {"type": "array", "items": {"type": "string"}}},
    "required": ["prompts"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Describing:
    """What describes: the chat model, and the most its answer may be (which is also reserved)."""

    model: str
    max_output_tokens: int


def read_prompts(answer: ChatAnswer) -> tuple[str, ...]:
    """The four different prompts of an answer; UnusableAnswer when it holds no such thing."""
    unusable = UnusableAnswer(_("The description model did not answer with prompts. Please try again."))
    try:
        body = json.loads(answer.text or "")
    except ValueError:
        raise unusable from None
    items = body.get("prompts") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise unusable
    prompts: list[str] = []
    for item in items:
        text = " ".join(item.split()) if isinstance(item, str) else ""
        if text and len(text) <= MAX_PROMPT_CHARS and text not in prompts:
            prompts.append(text)
    if len(prompts) < PROMPTS:
        raise unusable
    return tuple(prompts[:PROMPTS])


class Describer:
    def __init__(
        self,
        *,
        describing: Describing,
        policy: Policy,
        admission: Admission,
        intake: Intake,
        usage: UsageLog,
        sessions: async_sessionmaker[AsyncSession],
        accounts: Accounts,
        downloads: AttachmentDownloader,
        threads: BoundedThreads,
        screener: Screener | None,
        notices: ModeratorNotices,
    ) -> None:
        """`screener` screens the input image (None: screening is off); `notices` tell a guild's
        moderators when its budget crosses a threshold."""
        self._describing = describing
        self._policy = policy
        self._admission = admission
        self._intake = intake
        self._usage = usage
        self._sessions = sessions
        self._accounts = accounts
        self._downloads = downloads
        self._threads = threads
        self._screener = screener
        self._notices = notices

    async def describe(self, interaction: discord.Interaction, image: SourceImage) -> tuple[int, tuple[str, ...]]:
        """Four prompts for `image`, and the id of the row that keeps them (the buttons carry it)."""
        self._admission.check_accepting()
        record = start_record(interaction, command="describe", model=self._describing.model)
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        await self._usage.save(record)
        relaxed = await self._admit(interaction, record)
        data = await self._downloads.fetch(image.url, declared_size=image.size)
        try:
            copy, media_type = await self._threads.run(vision_copy, data)
        except ImageDataError as exc:
            raise InvalidRequest(_("That image can't be used: {reason}.", reason=exc.reason)) from None
        if self._screener is not None:
            record.screened = (await self._screener.check_inputs(None, [copy], relaxed=relaxed)).screened
        account = await self._accounts.for_guild(record.guild_id)
        record.paid_by = account.paid_by
        answer = await self._ask(account, copy, media_type, interaction.user.id)
        async with self._sessions() as session:
            notice = await self._policy.settle_description(session, record, answer.usage)
            session.add(record)
            await session.commit()  # the tokens are spent whether or not the answer is usable
        prompts = read_prompts(answer)
        finish_described(record, answer.usage)
        async with self._sessions() as session:
            session.add_all([record, Description(usage_id=record.id, guild_id=record.guild_id, prompts=list(prompts))])
            await session.commit()
        if notice is not None and record.guild_id is not None:
            await self._notices.post(record.guild_id, notice)
        return record.id, prompts

    async def _admit(self, interaction: discord.Interaction, record: UsageRecord) -> bool:
        """Apply the guild's policy and reserve, in one unit of work; returns whether screening is
        relaxed (the guild's `low` level, in an age-restricted channel)."""
        estimate = self._policy.prices.chat_estimate(self._describing.model, self._describing.max_output_tokens)
        async with self._sessions() as session:
            settings = await get_settings(session, record.guild_id) if record.guild_id is not None else None
            await self._policy.admit_description(session, Requester.from_interaction(interaction), record, estimate)
            session.add(record)
            await session.commit()
        return age_restricted(interaction.channel) and settings is not None and settings.moderation_level == "low"

    async def _ask(self, account: Account, image: bytes, media_type: str, user_id: int) -> ChatAnswer:
        try:
            return await account.chat.ask_about_image(
                model=self._describing.model,
                instructions=INSTRUCTIONS,
                image=image,
                media_type=media_type,
                schema_name="image_prompts",
                schema=SCHEMA,
                max_output_tokens=self._describing.max_output_tokens,
                user=provider_user_id(user_id),
            )
        except images_errors.NotFoundError as exc:
            if exc.code == "model_not_found":
                raise Unavailable(
                    _(
                        "The image service does not know the description model `{model}`. "
                        "Please let the bot's operator know.",
                        model=self._describing.model,
                    )
                ) from None
            raise Unavailable(
                _("This bot's image service has no chat endpoint, so it can't describe images.")
            ) from None
        except images_errors.ImagesError as exc:
            raise account.fault(exc) from None

    async def imagine(self, interaction: discord.Interaction, usage_id: int, number: int) -> None:
        """Imagine `number` (1…4) under a description: /imagine with that prompt, as the presser's
        own request. Anyone in the channel where the description was posted may press it (in
        personal use, only its member)."""
        async with self._sessions() as session:
            description = await session.get(Description, usage_id)
            row = await session.get(UsageRecord, usage_id)
        if (
            description is None
            or row is None
            or description.guild_id != guild_scope(interaction)
            or row.channel_id != interaction.channel_id  # custom ids are forgeable: only where it was posted
            or (description.guild_id is None and row.user_id != interaction.user.id)  # personal use: its member's
            or not 1 <= number <= len(description.prompts)
        ):
            raise InvalidRequest(_("That description is gone. Run /describe again."))
        await self._intake.generate(
            interaction,
            command="imagine",
            prompt=description.prompts[number - 1],
            model=None,
            size=None,
            quality=None,
            n=1,
        )
