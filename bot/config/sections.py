"""The sections of the operator's configuration, one model each, as config.example.toml lays them out."""

from __future__ import annotations

import functools
import ipaddress
from pathlib import Path
from typing import Annotated, Literal, cast

import yarl
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.images.formats import OutputChoice
from bot.images.models import ModelOverride, ModelRegistry

MIN_SECRET_KEY_CHARS = 32


class Section(BaseModel):
    """A table of the file: every key known (a misspelt one is an error), frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str, *, example: str) -> str:
    """`value` without its trailing slash, if it is a URL of the scheme `example` has (http or
    https, ws or wss); the error shows `example`, a value that fits the key."""
    value = value.strip().rstrip("/")
    schemes = ("ws://", "wss://") if example.startswith("ws") else ("http://", "https://")
    if value and not value.startswith(schemes):
        raise ValueError(f"must start with {' or '.join(schemes)}, for example {example}")
    return value


def _url(example: str) -> AfterValidator:
    """A URL key's check (`_http_url`), its error showing `example`."""
    return AfterValidator(functools.partial(_http_url, example=example))


OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_HOST = "api.openai.com"


def _provider_url(value: str | None) -> str | None:
    """An OpenAI-compatible server's URL (`_http_url`); None when unset or empty."""
    return _http_url(value, example=OPENAI_BASE_URL) if value else None


# A section's own provider URL; unset or empty: images.base_url serves
ProviderUrl = Annotated[str | None, AfterValidator(_provider_url)]


def _networks(value: list[str], *, example: str) -> list[str]:
    """CIDR networks as written, each checked to be one."""
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f'{network!r} is not a network; write one like "{example}"') from None
    return value


def _cidrs(example: str) -> AfterValidator:
    """A list of networks' check (`_networks`), its error showing `example`."""
    return AfterValidator(functools.partial(_networks, example=example))


class DiscordConfig(Section):
    token: SecretStr = SecretStr("")
    api_base_url: Annotated[str, _url("https://discord.com/api/v10")] = ""
    gateway_url: Annotated[str, _url("wss://gateway.discord.gg")] = ""
    cdn_hosts: list[str] = Field(default_factory=list)
    status_calls_per_second: float = Field(default=40.0, gt=0, le=50)
    message_content: bool = False  # ask for the privileged MESSAGE_CONTENT intent: replies to anyone's images
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: list[int] | None = None

    @model_validator(mode="after")
    def _check_shards(self) -> DiscordConfig:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("shard_ids needs shard_count: the total number of shards across all processes")
        wrong = [shard for shard in self.shard_ids if not 0 <= shard < self.shard_count]
        if wrong or not self.shard_ids or len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError(f"shard_ids must be distinct numbers from 0 to {self.shard_count - 1}")
        return self


class ImagesConfig(Section):
    base_url: str = OPENAI_BASE_URL
    # Whose API base_url is: "openai" (OpenAI's own, or a proxy that passes it through unchanged),
    # whose model list is complete and whose retirement dates apply, or "compatible" (another
    # server). Unset: "openai" when base_url's host is api.openai.com.
    provider: Literal["openai", "compatible"] | None = None
    api_key: SecretStr = SecretStr("")
    model: str = "gpt-image-2.6-flare"
    offered_models: list[str] = Field(
        default_factory=lambda: ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst", "gpt-image-2"]
    )
    draft_model: str = "gpt-image-2.6-flare"  # /imagine draft:true: a fast, cheap first picture
    draft_quality: str = "low"
    enhance_model: str = "gpt-image-2.6-sunburst"  # a draft's Enhance: the same picture in detail
    enhance_quality: str = "high"
    timeout_seconds: float = Field(default=180.0, gt=0, le=900)
    connect_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    stall_seconds: float = Field(default=60.0, gt=0, le=900)
    max_retries: int = Field(default=3, ge=0, le=10)
    retry_base_delay: float = Field(default=1.0, ge=0, le=60)
    max_retry_wait: float = Field(default=30.0, ge=0, le=600)
    max_parallel_requests: int = Field(default=4, ge=1, le=16)
    max_response_mb: float = Field(default=200.0, gt=0, le=2000)
    output_format: OutputChoice = "auto"
    output_compression: int = Field(default=90, ge=0, le=100)
    models: dict[str, ModelOverride] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = _http_url(value, example=OPENAI_BASE_URL)
        if not value:
            raise ValueError("must not be empty; use https://api.openai.com/v1 or your compatible server's URL")
        return value

    @field_validator("model", "draft_model", "enhance_model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must name a model, for example "gpt-image-2.6-flare"')
        return value.strip()

    @model_validator(mode="after")
    def _check_draft_qualities(self) -> ImagesConfig:
        try:
            registry = ModelRegistry(self.models)
        except ValueError:
            return self  # a `like` that names no model: config's loading says so
        for model_key, quality_key in (("draft_model", "draft_quality"), ("enhance_model", "enhance_quality")):
            spec = registry.get(getattr(self, model_key))
            quality = getattr(self, quality_key)
            if spec.known and quality not in spec.qualities:
                offered = ", ".join(spec.qualities) or "none: leave it empty"
                raise ValueError(f"{quality_key} {quality!r} is not a quality of {spec.name}; it offers {offered}")
        return self

    @property
    def on_openai(self) -> bool:
        """Whether `base_url` is OpenAI's API: as `provider` says, or, unset, by its host."""
        if self.provider is not None:
            return self.provider == "openai"
        return yarl.URL(self.base_url).host == OPENAI_HOST


MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


class ModerationConfig(Section):
    """Screening before any paid call, by an OpenAI-compatible `/moderations` endpoint."""

    enabled: bool | None = None  # unset: on when images.base_url is OpenAI's (where it is free)
    base_url: ProviderUrl = None  # unset: images.base_url
    model: str = "omni-moderation-latest"
    categories: list[str] = Field(default_factory=list)  # which refuse; empty: every one the endpoint flags
    check_results: bool = False  # screen the made images too, before posting them (worth it on compatible servers)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in MODERATION_CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categories {unknown}; choose from {', '.join(MODERATION_CATEGORIES)}")
        return value


class DescribeConfig(Section):
    """/describe: an image turned into prompts by a vision-capable chat model's `/chat/completions`."""

    model: str = "gpt-5.4-mini"  # "": no /describe (nor its message menu)
    base_url: ProviderUrl = None  # unset: images.base_url; the key is images.api_key, or a server's own
    max_output_tokens: int = Field(default=1000, ge=100, le=16000)  # the answer's cap, also what is reserved


class ReferencesConfig(Section):
    """Saved references (/references): how many images a server and a member may keep."""

    max_per_guild: int = Field(default=50, ge=0, le=1000)
    max_per_member: int = Field(default=10, ge=0, le=1000)


SQLITE_EXAMPLE = "sqlite+aiosqlite:///data/imagebot.db"
POSTGRES_EXAMPLE = "postgresql+asyncpg://imagebot@db.example.com/imagebot"


def _database_url(value: str, folder: Path | None) -> str:
    """`value` checked, with a relative SQLite path made absolute from `folder` (the config file's)."""
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(f"must be an async SQLAlchemy URL: {SQLITE_EXAMPLE} or {POSTGRES_EXAMPLE}")
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(
            f"is not a URL SQLAlchemy can read; for example {SQLITE_EXAMPLE} or {POSTGRES_EXAMPLE}"
        ) from None
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(f"port {url.port} is not a port (1 to 65535); for example {POSTGRES_EXAMPLE}")
    if url.get_backend_name() == "postgresql":
        return value
    if url.host or url.port:
        path = f"{url.host}/{url.database}" if url.database else url.host
        raise ValueError(
            f'reads "{url.host}" as a host: a SQLite path takes three slashes, sqlite+aiosqlite:///{path} '
            f"(relative to the config file's folder), or four for an absolute one, sqlite+aiosqlite:////var/lib/{path}"
        )
    if not url.database or url.database == ":memory:":
        raise ValueError(f"names no database file; for example {SQLITE_EXAMPLE}")
    path = Path(url.database).expanduser()
    if not path.is_absolute() and folder is not None:
        return url.set(database=str(folder / path)).render_as_string(hide_password=False)
    return value


class DatabaseConfig(Section):
    url: str = Field(default=SQLITE_EXAMPLE, validate_default=True)  # a relative SQLite path: from the config's folder
    prune_every_minutes: float = Field(default=60.0, gt=0, le=1440)
    busy_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    reconnect_seconds: float = Field(default=30.0, ge=0, le=600)
    connect_timeout_seconds: float = Field(default=10.0, gt=0, le=120)  # at start, for the server to answer

    @field_validator("url", mode="after")
    @classmethod
    def _check_url(cls, value: str, info: ValidationInfo) -> str:
        context: object = info.context
        folder = cast("dict[str, object]", context).get("folder") if isinstance(context, dict) else None
        return _database_url(value, folder if isinstance(folder, Path) else None)


class ImagingConfig(Section):
    worker_threads: int = Field(default=2, ge=1, le=32)
    max_download_mb: float = Field(default=25.0, gt=0, le=500)


class JobsConfig(Section):
    max_running: int = Field(default=4, ge=1, le=64)
    per_guild: int = Field(default=2, ge=1, le=64)
    per_member: int = Field(default=1, ge=1, le=16)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=600)
    interaction_minutes: float = Field(default=15.0, gt=0, le=15)
    status_every_seconds: float = Field(default=5.0, ge=0, le=60)
    lease_seconds: float = Field(default=30.0, ge=1, le=600)


class LimitsConfig(Section):
    dm_images_per_day: int = Field(default=10, ge=0, le=10_000)
    flags_before_block: int = Field(default=3, ge=1, le=100)  # flagged requests that block a member for 24 h
    flag_window_days: int = Field(default=7, ge=1, le=90)  # ... when they fall within this many days


class ModelPrice(BaseModel):
    """A `[prices."model"]` table: USD per image by quality and size, and per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_image: dict[str, float] = Field(default_factory=lambda: {"default": 0.04})
    input_text_per_million: float | None = None
    input_image_per_million: float | None = None
    output_per_million: float | None = None

    def image_price(self, size: str | None, quality: str | None) -> float:
        """Most specific first: "quality size", quality, size, then "default"."""
        keys = [f"{quality} {size}" if quality and size else None, quality, size, "default"]
        for key in keys:
            if key and key in self.per_image:
                return self.per_image[key]
        return 0.0


class ResultsConfig(Section):
    keep_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    keep_mb: float = Field(default=512.0, gt=0, le=100_000)


def _listen_address(value: str, *, example: str) -> str:
    value = value.strip()
    host, _, port = value.rpartition(":")
    if value and not (host and port.isascii() and port.isdigit() and int(port) <= 65535):
        raise ValueError(f'must be "host:port", for example "{example}" (or "" for off)')
    return value


def _listen(example: str) -> AfterValidator:
    """A "host:port" key's check (`_listen_address`), its error showing `example`."""
    return AfterValidator(functools.partial(_listen_address, example=example))


class MetricsConfig(Section):
    listen: Annotated[str, _listen("127.0.0.1:9108")] = ""


class WebConfig(Section):
    """The painting page (`/paint/{token}`), off unless `listen` and `public_url` are both set;
    meant to sit behind a reverse proxy with TLS, which serves `public_url`."""

    listen: Annotated[str, _listen("127.0.0.1:8080")] = ""
    public_url: Annotated[str, _url("https://imagebot.example.com")] = ""
    max_body_mb: float = Field(default=8.0, gt=0, le=100)  # a mask and a prompt; more is refused unread
    requests_per_minute: int = Field(default=30, ge=1, le=10_000)  # per link, and per address without one
    max_open_sends: int = Field(default=8, ge=1, le=1_000)  # sends whose bodies are being read at once
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)  # to read one send's whole body
    # CIDRs whose X-Forwarded-For is believed
    trusted_proxies: Annotated[list[str], _cidrs("127.0.0.1/32")] = Field(default_factory=list)

    @model_validator(mode="after")
    def _both_or_neither(self) -> WebConfig:
        if bool(self.listen) != bool(self.public_url):
            raise ValueError("set both listen and public_url to serve the painting page, or neither")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.listen)


class SecurityConfig(Section):
    secret_key: SecretStr = SecretStr("")
    guild_base_urls: list[str] = Field(default_factory=lambda: ["https://"])
    allowed_networks: Annotated[list[str], _cidrs("10.0.0.0/8")] = Field(default_factory=list)
    guild_parallel_requests: int = Field(default=2, ge=1, le=16)

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < MIN_SECRET_KEY_CHARS:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_CHARS} characters; make one with: "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return value


class LoggingConfig(Section):
    level: str = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value
