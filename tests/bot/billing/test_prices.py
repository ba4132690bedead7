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
