"""The builders' own decisions: which hosts an attachment may come from, a warning for each
configured model OpenAI retires soon or has retired, screening and /describe built only when
configured, saved references fitted to the smallest input limit of the models that take several,
and the painting page only with `[web]`."""

import logging
from datetime import UTC, date, datetime

import aiohttp

from bot.assembly import image_hosts, painting_page, reference_store, screener, warn_of_retiring
from bot.config.sections import DiscordConfig, ImagesConfig
from bot.flow.catalog import ModelCatalog
from bot.images import ModelRegistry
from bot.threads import BoundedThreads


class Clock:
    def __init__(self, day: date) -> None:
        self.day = day

    def now(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)

    def monotonic(self) -> float:
        return 0.0


def catalog(clock: Clock, **images) -> ModelCatalog:
    config = ImagesConfig.model_validate(images)
    return ModelCatalog(config, ModelRegistry(config.models), clock)


def test_attachments_come_from_discords_cdn_the_configured_hosts_and_a_compatible_servers_host():
    assert image_hosts(DiscordConfig()) == {"cdn.discordapp.com", "media.discordapp.net"}
    configured = DiscordConfig(cdn_hosts=["cdn.example"], api_base_url="http://127.0.0.1:8080/api/v10")
    assert image_hosts(configured) == {"cdn.discordapp.com", "media.discordapp.net", "cdn.example", "127.0.0.1"}


def test_a_model_retiring_within_30_days_or_retired_is_warned_of(caplog):
    # gpt-image-1 retires on 2026-10-23 by the model table; gpt-image-2 has no date
    models = {"model": "gpt-image-2", "offered_models": ["gpt-image-2", "gpt-image-1"]}
    for day, said in [(date(2026, 9, 1), None), (date(2026, 10, 1), "retires"), (date(2026, 11, 1), "retired")]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, "bot.assembly"):
            warn_of_retiring(catalog(Clock(day), **models), Clock(day))
        lines = [record.getMessage() for record in caplog.records]
        expected = (
            [] if said is None else [f"OpenAI {said} the model gpt-image-1 on 2026-10-23; offer gpt-image-2 instead"]
        )
        assert [line.split(" (")[0] for line in lines] == expected


def test_another_servers_models_are_never_warned_of(caplog):
    models = {"model": "gpt-image-1", "offered_models": [], "base_url": "https://images.example/v1"}
    with caplog.at_level(logging.WARNING, "bot.assembly"):
        warn_of_retiring(catalog(Clock(date(2026, 11, 1)), **models), Clock(date(2026, 11, 1)))
    assert caplog.records == []


async def test_screening_is_built_only_when_it_is_on(make_config):
    async with aiohttp.ClientSession() as http:
        threads = BoundedThreads(1)
        assert screener(make_config(moderation={"enabled": False}), http, threads) is None
        on = screener(make_config(moderation={"enabled": True, "categories": ["hate"]}), http, threads)
        assert on is not None


def test_references_fit_the_smallest_input_limit_of_the_models_that_take_several(make_config):
    clock = Clock(date(2026, 12, 6))
    registry = ModelRegistry()
    several = [name for name in ("gpt-image-2", "gpt-image-1-mini") if registry.get(name).max_edit_images >= 2]
    assert several, "the test needs a model that takes several inputs"
    expected = min(registry.get(name).max_input_mb for name in several)
    config = make_config(
        images={"model": "gpt-image-2", "offered_models": ["gpt-image-2", "gpt-image-1-mini", "dall-e-2"]}
    )
    store = reference_store(
        config,
        sessions=None,
        catalog=catalog(clock, **config.images.model_dump()),
        downloads=None,
        threads=None,
        screening=None,
    )
    assert store.limits.max_bytes == expected * 1024 * 1024
    alone = make_config(images={"model": "dall-e-2", "offered_models": ["dall-e-2"]})
    store = reference_store(
        alone,
        sessions=None,
        catalog=catalog(clock, **alone.images.model_dump()),
        downloads=None,
        threads=None,
        screening=None,
    )
    assert store.limits.max_bytes == registry.get("dall-e-2").max_input_mb * 1024 * 1024
    assert (store.limits.max_per_guild, store.limits.max_per_member) == (50, 10)


def test_the_painting_page_is_built_only_with_web(make_config):
    parts = {
        name: None
        for name in (
            "sessions",
            "catalog",
            "admission",
            "usage",
            "failures",
            "downloads",
            "threads",
            "clock",
            "locales",
        )
    }
    assert painting_page(make_config(), **parts) == (None, None)
