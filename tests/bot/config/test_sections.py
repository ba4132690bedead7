"""The configuration's sections read on their own: every key known and frozen, URLs of the right
scheme without their trailing slash, shards within their count, the draft and enhance qualities
offered by their models, whose API the images come from, moderation categories, database URLs
(a relative SQLite path taken from the config's folder), prices most specific first, listen
addresses, the painting page's two keys together, the secret key's length, and log levels."""

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.config.sections import (
    DatabaseConfig,
    DiscordConfig,
    ImagesConfig,
    LoggingConfig,
    MetricsConfig,
    ModelPrice,
    ModerationConfig,
    SecurityConfig,
    WebConfig,
)


def test_a_misspelt_key_is_an_error_and_a_section_is_frozen():
    with pytest.raises(ValidationError, match="modle"):
        ImagesConfig.model_validate({"modle": "gpt-image-2"})
    images = ImagesConfig()
    with pytest.raises(ValidationError, match="frozen"):
        images.model = "dall-e-3"  # pyright: ignore[reportAttributeAccessIssue]  the point: it is refused


def test_urls_lose_their_trailing_slash_and_keep_to_their_scheme():
    discord = DiscordConfig(api_base_url=" https://discord.example/api/v10/ ", gateway_url="wss://gateway.example/")
    assert (discord.api_base_url, discord.gateway_url) == ("https://discord.example/api/v10", "wss://gateway.example")
    with pytest.raises(
        ValidationError, match=re.escape("must start with ws:// or wss://, for example wss://gateway.discord.gg")
    ):
        DiscordConfig(gateway_url="https://gateway.example")
    with pytest.raises(ValidationError, match="must start with http:// or https://"):
        ImagesConfig(base_url="api.openai.com/v1")
    with pytest.raises(ValidationError, match="must not be empty"):
        ImagesConfig(base_url=" / ")
    assert ModerationConfig(base_url="").base_url is None
    assert ModerationConfig(base_url="http://moderation.local/v1/").base_url == "http://moderation.local/v1"


@pytest.mark.parametrize(
    ("shards", "problem"),
    [
        ({"shard_ids": [0]}, "needs shard_count"),
        ({"shard_ids": [0, 3], "shard_count": 3}, "from 0 to 2"),
        ({"shard_ids": [1, 1], "shard_count": 3}, "distinct"),
        ({"shard_ids": [], "shard_count": 3}, "distinct"),
    ],
)
def test_shards_are_distinct_and_within_their_count(shards, problem):
    with pytest.raises(ValidationError, match=problem):
        DiscordConfig.model_validate(shards)


def test_shards_within_their_count_or_none_are_taken():
    assert DiscordConfig(shard_ids=[2, 0], shard_count=3).shard_ids == [2, 0]
    assert DiscordConfig(shard_count=3).shard_ids is None


def test_a_model_is_named_and_the_draft_and_enhance_qualities_are_the_models_own():
    assert ImagesConfig(model=" gpt-image-2 ").model == "gpt-image-2"
    with pytest.raises(ValidationError, match="must name a model"):
        ImagesConfig(draft_model="  ")
    with pytest.raises(ValidationError, match="draft_quality 'ultra' is not a quality of gpt-image-2; it offers auto"):
        ImagesConfig(draft_model="gpt-image-2", draft_quality="ultra")
    with pytest.raises(ValidationError, match="enhance_quality 'high' is not a quality of dall-e-2; it offers none"):
        ImagesConfig(enhance_model="dall-e-2")
    assert ImagesConfig(draft_model="my-own-model", draft_quality="anything").draft_quality == "anything"


@pytest.mark.parametrize(
    ("fields", "on_openai"),
    [
        ({}, True),
        ({"base_url": "https://images.example/v1"}, False),
        ({"base_url": "https://proxy.example/v1", "provider": "openai"}, True),
        ({"provider": "compatible"}, False),
    ],
)
def test_whose_api_it_is(fields, on_openai):
    assert ImagesConfig.model_validate(fields).on_openai is on_openai


def test_moderation_categories_are_the_endpoints():
    assert ModerationConfig(categories=["sexual/minors", "hate"]).categories == ["sexual/minors", "hate"]
    with pytest.raises(ValidationError, match=r"unknown categories \['gore'\]; choose from harassment"):
        ModerationConfig(categories=["hate", "gore"])


def database(url: str, folder: Path | None = None) -> str:
    return DatabaseConfig.model_validate({"url": url}, context={"folder": folder} if folder else None).url


def test_a_relative_sqlite_path_is_taken_from_the_configs_folder(tmp_path):
    assert database("sqlite+aiosqlite:///data/bot.db", tmp_path) == f"sqlite+aiosqlite:///{tmp_path}/data/bot.db"
    assert database("sqlite+aiosqlite:///data/bot.db") == "sqlite+aiosqlite:///data/bot.db"
    assert database("sqlite+aiosqlite:////var/lib/bot.db", tmp_path) == "sqlite+aiosqlite:////var/lib/bot.db"
    assert DatabaseConfig().url == "sqlite+aiosqlite:///data/imagebot.db"
    postgres = "postgresql+asyncpg://bot:secret@db.example:5433/imagebot"
    assert database(postgres, tmp_path) == postgres


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite:///data/bot.db", "must be an async SQLAlchemy URL"),
        ("postgresql://db/imagebot", "must be an async SQLAlchemy URL"),
        ("postgresql+asyncpg://db:99999/imagebot", "port 99999 is not a port"),
        ("sqlite+aiosqlite://data/bot.db", 'reads "data" as a host: .* sqlite\\+aiosqlite:///data/bot.db'),
        ("sqlite+aiosqlite://", "names no database file"),
        ("sqlite+aiosqlite:///:memory:", "names no database file"),
    ],
)
def test_a_database_url_that_cannot_work_is_refused_with_an_example(url, problem):
    with pytest.raises(ValidationError, match=problem):
        database(url)


def test_a_price_is_the_most_specific_one_listed():
    price = ModelPrice(per_image={"high 1536x1024": 0.25, "high": 0.17, "1536x1024": 0.06, "default": 0.04})
    assert price.image_price("1536x1024", "high") == 0.25
    assert price.image_price("1024x1024", "high") == 0.17
    assert price.image_price("1536x1024", "low") == 0.06
    assert price.image_price(None, None) == 0.04
    assert ModelPrice(per_image={"hd": 0.08}).image_price("1024x1024", "standard") == 0.0


@pytest.mark.parametrize("listen", ["", "127.0.0.1:9108", "[::1]:9108", " 0.0.0.0:80 "])
def test_a_listen_address_is_host_and_port_or_nothing(listen):
    assert MetricsConfig(listen=listen).listen == listen.strip()


@pytest.mark.parametrize("listen", ["9108", ":9108", "localhost:", "localhost:http", "localhost:65536", "host:٣"])
def test_a_listen_address_without_host_and_port_is_refused(listen):
    with pytest.raises(ValidationError, match=re.escape('must be "host:port", for example "127.0.0.1:9108"')):
        MetricsConfig(listen=listen)


def test_the_painting_page_takes_both_its_addresses_or_neither():
    assert not WebConfig().enabled
    assert WebConfig(listen="127.0.0.1:8080", public_url="https://paint.example/").enabled
    for half in ({"listen": "127.0.0.1:8080"}, {"public_url": "https://paint.example"}):
        with pytest.raises(ValidationError, match="set both listen and public_url"):
            WebConfig.model_validate(half)
    with pytest.raises(ValidationError, match=re.escape('is not a network; write one like "127.0.0.1/32"')):
        WebConfig(trusted_proxies=["10.0.0.0/8", "proxy.example"])


def test_the_secret_key_is_long_enough_or_unset():
    assert SecurityConfig().secret_key.get_secret_value() == ""
    assert len(SecurityConfig(secret_key=SecretStr("k" * 32)).secret_key.get_secret_value()) == 32
    with pytest.raises(ValidationError, match="at least 32 characters") as refused:
        SecurityConfig(secret_key=SecretStr("short-secret"))
    assert "short-secret" not in str(refused.value)
    with pytest.raises(ValidationError, match=re.escape('write one like "10.0.0.0/8"')):
        SecurityConfig(allowed_networks=["10.0.0.0/33"])


def test_a_log_level_is_read_in_any_case():
    assert LoggingConfig(level="debug").level == "DEBUG"
    with pytest.raises(ValidationError, match="must be one of DEBUG, INFO, WARNING, ERROR"):
        LoggingConfig(level="verbose")
