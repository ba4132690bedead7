"""Accounts: which Images API key pays for a guild's requests, the bot's or the guild's own.

A guild's own key is kept sealed (bot/vault.py) and opened only to build the client that makes
its requests; it is registered with the log redaction as soon as it is known, and only its
last four characters are ever shown or recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.keys import delete_guild_key, get_guild_key, put_guild_key
from bot.db.models import GuildApiKey
from bot.db.policy import log_change
from bot.errors import GuildKeyFailed, InvalidRequest
from bot.i18n import _
from bot.images import ImagesClient
from bot.images import errors as images_errors
from bot.images.chat import ChatClient
from bot.logs import forget_secrets, register_secrets
from bot.netguard import AddressRefused, AddressRules
from bot.vault import KeyVault, VaultError

log = logging.getLogger(__name__)

BOT = "bot"
KEY_SETTING = "api_key"
# A key shorter than this is no provider's; and whatever is registered is blanked out of every log
# line, so a short "key" (say `discord.`) would blank ordinary words.
MIN_KEY_CHARS, MAX_KEY_CHARS = 20, 400
ACCOUNT_SECONDS = 30.0


def _shown(last_four: str | None) -> str | None:
    return f"…{last_four}" if last_four is not None else None


@dataclass(frozen=True)
class Account:
    images: ImagesClient
    chat: ChatClient  # the same key at describe.base_url (a guild's own base URL, where it set one)
    paid_by: str  # "bot", or "guild …abcd"
    last_four: str | None = None  # the guild's own key's, when it pays

    def fault(self, error: Exception) -> Exception:
        """The error to report for `error`: a guild key refused or out of credit becomes
        `GuildKeyFailed` (its moderators are told, not the member); anything else is itself."""
        if self.last_four is None:
            return error
        if isinstance(error, images_errors.AuthenticationError | images_errors.BlockedAddressError):
            return key_failed(self.last_four, out_of_credit=False)
        if isinstance(error, images_errors.QuotaExceededError):
            return key_failed(self.last_four, out_of_credit=True)
        return error


def key_failed(last_four: str, *, out_of_credit: bool) -> GuildKeyFailed:
    if out_of_credit:
        message = _("This server's image service account is out of credit. The server's moderators need to fix it.")
    else:
        message = _("This server's own image service key is not working. The server's moderators need to fix it.")
    return GuildKeyFailed(message, last_four=last_four, out_of_credit=out_of_credit)


class Accounts:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        images: ImagesClient,
        chat: ChatClient,
        vault: KeyVault | None,
        base_url_prefixes: list[str],
        rules: AddressRules,
        parallel_requests: int,
        clock: Clock,
    ) -> None:
        """`vault` is None when the operator set no `security.secret_key`: guilds cannot set keys.
        A guild's own base URL must start with one of `base_url_prefixes` (none: it cannot set one)
        and reach only where the address `rules` permit; each guild's account makes at most
        `parallel_requests` at once. `chat` is the bot's chat client (describe.base_url)."""
        self._sessions = sessions
        self._images = images
        self._chat = chat
        self._vault = vault
        self._base_url_prefixes = tuple(base_url_prefixes)
        self._rules = rules
        self._parallel_requests = parallel_requests
        self._clock = clock
        self._bot = Account(images, chat, BOT)
        self._accounts: dict[int, tuple[float, Account]] = {}  # by guild: until when, and the account
        self._redacted: dict[int, str] = {}  # by guild: the key this process registered for redaction

    def require_vault(self) -> KeyVault:
        """The vault, or the refusal that says why guilds cannot set keys here."""
        if self._vault is None:
            raise InvalidRequest(
                _(
                    "This bot cannot store server keys: its operator has not set security.secret_key "
                    "(or IMAGEBOT_SECRET_KEY). Ask them to set one."
                )
            )
        return self._vault

    async def _check(self, api_key: str, base_url: str | None) -> None:
        if not MIN_KEY_CHARS <= len(api_key) <= MAX_KEY_CHARS or not all("!" <= char <= "~" for char in api_key):
            raise InvalidRequest(
                _("That doesn't look like an API key: paste the whole key, without spaces. Nothing was saved.")
            )
        if base_url is None:
            return
        if not self._base_url_prefixes:
            raise InvalidRequest(_("This bot's operator does not let servers choose a base URL. Nothing was saved."))
        if not base_url.startswith(self._base_url_prefixes) or any(char.isspace() for char in base_url):
            raise InvalidRequest(
                _(
                    "The base URL must start with {prefixes}, like https://api.openai.com/v1. Nothing was saved.",
                    prefixes=" or ".join(self._base_url_prefixes),
                )
            )
        try:
            await self._rules.vet_url(base_url)
        except AddressRefused as exc:
            log.info("refused a guild's base URL: %s", exc)
            raise InvalidRequest(
                _(
                    "That base URL points at an address this bot does not connect to (an IP address, or a "
                    "private or local network). Use the image service's public https:// address. Nothing was saved."
                )
            ) from None

    async def set_key(self, guild_id: int, user_id: int, api_key: str, base_url: str | None) -> str:
        """Check, seal and store the guild's key, with a change-log row that shows only its last
        four characters, in one unit of work; returns those four."""
        vault = self.require_vault()
        await self._check(api_key, base_url)
        self._redact(guild_id, api_key)
        last_four = api_key[-4:]
        sealed = vault.seal(api_key)
        async with self._sessions() as session:
            previous = await put_guild_key(
                session, guild_id, sealed_key=sealed, last_four=last_four, base_url=base_url, set_by=user_id
            )
            log_change(session, guild_id, user_id, KEY_SETTING, _shown(previous), _shown(last_four))
            await session.commit()
        self._accounts.pop(guild_id, None)
        log.info("guild %s set its own API key (…%s)", guild_id, last_four)
        return last_four

    async def remove_key(self, guild_id: int, user_id: int) -> str | None:
        """Delete the guild's key; returns its last four characters, or None when it had none."""
        async with self._sessions() as session:
            removed = await delete_guild_key(session, guild_id)
            if removed is not None:
                log_change(session, guild_id, user_id, KEY_SETTING, _shown(removed), None)
            await session.commit()
        self._accounts.pop(guild_id, None)
        forget_secrets([self._redacted.pop(guild_id, "")])
        return removed

    def _redact(self, guild_id: int, api_key: str) -> None:
        """Blank the guild's key out of every log line from now on, and no longer its previous one."""
        previous = self._redacted.get(guild_id)
        if previous is not None and previous != api_key:
            forget_secrets([previous])
        self._redacted[guild_id] = api_key
        register_secrets([api_key])

    async def describe(self, session: AsyncSession, guild_id: int) -> tuple[str, str | None] | None:
        """The guild's key as moderators may see it: its last four characters and its base URL."""
        row = await get_guild_key(session, guild_id)
        return (row.last_four, row.base_url) if row is not None else None

    async def for_guild(self, guild_id: int | None) -> Account:
        """The account that pays for a request in this guild (None: outside a guild). Each guild's
        is looked up at most every `ACCOUNT_SECONDS` (a job's hot path reads no row for it); a key
        set or removed here is seen at once, one set in another process within that time."""
        vault = self._vault
        if guild_id is None or vault is None:
            return self._bot
        now = self._clock.monotonic()
        known = self._accounts.get(guild_id)
        if known is not None and known[0] > now:
            return known[1]
        async with self._sessions() as session:
            row = await get_guild_key(session, guild_id)
        account = self._bot if row is None else self._open(vault, guild_id, row)
        self._accounts[guild_id] = (now + ACCOUNT_SECONDS, account)
        return account

    def _open(self, vault: KeyVault, guild_id: int, row: GuildApiKey) -> Account:
        """The account of the guild's stored key: opened, known to the log redaction, a client."""
        try:
            api_key = vault.open(row.sealed_key)
        except VaultError:
            log.error("guild %s: its stored API key cannot be opened (was security.secret_key changed?)", guild_id)
            raise key_failed(row.last_four, out_of_credit=False) from None
        self._redact(guild_id, api_key)
        client = self._images.for_account(
            base_url=row.base_url or None,  # none: the operator's own, as trusted as for the bot's key
            api_key=api_key,
            max_parallel_requests=self._parallel_requests,
        )
        chat = self._chat.for_account(
            base_url=row.base_url or None, api_key=api_key, max_parallel_requests=self._parallel_requests
        )
        return Account(client, chat, f"guild {_shown(row.last_four)}", row.last_four)
