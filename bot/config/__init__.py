"""Operator configuration: one TOML file, secrets from the environment.

`load_config` returns a validated `Config` or raises `ConfigError`, whose `problems` are every
problem found, each one line that names the offending key and says how to fix it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import Field, ValidationError, model_validator

from bot.config.sections import (
    DatabaseConfig,
    DescribeConfig,
    DiscordConfig,
    ImagesConfig,
    ImagingConfig,
    JobsConfig,
    LimitsConfig,
    LoggingConfig,
    MetricsConfig,
    ModelPrice,
    ModerationConfig,
    ReferencesConfig,
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
    """Configuration problems, phrased for the operator: each a line that names the key and the fix."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


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
    describe: DescribeConfig = Field(default_factory=DescribeConfig)
    references: ReferencesConfig = Field(default_factory=ReferencesConfig)
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
        return self.images.on_openai

    @property
    def moderation_base_url(self) -> str:
        return (self.moderation.base_url or self.images.base_url).rstrip("/")

    @property
    def describe_base_url(self) -> str:
        return (self.describe.base_url or self.images.base_url).rstrip("/")

    def secrets(self) -> list[str]:
        """Every secret value in force, so logging can redact them."""
        values = [
            self.discord.token.get_secret_value(),
            self.images.api_key.get_secret_value(),
            self.security.secret_key.get_secret_value(),
        ]
        return [value for value in values if value]


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) if str(part).isprintable() else repr(str(part)) for part in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key; check its spelling against config.example.toml"
    if kind == "missing":
        return f"{key}: required; see config.example.toml"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message}" if key else message


def _missing_secrets(data: dict[str, Any]) -> list[str]:
    """The Discord token and the API key, where `data` (the environment's values merged in) has none."""
    problems: list[str] = []
    for section, key, variable in (("discord", "token", ENV_DISCORD_TOKEN), ("images", "api_key", ENV_OPENAI_API_KEY)):
        values = data.get(section)
        if not isinstance(values, dict) or not cast("dict[str, Any]", values).get(key):
            problems.append(f"{section}.{key} is empty; set the {variable} environment variable or [{section}] {key}")
    return problems


def parse_config(
    data: dict[str, Any],
    environ: Mapping[str, str] | None = None,
    *,
    source: str = "config",
    folder: Path | None = None,
    needs_secrets: bool = True,
) -> Config:
    """Validate raw TOML data, letting DISCORD_TOKEN, OPENAI_API_KEY and IMAGEBOT_SECRET_KEY win over
    the file. A relative SQLite path is taken from `folder` (the config file's). Without
    `needs_secrets` (commands that neither connect to Discord nor make images), the Discord token
    and the API key may be empty. Every problem found is raised at once."""
    environ = os.environ if environ is None else environ
    data = {
        section: dict(cast("dict[str, Any]", values)) if isinstance(values, dict) else values
        for section, values in data.items()
    }
    data.setdefault("database", {})  # validated even when absent: its default path is relative
    if environ.get(ENV_DISCORD_TOKEN):
        data.setdefault("discord", {})["token"] = environ[ENV_DISCORD_TOKEN]
    if environ.get(ENV_OPENAI_API_KEY):
        data.setdefault("images", {})["api_key"] = environ[ENV_OPENAI_API_KEY]
    if environ.get(ENV_SECRET_KEY):
        data.setdefault("security", {})["secret_key"] = environ[ENV_SECRET_KEY]
    problems = _missing_secrets(data) if needs_secrets else []
    config: Config | None = None
    try:
        config = Config.model_validate(data, context={"folder": folder})
        ModelRegistry(config.images.models)
    except ValidationError as exc:
        problems = [_describe(dict(error)) for error in exc.errors()] + problems
    except ValueError as exc:  # the model table's: a `like` that names no model
        problems.insert(0, str(exc))
    if problems or config is None:
        raise ConfigError(*(f"{source}: {problem}" for problem in problems))
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


def load_config(
    path: str | os.PathLike[str], environ: dict[str, str] | None = None, *, needs_secrets: bool = True
) -> Config:
    """The config at `path` (see `parse_config`); a relative SQLite path is taken from its folder."""
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
    return parse_config(
        data, environ, source=str(path), folder=path.expanduser().absolute().parent, needs_secrets=needs_secrets
    )
