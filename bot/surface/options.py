"""Helpers for command options shared by the cogs: autocomplete choices, and the fit option."""

from __future__ import annotations

from collections.abc import Iterable

from discord import app_commands

AUTOCOMPLETE_LIMIT = 25

FIT_CHOICES = [
    app_commands.Choice(name="crop to a square (keeps the centre)", value="crop"),
    app_commands.Choice(name="pad to a square (keeps everything)", value="pad"),
]


def choices(values: Iterable[str], current: str) -> list[app_commands.Choice[str]]:
    """The values containing what the member typed so far, as autocomplete choices."""
    current = current.lower()
    matching = [value for value in values if current in value.lower()]
    return [app_commands.Choice(name=value, value=value) for value in matching][:AUTOCOMPLETE_LIMIT]
