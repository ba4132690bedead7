"""The checks before the start, together: a config that passes comes back offering the models the
images API lists (the config it was given unchanged); the database's problem and the provider's
are raised together, one line each, the database's first."""

from datetime import date

import pytest

from bot.config import parse_config
from bot.preflight import PreflightError, checked

TODAY = date(2026, 12, 6)


async def test_a_config_that_passes_offers_what_the_api_lists(config_data, caplog):
    data = {**config_data, "images": {**config_data["images"], "provider": "openai"}}
    data["images"]["offered_models"] = ["gpt-image-2", "gpt-image-1-mni"]
    config = parse_config(data, environ={})
    result = await checked(config, TODAY)
    assert result.images.offered_models == ["gpt-image-2"]
    assert config.images.offered_models == ["gpt-image-2", "gpt-image-1-mni"]
    assert result.database == config.database and result.discord == config.discord
    assert any('does not list "gpt-image-1-mni"' in record.getMessage() for record in caplog.records)


async def test_every_problem_is_raised_at_once_the_databases_first(config_data, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    data = {
        **config_data,
        "images": {**config_data["images"], "provider": "openai", "api_key": "sk-not-this-one-42"},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'imagebot.db'}"},
    }
    with pytest.raises(PreflightError) as stopped:
        await checked(parse_config(data, environ={}), TODAY)
    database, key = stopped.value.problems
    assert database.startswith("database.url") and key.startswith("images.api_key")
    assert str(stopped.value) == f"{database}\n{key}"
    assert "sk-not-this-one-42" not in str(stopped.value)
