"""The models members may use: the configured default first, then the offered ones.

On OpenAI's own API a model past its retirement date is refused before any call, naming its
replacement; an OpenAI-compatible server keeps whatever models it serves.
"""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.clock import Clock
from bot.config.sections import ImagesConfig
from bot.errors import InvalidRequest
from bot.i18n import _
from bot.images import ModelRegistry, ModelSpec

RETIREMENT_WARNING = timedelta(days=30)


class ModelCatalog:
    def __init__(self, config: ImagesConfig, registry: ModelRegistry, clock: Clock) -> None:
        self.default = config.model
        self.registry = registry
        self._on_openai = config.on_openai
        self._clock = clock
        self._configured = list(dict.fromkeys([config.model, *config.offered_models]))
        # what members are offered (autocomplete, and what they may pick): never a model retired here
        self.offered = [name for name in self._configured if not self._retired(registry.get(name))]

    def get(self, name: str) -> ModelSpec:
        return self.registry.get(name)

    def retiring_soon(self) -> list[ModelSpec]:
        """Configured models that OpenAI retires within 30 days, or has retired (for a warning at start)."""
        if not self._on_openai:
            return []
        soon = self._clock.now().date() + RETIREMENT_WARNING
        specs = [self.registry.get(name) for name in self._configured]
        return [spec for spec in specs if spec.retires is not None and spec.retires <= soon]

    def _retired(self, spec: ModelSpec) -> bool:
        """Whether OpenAI has turned `spec` off, on OpenAI's own API (other servers keep theirs)."""
        return self._on_openai and spec.retires is not None and self._clock.now().date() >= spec.retires

    def _check_retired(self, spec: ModelSpec) -> ModelSpec:
        if self._retired(spec) and spec.retires is not None:
            raise InvalidRequest(
                _(
                    "OpenAI retired `{model}` on {date}. Use `{replacement}` instead.",
                    model=spec.name,
                    date=spec.retires.isoformat(),
                    replacement=spec.replacement or self.default,
                )
            )
        return spec

    def resolve(self, name: str | None) -> ModelSpec:
        """The model a member asked for (or the default), if members may use it and it still runs."""
        if name is None or name == self.default:
            return self._check_retired(self.registry.get(self.default))
        if name in self._configured:
            self._check_retired(self.registry.get(name))  # named with its replacement, not "not available"
        if name not in self.offered:
            raise InvalidRequest(
                _(
                    "`{model}` is not available here. Pick one of: {models}.",
                    model=discord.utils.escape_markdown(name)[:100],
                    models=", ".join(self.offered),
                )
            )
        return self._check_retired(self.registry.get(name))

    def configured(self, name: str) -> ModelSpec:
        """A model the operator named for a purpose (drafts, Enhance), if it still runs."""
        return self._check_retired(self.registry.get(name))

    def picked(self, name: str | None) -> ModelSpec:
        """The model named in a half-typed command if it is offered, else the default."""
        return self.registry.get(name if name in self.offered else self.default)
