"""Operator configuration: one TOML file, secrets from the environment.

`load_config` returns a validated `Config` or raises `ConfigError` whose text names the
offending key and says how to fix it, in one line.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import Field, ValidationError, model_validator

from bot.config.sections import (
    OPENAI_BASE_URL,
    DatabaseConfig,
    DiscordConfig,
    ImagesConfig,
    ImagingConfig,
    JobsConfig,
    LimitsConfig,
    LoggingConfig,
    MetricsConfig,
    ModelPrice,
    ModerationConfig,
    ResultsConfig,
    Section,
    SecurityConfig,
    WebConfig,
)
from bot.images.models import ModelRegistry

ENV_DISCORD_TOKEN = "DISCORD_TOKEN"
ENV_OPENAI_API_KEY = "OPENAI_API_KEY"
ENV_SECRET_KEY = "IMAGEBOT_SECRET_KEY"


class ConfigError(Exception):
    """A configuration problem, phrased for the operator: which key, and how to fix it."""


class Config(Section):
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    images: ImagesConfig = Field(default_factory=ImagesConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    imaging: ImagingConfig = Field(default_factory=ImagingConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    results: ResultsConfig = Field(default_factory=ResultsConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    moderation: ModerationConfig = Field(default_factory=ModerationConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _web_needs_a_secret(self) -> Config:
        if self.web.enabled and not self.security.secret_key.get_secret_value():
            raise ValueError("web: the painting page signs its links with security.secret_key; set one")
        return self

    @property
    def screening(self) -> bool:
        """Whether requests are screened: as set, or, unset, when the images go to OpenAI."""
        if self.moderation.enabled is not None:
            return self.moderation.enabled
        return self.images.base_url.rstrip("/") == OPENAI_BASE_URL

    @property
    def moderation_base_url(self) -> str:
        return (self.moderation.base_url or self.images.base_url).rstrip("/")

    def secrets(self) -> list[str]:
        """Every secret value in force, so logging can redact them."""
        values = [
            self.discord.token.get_secret_value(),
            self.images.api_key.get_secret_value(),
            self.security.secret_key.get_secret_value(),
        ]
        return [value for value in values if value]


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key; check its spelling against config.example.toml"
    if kind == "missing":
        return f"{key}: required; see config.example.toml"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message}" if key else message


def parse_config(data: dict[str, Any], environ: Mapping[str, str] | None = None, *, source: str = "config") -> Config:
    """Validate raw TOML data, letting DISCORD_TOKEN, OPENAI_API_KEY and IMAGEBOT_SECRET_KEY win over the file."""
    environ = os.environ if environ is None else environ
    data = {
        section: dict(cast("dict[str, Any]", values)) if isinstance(values, dict) else values
        for section, values in data.items()
    }
    if environ.get(ENV_DISCORD_TOKEN):
        data.setdefault("discord", {})["token"] = environ[ENV_DISCORD_TOKEN]
    if environ.get(ENV_OPENAI_API_KEY):
        data.setdefault("images", {})["api_key"] = environ[ENV_OPENAI_API_KEY]
    if environ.get(ENV_SECRET_KEY):
        data.setdefault("security", {})["secret_key"] = environ[ENV_SECRET_KEY]
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(dict(exc.errors()[0]))}") from None
    try:
        ModelRegistry(config.images.models)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if not config.discord.token.get_secret_value():
        raise ConfigError(
            f"{source}: discord.token is empty; set the {ENV_DISCORD_TOKEN} environment variable or [discord] token"
        )
    if not config.images.api_key.get_secret_value():
        raise ConfigError(
            f"{source}: images.api_key is empty; set the {ENV_OPENAI_API_KEY} environment variable or [images] api_key"
        )
    return config


def with_shards(config: Config, shards: str) -> Config:
    """`config` running the shards "IDS/COUNT" names ("0/2", "0,1/4"), for one config shared by
    every process (`run --shards`)."""
    ids, _, count = shards.partition("/")
    try:
        values = {"shard_ids": [int(shard) for shard in ids.split(",")], "shard_count": int(count)}
        discord = DiscordConfig.model_validate({**config.discord.model_dump(), **values})
    except (ValueError, ValidationError) as exc:
        detail = exc.errors()[0]["msg"].removeprefix("Value error, ") if isinstance(exc, ValidationError) else ""
        detail = detail or "not IDS/COUNT"
        raise ConfigError(f"--shards {shards}: {detail}; for example 0/2 (shard 0 of 2) or 0,1/4") from None
    return config.model_copy(update={"discord": discord})


def load_config(path: str | os.PathLike[str], environ: dict[str, str] | None = None) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; copy config.example.toml to {path} and fill it in") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_config(data, environ, source=str(path))
