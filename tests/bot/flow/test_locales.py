"""Which language an answer is in: the reader's when we have it, else the guild's (pinned by its
moderators, else Discord's community locale), else en-US."""

from types import SimpleNamespace

from bot.db.models import GuildSettings
from bot.flow.locales import Locales

PINNED, UNPINNED, UNKNOWN = 1, 2, 3


def community(guild_id: int) -> str | None:
    return {PINNED: "en-US", UNPINNED: "zh-CN"}.get(guild_id)


async def pin(sessions, guild_id: int, language: str) -> None:
    async with sessions() as session:
        session.add(GuildSettings(guild_id=guild_id, language=language))
        await session.commit()


def interaction(locale: str, guild_id: int | None, guild_locale: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        locale=SimpleNamespace(value=locale),
        guild_id=guild_id,
        guild_locale=SimpleNamespace(value=guild_locale) if guild_locale else None,
    )


async def test_a_guilds_language_is_the_pinned_one_else_its_community_locale_else_en_us(sessions):
    await pin(sessions, PINNED, "zh-CN")
    locales = Locales(sessions, community)
    assert await locales.of_guild(PINNED) == "zh-CN"  # pinned wins over the community's en-US
    assert await locales.of_guild(UNPINNED) == "zh-CN"  # the community's
    assert await locales.of_guild(UNKNOWN) == "en-US"
    assert await locales.for_settings(GuildSettings(guild_id=UNPINNED)) == "zh-CN"
    assert await locales.for_settings(GuildSettings(guild_id=UNKNOWN, language="fr")) == "en-US"  # one we lack
    assert await locales.for_settings(None) == "en-US"  # outside a guild


async def test_a_message_is_answered_in_its_guilds_discord_language():
    locales = Locales(None, community)  # type: ignore[arg-type]  # reads no settings
    in_guild = SimpleNamespace(guild=SimpleNamespace(preferred_locale=SimpleNamespace(value="zh-CN")))
    assert locales.for_message(in_guild) == "zh-CN"  # type: ignore[arg-type]
    assert locales.for_message(SimpleNamespace(guild=None)) == "en-US"  # type: ignore[arg-type]


async def test_an_interaction_is_answered_in_the_readers_language_then_the_guilds(sessions):
    await pin(sessions, PINNED, "zh-CN")
    locales = Locales(sessions, community)
    assert await locales.for_interaction(interaction("en-US", PINNED)) == "en-US"  # the reader's own
    assert await locales.for_interaction(interaction("fr", PINNED, "en-US")) == "zh-CN"  # read from the database
    assert await locales.for_interaction(interaction("fr", UNKNOWN, "zh-CN")) == "zh-CN"  # the guild's Discord one
    assert await locales.for_interaction(interaction("fr", None)) == "en-US"  # a DM
    given = GuildSettings(guild_id=UNKNOWN, language="zh-CN")  # settings already loaded: no read
    assert await Locales(None, community).for_interaction(interaction("fr", UNKNOWN), given) == "zh-CN"  # type: ignore[arg-type]
