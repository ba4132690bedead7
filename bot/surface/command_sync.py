"""Publishing the slash commands: the tree's commands compared with what Discord holds for the
application, and the whole list sent (one bulk overwrite) only when they differ.

Discord answers a command with more than it was sent: ids, versions and documented defaults
(type 1, an empty description for menus, `required` false, `nsfw` false, the permissions as a
string), and the deprecated `dm_permission` beside `contexts`. Both sides are brought to one form
before they are compared, so an unchanged tree compares equal and a restart publishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.http import HTTPClient, Route

# What Discord adds to each command it answers with; none of it is ours to publish.
_ASSIGNED = frozenset({"id", "application_id", "version", "guild_id", "name_localized", "description_localized"})
# Discord's documented defaults: a field at its default means the same as the field left out.
_COMMAND_DEFAULTS: dict[str, Any] = {"type": 1, "description": "", "nsfw": False, "dm_permission": True}
_OPTION_DEFAULTS: dict[str, Any] = {"required": False, "autocomplete": False}
_UNORDERED = frozenset({"contexts", "integration_types", "channel_types"})  # sets, as Discord keeps them
# Left unset, Discord fills these from the application's settings: then its value is not a change.
_FILLED_BY_DISCORD = ("contexts", "integration_types")
_MENU_KINDS = {2: "user menu", 3: "message menu"}


@dataclass(frozen=True)
class CommandChanges:
    """How the tree's commands differ from the published ones, by the names members see."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # each with the fields that differ, e.g. "/imagine (description)"

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        parts = [
            f"{what}: {', '.join(names)}"
            for what, names in (("added", self.added), ("removed", self.removed), ("changed", self.changed))
            if names
        ]
        return "; ".join(parts) or "no changes"


def _clean(data: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`data` without what Discord assigns, without values at their default, null or empty."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key in _ASSIGNED or value is None or value == {} or value == []:
            continue
        if key in defaults and type(value) is type(defaults[key]) and value == defaults[key]:
            continue
        if key in _UNORDERED:
            value = sorted(value)
        elif key == "options":
            value = [_clean(option, _OPTION_DEFAULTS) for option in value]
        elif key == "choices":
            value = [_clean(choice, {}) for choice in value]
        elif key == "default_member_permissions":
            value = str(value)  # sent as an integer, answered as a string
        cleaned[key] = value
    return cleaned


def comparable(command: dict[str, Any]) -> dict[str, Any]:
    """One command in the form both sides share. `dm_permission` is deprecated in favour of
    `contexts`, so when `contexts` is there it alone says where the command may be used."""
    cleaned = _clean(command, _COMMAND_DEFAULTS)
    if "contexts" in cleaned:
        cleaned.pop("dm_permission", None)
    return cleaned


def label(command: dict[str, Any]) -> str:
    """A command's name as a member meets it: `/imagine`, or `Edit image (message menu)`."""
    kind = int(command.get("type") or 1)
    return f"{command['name']} ({_MENU_KINDS[kind]})" if kind in _MENU_KINDS else f"/{command['name']}"


def command_changes(local: Sequence[dict[str, Any]], published: Sequence[dict[str, Any]]) -> CommandChanges:
    """What publishing `local` would change in `published` (Discord's answer to a listing)."""

    def keyed(commands: Sequence[dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
        return {(int(command.get("type") or 1), command["name"]): command for command in commands}

    ours, theirs = keyed(local), keyed(published)
    changed = []
    for key in ours.keys() & theirs.keys():
        mine, held = comparable(ours[key]), comparable(theirs[key])
        for field in _FILLED_BY_DISCORD:
            if field not in mine:
                held.pop(field, None)
        fields = sorted(field for field in mine.keys() | held.keys() if mine.get(field) != held.get(field))
        if fields:
            changed.append(f"{label(ours[key])} ({', '.join(fields)})")
    return CommandChanges(
        added=tuple(sorted(label(ours[key]) for key in ours.keys() - theirs.keys())),
        removed=tuple(sorted(label(theirs[key]) for key in theirs.keys() - ours.keys())),
        changed=tuple(sorted(changed)),
    )


async def tree_payload(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """The global commands exactly as `tree.sync()` sends them: translated when the tree has a translator."""
    commands = tree.get_commands(type=None)
    translator = tree.translator
    if translator is None:
        return [command.to_dict(tree) for command in commands]
    return [await command.get_translated_payload(tree, translator) for command in commands]


async def published_commands(http: HTTPClient, application_id: int) -> list[dict[str, Any]]:
    """The application's global commands as Discord holds them, with their full localization
    dictionaries (`with_localizations`), so that a changed translation is seen too."""
    route = Route("GET", "/applications/{application_id}/commands", application_id=application_id)
    return await http.request(route, params={"with_localizations": "true"})


async def publish_if_changed(tree: app_commands.CommandTree, http: HTTPClient, application_id: int) -> CommandChanges:
    """Compare the tree's global commands with Discord's and, only if they differ, publish them
    all (`PUT /applications/{id}/commands`); return what changed (empty: nothing was sent).
    Raises what discord.py raises for a failed call (`discord.DiscordException`, `aiohttp.ClientError`)."""
    local = await tree_payload(tree)
    changes = command_changes(local, await published_commands(http, application_id))
    if changes:
        await http.bulk_upsert_global_commands(application_id, payload=local)
    return changes


def failure_reason(error: BaseException) -> str:
    """A failed read or publish in a few words, for the one warning line."""
    if isinstance(error, discord.HTTPException):
        return f"Discord answered {error.status}: {error.text or error.response.reason}"
    if isinstance(error, TimeoutError):
        return "Discord did not answer in time"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
