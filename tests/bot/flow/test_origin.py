"""The three ways in, each made into one Origin: who asks (the policy's Requester), the job that
answers (its origin, channel, message, token, upload limit), its language and whether it is
age-restricted. The objects read are shaped as discord.py's; the scenarios through the real bot
are in tests/e2e (imagine/test_imagine, replies/test_replies, painting/test_painting)."""

from datetime import UTC, datetime
from types import SimpleNamespace

from bot.billing.policy import Requester
from bot.db.models import GuildSettings, JobOrigin, PaintTicket
from bot.flow.locales import Locales
from bot.flow.origin import DM_UPLOAD_LIMIT, Origin, age_restricted, message_requester

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GUILD, CHANNEL, MEMBER, APP = 10, 20, 30, 40
ROLES = [SimpleNamespace(id=1), SimpleNamespace(id=2)]


def channel(*, nsfw: bool, guild: object | None) -> SimpleNamespace:
    return SimpleNamespace(id=CHANNEL, guild=guild, is_nsfw=lambda: nsfw)


def interaction(*, nsfw: bool = False, locale: str = "zh-CN") -> SimpleNamespace:
    guild = SimpleNamespace(id=GUILD)
    return SimpleNamespace(
        guild_id=GUILD,
        channel_id=CHANNEL,
        channel=channel(nsfw=nsfw, guild=guild),
        user=SimpleNamespace(id=MEMBER, roles=ROLES),
        is_guild_integration=lambda: True,
        application_id=APP,
        token="interaction-token",
        filesize_limit=25 * 2**20,
        created_at=AT,
        locale=SimpleNamespace(value=locale),
        guild_locale=SimpleNamespace(value="en-US"),
    )


def message(*, nsfw: bool = True) -> SimpleNamespace:
    guild = SimpleNamespace(id=GUILD, filesize_limit=50 * 2**20)
    return SimpleNamespace(
        guild=guild,
        channel=channel(nsfw=nsfw, guild=guild),
        author=SimpleNamespace(id=MEMBER, roles=ROLES),
        created_at=AT,
    )


def locales() -> Locales:
    return Locales(sessions=None, community_locale=lambda _guild_id: "zh-CN")


def settings(language: str | None = None) -> GuildSettings:
    return GuildSettings(guild_id=GUILD, language=language)


async def test_an_interactions_job_answers_through_its_webhook_in_the_readers_language():
    origin = Origin.of_interaction(interaction(), message_id=99, locales=locales())
    assert origin.requester == Requester(GUILD, CHANNEL, MEMBER, frozenset({1, 2}))
    job = origin.job()
    assert (job.origin, job.guild_id, job.channel_id, job.user_id) == (JobOrigin.INTERACTION, GUILD, CHANNEL, MEMBER)
    assert (job.application_id, job.interaction_token, job.message_id) == (APP, "interaction-token", 99)
    assert (job.attachment_limit, job.interaction_at) == (25 * 2**20, AT)
    assert await origin.locale_of(settings()) == "zh-CN"  # the member's Discord language
    french = Origin.of_interaction(interaction(locale="fr"), message_id=99, locales=locales())
    assert await french.locale_of(settings(language="zh-CN")) == "zh-CN"  # one we lack: the guild's pinned one
    assert await french.locale_of(settings()) == "en-US"  # else the guild's Discord language
    assert not origin.age_restricted
    assert Origin.of_interaction(interaction(nsfw=True), message_id=99, locales=locales()).age_restricted


async def test_a_messages_job_answers_in_the_bots_own_message_in_the_guilds_language():
    asked = message()
    status = SimpleNamespace(id=77, channel=asked.channel, guild=asked.guild)
    origin = Origin.of_message(asked, status=status, application_id=APP, locales=locales())
    assert origin.requester == message_requester(asked) == Requester(GUILD, CHANNEL, MEMBER, frozenset({1, 2}))
    job = origin.job()
    assert (job.origin, job.channel_id, job.message_id, job.interaction_token) == (JobOrigin.MESSAGE, CHANNEL, 77, None)
    assert (job.attachment_limit, job.interaction_at, job.application_id) == (50 * 2**20, AT, APP)
    assert await origin.locale_of(settings()) == "zh-CN"  # the guild's community language
    assert await origin.locale_of(None) == "en-US"
    assert origin.age_restricted


async def test_a_message_answered_in_the_members_dms_has_the_dms_limit_and_is_never_age_restricted():
    asked = message(nsfw=True)
    dm = SimpleNamespace(id=555)
    status = SimpleNamespace(id=78, channel=dm, guild=None)
    origin = Origin.of_message(asked, status=status, application_id=APP, locales=locales())
    job = origin.job()
    assert (job.guild_id, job.channel_id, job.message_id) == (GUILD, 555, 78)  # the guild's policy, the DM's answer
    assert job.attachment_limit == DM_UPLOAD_LIMIT
    assert not origin.age_restricted


async def test_a_painting_tickets_job_is_a_follow_up_of_the_interaction_that_offered_the_link():
    ticket = PaintTicket(
        nonce="n",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        application_id=APP,
        interaction_token="offering-token",
        interaction_at=AT,
        attachment_limit=8 * 2**20,
        locale="zh-CN",
        source={},
        roles=[3],
        created_at=AT,
    )
    origin = Origin.of_ticket(ticket)
    assert origin.requester == Requester(GUILD, CHANNEL, MEMBER, frozenset({3}))
    job = origin.job()
    assert (job.origin, job.message_id, job.interaction_token) == (JobOrigin.PAINTING, None, "offering-token")
    assert (job.channel_id, job.attachment_limit, job.interaction_at) == (CHANNEL, 8 * 2**20, AT)
    assert await origin.locale_of(settings(language="en-US")) == "zh-CN"  # the language the link was offered in
    assert not origin.age_restricted


def test_only_a_guild_channel_marked_nsfw_is_age_restricted():
    assert age_restricted(channel(nsfw=True, guild=SimpleNamespace(id=GUILD)))
    assert not age_restricted(channel(nsfw=False, guild=SimpleNamespace(id=GUILD)))
    assert not age_restricted(channel(nsfw=True, guild=None))
    assert not age_restricted(SimpleNamespace(id=CHANNEL))  # a DM channel has no is_nsfw
