"""Save as reference: a server reference only for a member with Manage Server in a server that
added the bot (the form offers the choice only then, and the save checks again); the save thinks
privately, then says where the reference is kept, its name shown escaped."""

import discord
import pytest
from discord import app_commands

from bot.db.models import ReferenceScope
from bot.flow.sources import SourceImage
from bot.surface.reference_form import SaveReferenceForm, may_keep_for_server, save_reference
from tests.helpers import EnglishLocales, FakeInteraction, RecordedErrors

SOURCE = SourceImage("https://cdn.example/logo.png", 1000, "logo.png")
MANAGER = discord.Permissions(manage_guild=True)


class References:
    def __init__(self) -> None:
        self.saved: list[dict[str, object]] = []

    async def save(self, **request) -> str:
        self.saved.append(request)
        return str(request["name"])


def test_only_a_manager_in_a_server_that_added_the_bot_may_keep_one_for_the_server():
    assert may_keep_for_server(FakeInteraction(permissions=MANAGER))
    assert not may_keep_for_server(FakeInteraction())
    assert not may_keep_for_server(FakeInteraction(permissions=MANAGER, guild_integration=False))
    assert not may_keep_for_server(FakeInteraction(permissions=MANAGER, guild_id=None))


async def test_a_members_reference_is_saved_privately_and_said_so():
    references, interaction = References(), FakeInteraction(guild_id=None)
    await save_reference(interaction, references, EnglishLocales(), ReferenceScope.MEMBER, "my_cat*", SOURCE)
    assert references.saved == [
        {"scope": ReferenceScope.MEMBER, "guild_id": None, "user_id": 20, "name": "my_cat*", "image": SOURCE}
    ]
    assert interaction.response.deferred_ephemeral is True
    assert interaction.followup.sent == [
        ("Saved **my\\_cat\\*** for you. Use it in /imagine reference:.", {"ephemeral": True})
    ]


async def test_a_server_reference_needs_manage_server():
    references = References()
    with pytest.raises(app_commands.MissingPermissions):
        await save_reference(FakeInteraction(), references, EnglishLocales(), ReferenceScope.SERVER, "logo", SOURCE)
    assert references.saved == []
    interaction = FakeInteraction(permissions=MANAGER)
    await save_reference(interaction, references, EnglishLocales(), ReferenceScope.SERVER, "logo", SOURCE)
    assert references.saved[0]["guild_id"] == 10
    assert interaction.followup.sent[0][0].startswith("Saved **logo** for this server.")


def submitted(form: SaveReferenceForm, name: str, ticked: bool) -> None:
    form.name_input._refresh_state(None, {"value": name})
    if form.server_choice is not None:
        form.server_choice._handle_submit(None, {"values": ["server"] if ticked else []}, {})


async def test_the_form_offers_the_server_only_to_who_may_choose_it_and_saves_what_was_ticked():
    references, errors = References(), RecordedErrors()
    plain = SaveReferenceForm(SOURCE, "en-US", references, EnglishLocales(), errors, for_server=False)
    offered = SaveReferenceForm(SOURCE, "en-US", references, EnglishLocales(), errors, for_server=True)
    assert (len(plain.children), len(offered.children), plain.server_choice) == (1, 2, None)
    submitted(plain, "cat", False)
    await plain.on_submit(FakeInteraction())
    submitted(offered, "logo", True)
    await offered.on_submit(FakeInteraction(permissions=MANAGER))
    submitted(offered, "mine", False)
    await offered.on_submit(FakeInteraction(permissions=MANAGER))
    assert [(saved["name"], saved["scope"]) for saved in references.saved] == [
        ("cat", ReferenceScope.MEMBER),
        ("logo", ReferenceScope.SERVER),
        ("mine", ReferenceScope.MEMBER),
    ]
    submitted(offered, "logo2", True)
    await offered.on_submit(FakeInteraction())  # Manage Server was taken away since the form opened
    assert len(references.saved) == 3 and isinstance(errors.reported[0], app_commands.MissingPermissions)
