"""Model lifecycle: on OpenAI's own API a retired model is refused before any call, naming its
replacement, and models retiring within 30 days are warned of; compatible servers are unaffected."""

from datetime import UTC, date, datetime

import pytest

from bot.config.sections import ImagesConfig
from bot.errors import InvalidRequest
from bot.flow.catalog import ModelCatalog
from bot.images import ModelRegistry
from bot.images.models import ModelOverride

OFFERED = ["gpt-image-2", "gpt-image-1", "dall-e-3", "dall-e-2"]


class DayClock:
    def __init__(self, day: date) -> None:
        self.day = day

    def now(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 12, tzinfo=UTC)

    def monotonic(self) -> float:
        return 0.0


def catalog(day: date, base_url: str = "https://api.openai.com/v1", **models: ModelOverride) -> ModelCatalog:
    config = ImagesConfig(base_url=base_url, model="gpt-image-2", offered_models=OFFERED)
    return ModelCatalog(config, ModelRegistry(models), DayClock(day))


@pytest.mark.parametrize(
    ("model", "retired"),
    [("dall-e-3", "2026-05-12"), ("dall-e-2", "2026-05-12"), ("gpt-image-1", "2026-10-23")],
)
def test_a_retired_model_is_refused_on_openai_naming_its_replacement(model, retired):
    with pytest.raises(InvalidRequest) as refused:
        catalog(date(2026, 11, 25)).resolve(model)
    assert refused.value.message.render("en-US") == f"OpenAI retired `{model}` on {retired}. Use `gpt-image-2` instead."
    assert catalog(date(2026, 11, 25)).resolve("gpt-image-2").name == "gpt-image-2"


def test_a_model_runs_until_its_retirement_day():
    assert catalog(date(2026, 10, 22)).resolve("gpt-image-1").name == "gpt-image-1"
    with pytest.raises(InvalidRequest):
        catalog(date(2026, 10, 23)).resolve("gpt-image-1")


def test_a_compatible_server_keeps_every_model_it_serves():
    compatible = catalog(date(2026, 11, 25), base_url="http://127.0.0.1:8080/v1")
    assert [compatible.resolve(model).name for model in OFFERED] == OFFERED
    assert compatible.retiring_soon() == []


def test_models_retiring_within_30_days_are_named_and_config_adds_dates():
    assert [spec.name for spec in catalog(date(2026, 9, 23)).retiring_soon()] == ["gpt-image-1", "dall-e-3", "dall-e-2"]
    assert [spec.name for spec in catalog(date(2026, 9, 22)).retiring_soon()] == ["dall-e-3", "dall-e-2"]
    announced = ModelOverride(retires=date(2026, 12, 20), replacement="gpt-image-2")
    soon = catalog(date(2026, 11, 25), **{"gpt-image-2": announced}).retiring_soon()
    assert [spec.name for spec in soon] == ["gpt-image-2", "gpt-image-1", "dall-e-3", "dall-e-2"]
