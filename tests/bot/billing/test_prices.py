"""Prices: the most specific per-image price, token prices where usage is known, config overrides."""

import pytest

from bot.billing.prices import PriceTable
from bot.config.sections import ModelPrice
from bot.images import TokenUsage


def test_per_image_prices_go_from_most_to_least_specific():
    prices = PriceTable()
    assert prices.estimate("gpt-image-2", "1536x1024", "high", 2) == pytest.approx(0.5)
    assert prices.estimate("gpt-image-2", "1024x1024", "medium", 1) == pytest.approx(0.042)
    assert prices.estimate("dall-e-3", "1792x1024", None, 1) == pytest.approx(0.08)
    assert prices.estimate("dall-e-2", "256x256", None, 10) == pytest.approx(0.16)
    assert prices.estimate("someone-elses-model", "1024x1024", None, 3) == pytest.approx(0.12)


def test_token_usage_wins_when_the_model_has_token_prices():
    usage = TokenUsage(input_tokens=1000, output_tokens=2000, total_tokens=3000, input_image_tokens=400)
    cost = PriceTable().actual("gpt-image-2", "1024x1024", "high", 1, usage)
    assert cost == pytest.approx((600 * 5 + 400 * 10 + 2000 * 40) / 1e6)
    assert PriceTable().actual("dall-e-3", "1024x1024", None, 2, usage) == pytest.approx(0.08)


def test_config_overrides_and_adds_models():
    prices = PriceTable({"my-sd": ModelPrice(per_image={"default": 0.01, "1024x1024": 0.02})})
    assert prices.estimate("my-sd", "1024x1024", None, 2) == pytest.approx(0.04)
    assert prices.estimate("my-sd", "512x512", None, 1) == pytest.approx(0.01)


def test_todays_models_are_priced_at_their_token_rates():
    table = PriceTable()
    usage = TokenUsage(input_tokens=1_000_100, output_tokens=1_000_000, input_image_tokens=1_000_000, total_tokens=1)
    for model in ("gpt-image-2.6-flare", "gpt-image-2.6-sunburst", "gpt-image-2.5-sunburst-2026-09-08"):
        # 100 text tokens at $5/M, a million image tokens at $8/M, a million output tokens at $30/M
        assert table.actual(model, "1024x1024", "high", 1, usage) == round(100 * 5e-6 + 8 + 30, 6)
    assert table.estimate("gpt-image-2.6-flare", "1024x1024", "low", 1) < 0.01  # a fraction of a cent
    assert table.estimate("gpt-image-2.6-sunburst", "1024x1024", "max", 1) == 0.2
