"""Every word a person reads, in their language: en-US (the source) and zh-CN.

Messages are written in English in the code as `_("text with {placeholders}", name=value)`,
which makes a lazy `Text`; it is rendered when the reader's locale is known. The catalogues
are gettext `.po` files under `bot/locales/`, read with Babel. Slash command names,
descriptions and choices are localized by `CatalogueTranslator`, with the msgctxt
"command-name" for names so that a command called "edit" and the word "Edit" can differ.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from babel.messages.pofile import read_po
from discord import app_commands

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "imagebot"
SOURCE_LOCALE = "en-US"
LOCALES = {"en-US": "en_US", "zh-CN": "zh_CN"}
LANGUAGE_NAMES = {"en-US": "English", "zh-CN": "简体中文"}
NAME_CONTEXT = "command-name"


@dataclass(frozen=True)
class Text:
    """A message to render later, in the reader's locale."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        values = {key: value.render(locale) if isinstance(value, Text) else value for key, value in self.params.items()}
        return translate(locale, self.message).format(**values)

    def __str__(self) -> str:
        return self.render(SOURCE_LOCALE)


def _(message: str, **params: Any) -> Text:
    """Mark `message` for the catalogue; render it with `.render(locale)`."""
    return Text(message, params)


@functools.cache
def _catalogue(locale: str) -> dict[tuple[str | None, str], str]:
    path = LOCALES_DIR / LOCALES[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=LOCALES[locale])
    return {
        (message.context, str(message.id)): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def translate(locale: str, message: str, context: str | None = None) -> str:
    if locale not in LOCALES:
        locale = SOURCE_LOCALE
    return _catalogue(locale).get((context, message)) or message


def placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def supported(locale: str | None) -> str | None:
    """Our locale for a Discord locale code, or None: zh-CN, and every English variant."""
    if not locale:
        return None
    if locale in LOCALES:
        return locale
    return SOURCE_LOCALE if locale.startswith("en") else None


def choose_locale(user_locale: str | None, pinned: str | None, guild_locale: str | None) -> str:
    """The member's language if we have it, else the guild's (pinned, or Discord's), else en-US."""
    return supported(user_locale) or supported(pinned) or supported(guild_locale) or SOURCE_LOCALE


class CatalogueTranslator(app_commands.Translator):
    """Localizes the command tree from the same catalogue, for `tree.sync()`."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContext
    ) -> str | None:
        ours = supported(locale.value)
        if ours is None or ours == SOURCE_LOCALE:
            return None
        naming = context.location in (
            app_commands.TranslationContextLocation.command_name,
            app_commands.TranslationContextLocation.group_name,
            app_commands.TranslationContextLocation.parameter_name,
        )
        message = string.message
        translated = _catalogue(ours).get((NAME_CONTEXT if naming else None, message))
        return translated or None
