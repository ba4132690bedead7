"""ORM models. Schema changes go through Alembic migrations in `migrations/`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from bot.clock import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Row ids are 64-bit, so any id a custom id can carry fits the column (on SQLite, INTEGER is
# 64-bit already and must stay the rowid's alias).
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UsageStatus(StrEnum):
    """Values of `UsageRecord.status` (stored as these strings). Failures carry the error's kind in `error_code`."""

    PENDING = "pending"
    OK = "ok"
    PARTIAL = "partial"
    REFUSED = "refused"
    INVALID = "invalid"
    LIMITED = "limited"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    FAILED = "failed"
    FLAGGED = "flagged"  # the moderation screening refused it: nothing paid for
    FILTERED = "filtered"  # one of the guild's word filters matched: nothing sent anywhere


class UsageRecord(Base):
    """One row per member request, successful or not."""

    __tablename__ = "usage"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    interaction_id: Mapped[int | None] = mapped_column(BigInteger)
    command: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[str | None] = mapped_column(String(20))
    quality: Mapped[str | None] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer, default=1)
    prompt: Mapped[str | None] = mapped_column(Text)
    revised_prompt: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(String(500))
    image_count: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    total_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    reserved_usd: Mapped[float] = mapped_column(Float, default=0.0)
    reserved_images: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    delivery: Mapped[str | None] = mapped_column(String(16))
    runs: Mapped[int | None] = mapped_column(Integer)  # 2 when a process died running it and another ran it again
    paid_by: Mapped[str | None] = mapped_column(String(16))  # "bot", or "guild …abcd": the guild's own key
    style: Mapped[str | None] = mapped_column(String(32))  # the style the member's prompt was set in
    via: Mapped[str | None] = mapped_column(String(16))  # "reply": asked by a message, not a command
    parent_id: Mapped[int | None] = mapped_column(RowId)  # the row whose result this one continues
    flags: Mapped[str | None] = mapped_column(String(300))  # what screening flagged, or the filter that matched
    screened: Mapped[bool | None] = mapped_column(Boolean)  # False: the screening failed and the request went on
    review: Mapped[str | None] = mapped_column(String(16))  # a moderator's action on a flagged row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @validates("prompt")
    def _storable_prompt(self, _key: str, prompt: str | None) -> str | None:
        """The prompt as it can be stored: PostgreSQL's text holds no NUL, so a NUL (which intake
        refuses) is kept as its picture, ␀, and the refused request's row is written all the same."""
        return prompt.replace("\x00", "\u2400") if prompt is not None else None

    def channel_link(self) -> str:
        """A link to the channel the request was asked in (a DM's under `@me`)."""
        return f"https://discord.com/channels/{self.guild_id or '@me'}/{self.channel_id}"

    def jump_link(self) -> str:
        """A link to the request's result message, or with none to its channel."""
        return self.channel_link() if self.message_id is None else f"{self.channel_link()}/{self.message_id}"

    __table_args__ = (
        Index("ix_usage_guild_created", "guild_id", "created_at"),
        Index("ix_usage_guild_user_created", "guild_id", "user_id", "created_at"),
        Index("ix_usage_created", "created_at"),
        Index("ix_usage_user_id", "user_id"),  # /forget-me
        Index("ix_usage_message_id", "message_id"),  # a reply to a result finds its row
        Index("ix_usage_guild_status_created", "guild_id", "status", "created_at"),  # /usage flagged, strikes
    )


class DeliveryOutcome(StrEnum):
    """Values of `UsageRecord.delivery` (stored as these strings): what became of images the provider made."""

    DELIVERED = "delivered"
    DELIVERED_LATE = "delivered_late"
    KEPT = "kept"
    EXPIRED = "expired"
    WITHHELD = "withheld"  # made and charged, but screening flagged the images: never posted


class DeliveryAttempt(Base):
    """One try at getting a result to its member: the route taken and what Discord said."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    usage_id: Mapped[int] = mapped_column(RowId, index=True)
    route: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeptResult(Base):
    """An image the provider made, kept for its member until `expires_at`: `held` from the moment
    its cost is settled until it is delivered (then removed), so that a crash in between delivers
    it from here rather than making it again; no longer held when Discord would not take it, and
    then /results hands it over."""

    __tablename__ = "kept_result"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    usage_id: Mapped[int] = mapped_column(RowId, index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_kept_result_user_id", "user_id", "created_at"),)


class ResultPreview(Base):
    """Where a delivered result's images are (their attachment links, which Discord expires), and,
    once /history has shown it, a small contact sheet of them: made when first looked at, not as
    the result is delivered, so a result costs no decode for a preview nobody may open."""

    __tablename__ = "result_preview"

    usage_id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=False)
    image_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    spoiler: Mapped[bool] = mapped_column(Boolean, default=False)  # the result was hidden: so is its preview
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Description(Base):
    """The prompts /describe gave for an image, kept for its Imagine buttons, whose custom ids
    carry only the row's id (they work after a restart)."""

    __tablename__ = "description"

    usage_id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=False)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    prompts: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReferenceScope(StrEnum):
    """Values of `Reference.scope` (stored as these strings): whose the reference is."""

    SERVER = "server"  # a guild's: every member there may use it; its moderators add and remove it
    MEMBER = "member"  # one member's own, wherever they use the bot


class Reference(Base):
    """A saved reference image (/references): screened and fitted when saved, its PNG kept here so
    that every process reads it when a job that names it by `id` runs. `owner_id` is the guild's id
    (scope server) or the member's (scope member); names are unique within an owner."""

    __tablename__ = "reference"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(BigInteger)  # 0 once its member used /forget-me
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("scope", "owner_id", "name"),
        Index("ix_reference_created_by", "created_by"),  # /forget-me
    )


class GuildSettings(Base):
    """A guild's policy, set by its moderators with /settings. Empty lists mean "no restriction"."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    images_per_day: Mapped[int | None] = mapped_column(Integer)
    cooldown_seconds: Mapped[int | None] = mapped_column(Integer)
    monthly_budget_usd: Mapped[float | None] = mapped_column(Float)
    alert_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    allowed_models: Mapped[list[str]] = mapped_column(JSON, default=list)
    allowed_sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    exempt_role_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    prompt_retention_days: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(10))
    budget_alert_period: Mapped[str | None] = mapped_column(String(7))
    budget_alert_percent: Mapped[int] = mapped_column(Integer, default=0)
    quota_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    key_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the guild's own key failed
    spoiler_always: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    drafts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # /imagine drafts by default
    moderation_level: Mapped[str] = mapped_column(String(8), default="auto", server_default="auto")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WordFilter(Base):
    """A guild's word filter: a pattern key (bot/wordfilter.py) that refuses a prompt it matches."""

    __tablename__ = "word_filter"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pattern: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberBlock(Base):
    """A member blocked in a guild until `until` (None: for good), by a moderator (with a
    notice's buttons or `/settings block`) or by strikes; a timed block ends by itself, and
    `/settings block remove` lifts any block."""

    __tablename__ = "member_block"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(16))  # "moderator" or "strikes"
    blocked_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaintTicket(Base):
    """A painting page's link, handed to one member for one image: what the edit needs once the
    page sends its mask, the interaction to answer through, and whether it was used (once)."""

    __tablename__ = "paint_ticket"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    application_id: Mapped[int] = mapped_column(BigInteger)
    interaction_token: Mapped[str] = mapped_column(String(500))
    interaction_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attachment_limit: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(10))
    source: Mapped[dict[str, Any]] = mapped_column(JSON)  # the image: url, size, filename
    roles: Mapped[list[int]] = mapped_column(JSON, default=list)  # the member's roles, for the policy
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GuildStyle(Base):
    """A guild's prompt style: a template with `{prompt}` where the member's prompt goes."""

    __tablename__ = "guild_style"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    template: Mapped[str] = mapped_column(String(1000))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GuildApiKey(Base):
    """A guild's own Images API key, sealed (bot/vault.py); only its last four characters are
    kept in the clear, to show moderators which key is set."""

    __tablename__ = "guild_api_key"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    last_four: Mapped[str] = mapped_column(String(4))
    base_url: Mapped[str | None] = mapped_column(String(300))
    set_by: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SettingsChange(Base):
    """Who changed which setting of a guild, when, from what to what."""

    __tablename__ = "settings_change"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    setting: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UsageCounter(Base):
    """Reserved and spent amounts per guild and period, changed only by conditional updates so
    that concurrent requests, in any number of processes, cannot pass a limit together.

    subject "budget" counts USD per month ("2026-11"); subject "images:USER_ID" counts images
    per day ("2026-11-23").
    """

    __tablename__ = "usage_counter"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    subject: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    amount: Mapped[float] = mapped_column(Float, default=0.0)


class JobState(StrEnum):
    """Values of `Job.state` (stored as these strings)."""

    QUEUED = "queued"
    RUNNING = "running"
    DELIVERING = "delivering"  # the provider is done with it: it no longer counts against the caps
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


UNFINISHED = (JobState.QUEUED, JobState.RUNNING, JobState.DELIVERING)  # the states of a job still to run


class JobOrigin(StrEnum):
    """Values of `Job.origin` (stored as these strings): what asked for the job, and so how its member is answered."""

    INTERACTION = "interaction"  # a command, menu, button or form: answered through its webhook
    MESSAGE = "message"  # a message (a reply to an image): answered by a message of the bot's own
    PAINTING = "painting"  # the painting page: answered by a follow-up of the interaction that offered the link


class Job(Base):
    """An accepted request, from the moment it is accepted until its result is delivered.

    `params` holds what running it needs (prompt, model, sources...). The interaction token is
    kept only while the job is unfinished: it is how the interaction's response is edited, even after a restart.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    usage_id: Mapped[int] = mapped_column(RowId, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16), default=JobOrigin.INTERACTION, server_default="interaction")
    state: Mapped[str] = mapped_column(String(16), index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    locale: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    application_id: Mapped[int] = mapped_column(BigInteger)
    interaction_token: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    attachment_limit: Mapped[int] = mapped_column(Integer)
    interaction_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The shared queue (PostgreSQL): the process running the job, until when its claim holds
    # (it renews it), and how many times a process has started the job.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A provider's Retry-After longer than a retry waits: the job waits in the queue until then.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_job_guild_started", "guild_id", "started_at"),  # the shared queue's turn order
        Index("ix_job_user_id", "user_id"),  # /forget-me
        Index("ix_job_finished", "finished_at"),  # pruning
    )
