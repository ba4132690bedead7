"""The guild key form: the key (at least 8 characters, never shown back) and an optional base URL
(its trailing slash dropped, empty for the bot's service); saved only by a member who still has
Manage Server, with the key's last four said back, and a hint to set an alert channel when the
guild has none."""

import discord
from discord import app_commands

from bot.db.models import GuildSettings
from bot.surface.api_key_form import ApiKeyModal
from tests.helpers import EnglishLocales, FakeInteraction, RecordedErrors

GUILD = 10
MANAGER = discord.Permissions(manage_guild=True)


class Accounts:
    def __init__(self) -> None:
        self.keys: list[tuple[int, int, str, str | None]] = []

    async def set_key(self, guild_id: int, user_id: int, api_key: str, base_url: str | None) -> str:
        self.keys.append((guild_id, user_id, api_key, base_url))
        return api_key[-4:]


def modal(sessions, accounts: Accounts, errors: RecordedErrors) -> ApiKeyModal:
    return ApiKeyModal(accounts=accounts, sessions=sessions, locales=EnglishLocales(), errors=errors, locale="en-US")


def typed(form: ApiKeyModal, key: str, base_url: str = "") -> None:
    form.key.component._refresh_state(None, {"value": key})
    form.base_url.component._refresh_state(None, {"value": base_url})


def test_the_form_asks_for_a_key_and_an_optional_base_url():
    form = modal(None, Accounts(), RecordedErrors())
    key, base_url = form.key.component, form.base_url.component
    assert (key.min_length, key.max_length, key.required, key.default) == (8, 400, True, None)
    assert (base_url.required, base_url.placeholder) == (False, "https://api.openai.com/v1")
    assert form.title == "This server's image service key"


async def test_a_saved_key_is_said_back_by_its_last_four_with_the_alert_hint(sessions):
    accounts, errors = Accounts(), RecordedErrors()
    form = modal(sessions, accounts, errors)
    typed(form, "  sk-guild-key-1234 ", "https://proxy.example/v1/")
    interaction = FakeInteraction(guild_id=GUILD, permissions=MANAGER)
    await form.on_submit(interaction)
    assert accounts.keys == [(GUILD, 20, "sk-guild-key-1234", "https://proxy.example/v1")]
    ((text, options),) = interaction.response.sent
    assert text.startswith("Saved. This server's requests now use its own key, ending 1234.")
    assert "Set an alert channel with /settings budget" in text and options == {"ephemeral": True}
    assert "sk-guild-key" not in text and errors.reported == []


async def test_no_base_url_is_the_bots_service_and_no_hint_with_an_alert_channel(sessions):
    async with sessions() as session:
        session.add(GuildSettings(guild_id=GUILD, alert_channel_id=77))
        await session.commit()
    accounts = Accounts()
    form = modal(sessions, accounts, RecordedErrors())
    typed(form, "sk-guild-key-5678", "  ")
    interaction = FakeInteraction(guild_id=GUILD, permissions=MANAGER)
    await form.on_submit(interaction)
    assert accounts.keys[0][3] is None
    assert interaction.response.sent[0][0] == "Saved. This server's requests now use its own key, ending 5678."


async def test_a_member_who_lost_manage_server_saves_nothing(sessions):
    accounts, errors = Accounts(), RecordedErrors()
    form = modal(sessions, accounts, errors)
    typed(form, "sk-guild-key-1234")
    await form.on_submit(FakeInteraction(guild_id=GUILD))
    assert accounts.keys == [] and isinstance(errors.reported[0], app_commands.MissingPermissions)
