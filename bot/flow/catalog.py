"""The models members may use: the configured default first, then the offered ones."""

from __future__ import annotations

import discord

from bot.config import ImagesConfig
from bot.errors import InvalidRequest
from bot.i18n import _
from bot.images import ModelRegistry, ModelSpec


class ModelCatalog:
    def __init__(self, config: ImagesConfig, registry: ModelRegistry) -> None:
        self.default = config.model
        self.registry = registry
        self.offered = list(dict.fromkeys([config.model, *config.offered_models]))

    def get(self, name: str) -> ModelSpec:
        return self.registry.get(name)

    def resolve(self, name: str | None) -> ModelSpec:
        """The model a member asked for (or the default), if members may use it."""
        if name is None or name == self.default:
            return self.registry.get(self.default)
        if name not in self.offered:
            raise InvalidRequest(
                _(
                    "`{model}` is not available here. Pick one of: {models}.",
                    model=discord.utils.escape_markdown(name)[:100],
                    models=", ".join(self.offered),
                )
            )
        return self.registry.get(name)

    def picked(self, name: str | None) -> ModelSpec:
        """The model named in a half-typed command if it is offered, else the default."""
        return self.registry.get(name if name in self.offered else self.default)
