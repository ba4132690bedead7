"""Whose key pays: the bot's, or a guild's own, checked, sealed and logged by its last four only;
each guild's account looked up at most every ACCOUNT_SECONDS; a guild's key refused or out of
credit reported as the guild's. The clients are real, on the Images stand-ins (the bot's account
and a guild's own, at a base URL of its own)."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.db.models import SettingsChange
from bot.errors import GuildKeyFailed, InvalidRequest
from bot.flow.accounts import ACCOUNT_SECONDS, Account, Accounts, key_failed
from bot.images import ImagesClient
from bot.images import errors as images_errors
from bot.images.chat import ChatClient
from bot.images.transport import Transport, TransportSettings
from bot.logs import redact
from bot.netguard import AddressRules
from bot.vault import KeyVault
from tests.helpers import keyless_accounts
from tests.standins.images_rules import API_KEY, GUILD_API_KEY

SECRET = "a-test-secret-key-that-is-long-enough-for-the-vault"
GUILD, MODERATOR = 10, 50
NAMES = {"images.example.com": ["93.184.215.14"], "intranet.example.com": ["10.0.0.7"]}


class Ticks:
    """Monotonic time only: all that Accounts reads."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        return self.seconds


async def lookup(host: str, _port: int) -> list[str]:
    return NAMES.get(host, ["127.0.0.1"])


class Bot:
    """What an Accounts is built of, on the stand-ins."""

    def __init__(self, sessions, session: aiohttp.ClientSession, images_api) -> None:
        self.sessions, self.clock = sessions, Ticks()
        self.rules = AddressRules(["127.0.0.0/8"], lookup=lookup)
        settings = TransportSettings(max_retries=0)
        self.transport = Transport(
            session, base_url=images_api.base_url, api_key=API_KEY, settings=settings, rules=self.rules
        )

    def accounts(self, *, vault: KeyVault | None = None, prefixes=("http://127.0.0.1", "https://")) -> Accounts:
        return Accounts(
            sessions=self.sessions,
            images=ImagesClient(self.transport),
            chat=ChatClient(self.transport),
            vault=vault if vault is not None else KeyVault(SECRET),
            base_url_prefixes=list(prefixes),
            rules=self.rules,
            parallel_requests=2,
            clock=self.clock,
        )


@pytest.fixture
async def bot(sessions, images_api) -> AsyncIterator[Bot]:
    async with aiohttp.ClientSession() as session:
        yield Bot(sessions, session, images_api)


async def key_changes(sessions) -> list[tuple[int, str | None, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(SettingsChange).order_by(SettingsChange.id))
        return [(row.user_id, row.old_value, row.new_value) for row in rows if row.setting == "api_key"]


async def test_outside_a_guild_or_without_a_key_the_bot_pays(bot, images_api):
    accounts = bot.accounts()
    for guild_id in (None, GUILD):
        account = await accounts.for_guild(guild_id)
        assert (account.paid_by, account.last_four) == ("bot", None)
    assert await account.images.list_models()  # the bot's key, at the operator's base URL


async def test_a_guilds_key_pays_at_its_base_url_and_only_its_last_four_are_shown(bot, guild_images_api):
    accounts = bot.accounts()
    assert await accounts.set_key(GUILD, MODERATOR, GUILD_API_KEY, guild_images_api.base_url) == GUILD_API_KEY[-4:]
    account = await accounts.for_guild(GUILD)
    assert (account.paid_by, account.last_four) == (f"guild …{GUILD_API_KEY[-4:]}", GUILD_API_KEY[-4:])
    assert await account.images.list_models()  # the guild's stand-in accepts only the guild's key
    assert redact(f"key {GUILD_API_KEY}") != f"key {GUILD_API_KEY}"  # blanked out of every log line
    async with bot.sessions() as session:
        assert await accounts.describe(session, GUILD) == (GUILD_API_KEY[-4:], guild_images_api.base_url)
        assert await accounts.describe(session, GUILD + 1) is None
    assert (await accounts.for_guild(GUILD + 1)).paid_by == "bot"
    assert await accounts.remove_key(GUILD, MODERATOR) == GUILD_API_KEY[-4:]
    assert (await accounts.for_guild(GUILD)).paid_by == "bot"  # seen at once in this process
    assert await accounts.remove_key(GUILD, MODERATOR) is None
    shown = f"…{GUILD_API_KEY[-4:]}"
    assert await key_changes(bot.sessions) == [(MODERATOR, None, shown), (MODERATOR, shown, None)]


async def test_a_key_set_in_another_process_is_seen_within_the_lookup_interval(bot, guild_images_api):
    here, there = bot.accounts(), bot.accounts()
    assert (await here.for_guild(GUILD)).paid_by == "bot"
    await there.set_key(GUILD, MODERATOR, GUILD_API_KEY, None)  # the operator's base URL
    bot.clock.seconds += ACCOUNT_SECONDS - 1
    assert (await here.for_guild(GUILD)).paid_by == "bot"  # not read again yet
    bot.clock.seconds += 1
    assert (await here.for_guild(GUILD)).last_four == GUILD_API_KEY[-4:]


@pytest.mark.parametrize(
    "key", ["sk-short", "sk-" + "x" * 400, "sk-has a space-0123456789", "sk-ünïcode-0123456789abc"]
)
async def test_what_is_not_a_key_is_refused_and_nothing_is_saved(bot, key):
    with pytest.raises(InvalidRequest, match="doesn't look like an API key"):
        await bot.accounts().set_key(GUILD, MODERATOR, key, None)
    assert await key_changes(bot.sessions) == []


@pytest.mark.parametrize(
    ("base_url", "prefixes", "says"),
    [
        ("https://images.example.com/v1", (), "does not let servers choose a base URL"),
        ("ftp://images.example.com/v1", ("https://",), "must start with https://"),
        ("https://images.example.com/ v1", ("https://",), "must start with"),
        ("https://intranet.example.com/v1", ("https://",), "does not connect to"),
        ("https://10.0.0.7/v1", ("https://",), "does not connect to"),
    ],
)
async def test_a_base_url_not_allowed_or_reaching_a_private_address_is_refused(bot, base_url, prefixes, says):
    with pytest.raises(InvalidRequest, match=says):
        await bot.accounts(prefixes=prefixes).set_key(GUILD, MODERATOR, GUILD_API_KEY, base_url)
    assert await key_changes(bot.sessions) == []


async def test_a_public_base_url_is_accepted(bot):
    await bot.accounts(prefixes=("https://",)).set_key(GUILD, MODERATOR, GUILD_API_KEY, "https://images.example.com/v1")
    assert len(await key_changes(bot.sessions)) == 1


async def test_without_a_secret_key_guilds_cannot_set_keys_and_the_bot_always_pays(bot, sessions):
    accounts = keyless_accounts(sessions, bot.transport, rules=bot.rules, clock=bot.clock)
    with pytest.raises(InvalidRequest, match=r"security\.secret_key"):
        await accounts.set_key(GUILD, MODERATOR, GUILD_API_KEY, None)
    await bot.accounts().set_key(GUILD, MODERATOR, GUILD_API_KEY, None)  # stored by a process that can
    assert (await accounts.for_guild(GUILD)).paid_by == "bot"


async def test_a_key_sealed_under_another_secret_fails_as_the_guilds_key(bot):
    await bot.accounts().set_key(GUILD, MODERATOR, GUILD_API_KEY, None)
    with pytest.raises(GuildKeyFailed) as failed:
        await bot.accounts(vault=KeyVault("another-secret-key-that-is-long-enough")).for_guild(GUILD)
    assert (failed.value.last_four, failed.value.out_of_credit) == (GUILD_API_KEY[-4:], False)


def test_a_guild_accounts_refusals_are_the_guilds_and_the_bots_are_themselves():
    bots = Account(images=None, chat=None, paid_by="bot")  # type: ignore[arg-type]
    guilds = Account(images=None, chat=None, paid_by="guild …abcd", last_four="abcd")  # type: ignore[arg-type]
    refused = images_errors.AuthenticationError("no", status=401)
    spent = images_errors.QuotaExceededError("out", status=429)
    busy = images_errors.RateLimitError("busy", status=429)
    assert bots.fault(refused) is refused and bots.fault(spent) is spent
    assert guilds.fault(busy) is busy
    for error, out_of_credit in ((refused, False), (spent, True)):
        fault = guilds.fault(error)
        assert isinstance(fault, GuildKeyFailed)
        assert (fault.last_four, fault.out_of_credit) == ("abcd", out_of_credit)
    assert key_failed("abcd", out_of_credit=True).code == "guild_key_no_credit"
