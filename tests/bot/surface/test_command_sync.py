"""Publishing the slash commands: the tree's payload (translated by the real catalogue) compared
with what Discord answers in one form, so ids, versions, documented defaults, the deprecated
`dm_permission` and set order change nothing; the changes named as members see the commands; the
whole list sent only when they differ; a failure said in a few words. Discord's HTTP client is a
recording fake; the bot's publishing at start is in tests/e2e/operations/test_command_sync.py."""

import copy
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.i18n import CatalogueTranslator
from bot.surface.command_sync import CommandChanges, command_changes, failure_reason, publish_if_changed, tree_payload
from tests.helpers import http_refusal

APPLICATION = 40


class RecordingHTTP:
    """Discord's HTTP client as publishing uses it: the listing it answers, the calls it was made."""

    def __init__(self, published: list[dict[str, Any]]) -> None:
        self.published = published
        self.calls: list[tuple[str, str, Any]] = []

    async def request(self, route: discord.http.Route, *, params: dict[str, str]) -> list[dict[str, Any]]:
        self.calls.append((route.method, route.url, params))
        return copy.deepcopy(self.published)

    async def bulk_upsert_global_commands(self, application_id: int, *, payload: list[dict[str, Any]]) -> None:
        self.calls.append(("PUT", f"/applications/{application_id}/commands", payload))


async def tree(*, translated: bool = False) -> app_commands.CommandTree:
    """A tree of one slash command (moderators', in guilds and DMs, with an option) and one message menu."""
    commands = app_commands.CommandTree(discord.Client(intents=discord.Intents(guilds=True)))

    @app_commands.command(name="quota", description="What you have used here today, and what is left")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def quota(interaction: discord.Interaction, days: int = 1) -> None: ...

    async def edit(interaction: discord.Interaction, message: discord.Message) -> None: ...

    commands.add_command(quota)
    commands.add_command(app_commands.ContextMenu(name="Edit image", callback=edit))
    if translated:
        await commands.set_translator(CatalogueTranslator())
    return commands


def as_discord_answers(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`payload` as Discord lists it back: ids and versions added, defaults spelled out, the
    permissions a string, sets in another order, `dm_permission` beside `contexts`."""
    answered = []
    for number, sent in enumerate(copy.deepcopy(payload), start=1):
        command = {key: value for key, value in sent.items() if value is not None}
        command |= {"id": str(1000 + number), "application_id": str(APPLICATION), "version": "1", "nsfw": False}
        command.setdefault("description", "")
        command.setdefault("dm_permission", True)
        command["contexts"] = list(reversed(command.get("contexts") or [0, 1, 2]))
        command["integration_types"] = [0]  # filled from the application's settings
        if "default_member_permissions" in command:
            command["default_member_permissions"] = str(command["default_member_permissions"])
        for option in command.get("options", []):
            option.setdefault("autocomplete", False)
        answered.append(command)
    return answered


async def test_discords_answer_to_an_unchanged_tree_compares_equal():
    local = await tree_payload(await tree(translated=True))
    changes = command_changes(local, as_discord_answers(local))
    assert not changes and changes == CommandChanges() and changes.describe() == "no changes"


async def test_the_payload_is_the_trees_translated_by_the_catalogue():
    plain, translated = await tree_payload(await tree()), await tree_payload(await tree(translated=True))
    assert [command["name"] for command in plain] == ["quota", "Edit image"]
    assert "name_localizations" not in plain[0]
    assert translated[0]["name_localizations"]["zh-CN"] == "配额"
    assert translated[0]["description_localizations"]["zh-CN"] == "你今天在本服务器的用量和剩余额度"
    assert command_changes(translated, as_discord_answers(plain)) == CommandChanges(
        changed=(
            "/quota (description_localizations, name_localizations, options)",
            "Edit image (message menu) (name_localizations)",
        )
    )


async def test_changes_are_named_as_members_meet_the_commands():
    local = await tree_payload(await tree())
    held = as_discord_answers(local)
    held[0]["description"] = "An older description"
    held[0]["options"][0]["required"] = True
    held[0]["default_member_permissions"] = "8"
    held[1]["type"] = 2  # the menu Discord holds is on users, ours on messages
    held.append({"id": "9", "name": "dream", "description": "An old command", "type": 1, "version": "1"})
    changes = command_changes(local, held)
    assert changes == CommandChanges(
        added=("Edit image (message menu)",),
        removed=("/dream", "Edit image (user menu)"),
        changed=("/quota (default_member_permissions, description, options)",),
    )
    assert changes.describe() == (
        "added: Edit image (message menu); removed: /dream, Edit image (user menu); "
        "changed: /quota (default_member_permissions, description, options)"
    )


async def test_contexts_we_set_are_compared_and_dm_permission_beside_them_is_not():
    local = await tree_payload(await tree())
    held = as_discord_answers(local)
    held[0]["dm_permission"] = False  # deprecated: contexts alone say where it may be used
    assert not command_changes(local, held)
    held[0]["contexts"] = [0]
    assert command_changes(local, held).changed == ("/quota (contexts)",)


async def test_a_changed_tree_is_published_whole_and_an_unchanged_one_not_at_all():
    commands = await tree(translated=True)
    local = await tree_payload(commands)
    unchanged = RecordingHTTP(as_discord_answers(local))
    assert not await publish_if_changed(commands, unchanged, APPLICATION)
    listing = ("GET", f"{discord.http.Route.BASE}/applications/{APPLICATION}/commands", {"with_localizations": "true"})
    assert unchanged.calls == [listing]

    older = RecordingHTTP(as_discord_answers(local)[:1])
    changes = await publish_if_changed(commands, older, APPLICATION)
    assert changes == CommandChanges(added=("Edit image (message menu)",))
    assert older.calls == [listing, ("PUT", f"/applications/{APPLICATION}/commands", local)]


# An error page from Discord's edge: no JSON, so no text; its HTTP reason says it.
EDGE_PAGE = discord.HTTPException(SimpleNamespace(status=502, reason="Bad Gateway"), "")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (http_refusal(403, 50001), "Discord answered 403: refused"),
        (EDGE_PAGE, "Discord answered 502: Bad Gateway"),
        (TimeoutError(), "Discord did not answer in time"),
        (ConnectionResetError("reset by peer"), "ConnectionResetError: reset by peer"),
        (ConnectionResetError(), "ConnectionResetError"),
    ],
)
def test_a_failure_is_said_in_a_few_words(error, reason):
    assert failure_reason(error) == reason
