import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"DISCORD_TOKEN": "env-discord-token", "OPENAI_API_KEY": "sk-env-key-123"}


def test_example_config_is_valid_with_secrets_from_env():
    data = tomllib.loads((ROOT / "config.example.toml").read_text())
    config = parse_config(data, SECRETS)
    assert config.discord.token.get_secret_value() == "env-discord-token"
    assert config.images.api_key.get_secret_value() == "sk-env-key-123"
    assert config.database.url.startswith("sqlite+aiosqlite://")


def test_environment_wins_over_file():
    data = {"discord": {"token": "file-token"}, "images": {"api_key": "sk-file"}}
    config = parse_config(data, SECRETS)
    assert config.discord.token.get_secret_value() == "env-discord-token"
    assert config.images.api_key.get_secret_value() == "sk-env-key-123"
    assert "env-discord-token" not in repr(config) and "sk-env-key-123" not in repr(config)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"images": {"api_key": "sk-x"}}, "discord.token is empty; set the DISCORD_TOKEN"),
        ({"discord": {"token": "t"}}, "images.api_key is empty; set the OPENAI_API_KEY"),
        ({"discord": {"token": "t", "tokn": "x"}, "images": {"api_key": "k"}}, "discord.tokn: unknown key"),
        (
            {**{"discord": {"token": "t"}}, "images": {"api_key": "k", "base_url": "api.example.com"}},
            "images.base_url: must start with http:// or https://",
        ),
        ({"discord": {"token": "t"}, "images": {"api_key": "k", "max_retries": -1}}, "images.max_retries:"),
        (
            {"discord": {"token": "t"}, "images": {"api_key": "k"}, "database": {"url": "sqlite:///x.db"}},
            "database.url: must be an async SQLAlchemy URL",
        ),
        (
            {"discord": {"token": "t"}, "images": {"api_key": "k", "models": {"m": {"like": "nope"}}}},
            'images.models."m".like: "nope" is not a known model',
        ),
        (
            {"discord": {"token": "t"}, "images": {"api_key": "k"}, "metrics": {"listen": "9108"}},
            'metrics.listen: must be "host:port"',
        ),
        (
            {"discord": {"token": "t"}, "images": {"api_key": "k"}, "security": {"secret_key": "short"}},
            "security.secret_key: must be at least 32 characters",
        ),
        (
            {"discord": {"token": "t"}, "images": {"api_key": "k"}, "web": {"trusted_proxies": ["the proxy"]}},
            "web.trusted_proxies: 'the proxy' is not a network; write one like \"127.0.0.1/32\"",
        ),
    ],
)
def test_errors_name_the_key_and_the_fix(data, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, {})
    assert [expected in problem for problem in caught.value.problems] == [True]


def test_missing_file_says_to_copy_the_example(tmp_path):
    with pytest.raises(ConfigError, match=r"copy config\.example\.toml"):
        load_config(tmp_path / "config.toml", {})


def test_invalid_toml_is_reported(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[discord\ntoken = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, {})


def test_the_secret_key_comes_from_the_environment_and_is_redacted():
    environ = {**SECRETS, "IMAGEBOT_SECRET_KEY": "s" * 40}
    config = parse_config({"security": {"secret_key": "f" * 40}}, environ)
    assert config.security.secret_key.get_secret_value() == "s" * 40
    assert "s" * 40 in config.secrets() and "s" * 40 not in repr(config)


def test_a_relative_sqlite_path_is_taken_from_the_config_files_folder(tmp_path):
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "config.toml"
    path.write_text('[database]\nurl = "sqlite+aiosqlite:///data/bot.db"\n')
    assert load_config(path, SECRETS).database.url == f"sqlite+aiosqlite:///{tmp_path}/conf/data/bot.db"
    path.write_text("")  # the default path, too
    assert load_config(path, SECRETS).database.url == f"sqlite+aiosqlite:///{tmp_path}/conf/data/imagebot.db"
    path.write_text('[database]\nurl = "sqlite+aiosqlite:////srv/bot.db"\n')
    assert load_config(path, SECRETS).database.url == "sqlite+aiosqlite:////srv/bot.db"


@pytest.mark.parametrize(
    ("section", "key", "example"),
    [
        ("images", "base_url", "https://api.openai.com/v1"),
        ("moderation", "base_url", "https://api.openai.com/v1"),
        ("discord", "api_base_url", "https://discord.com/api/v10"),
        ("discord", "gateway_url", "wss://gateway.discord.gg"),
        ("web", "public_url", "https://imagebot.example.com"),
        ("metrics", "listen", '"127.0.0.1:9108" (or "" for off)'),
        ("web", "listen", '"127.0.0.1:8080" (or "" for off)'),
    ],
)
def test_each_address_error_gives_an_example_of_its_own_key(section, key, example):
    data = {section: {key: "example.com"}}
    if section == "web":
        data["web"] |= {"listen": "127.0.0.1:8080", "public_url": "https://imagebot.example.com", key: "example.com"}
    with pytest.raises(ConfigError) as caught:
        parse_config(data, SECRETS)
    [problem] = caught.value.problems
    assert problem.startswith(f"config: {section}.{key}: must ") and problem.endswith(f"for example {example}")


def test_every_problem_is_reported_at_once_and_commands_without_secrets_need_none():
    data = {"database": {"url": "sqlite+aiosqlite://data/x.db"}, "metrics": {"listen": "9108"}}
    with pytest.raises(ConfigError) as caught:
        parse_config(data, {})
    assert [problem.split(":")[1].split()[0] for problem in caught.value.problems] == [
        "database.url",
        "metrics.listen",
        "discord.token",
        "images.api_key",
    ]
    assert "three slashes, sqlite+aiosqlite:///data/x.db" in caught.value.problems[0]
    config = parse_config({}, {}, needs_secrets=False)
    assert not config.discord.token.get_secret_value() and not config.images.api_key.get_secret_value()


@pytest.mark.parametrize(
    ("images", "on_openai"),
    [
        ({}, True),
        ({"base_url": "https://api.openai.com/v1/"}, True),
        ({"base_url": "http://127.0.0.1:8000/v1"}, False),
        ({"base_url": "http://127.0.0.1:8000/v1", "provider": "openai"}, True),  # a proxy that passes OpenAI through
        ({"provider": "compatible"}, False),
    ],
)
def test_whether_the_images_api_is_openais(images, on_openai):
    config = parse_config({"images": images}, SECRETS)
    assert config.images.on_openai is on_openai and config.screening is on_openai
