"""What a request costs, in USD: from the provider's token usage where it reports it, else from
a per-image price table. Defaults are OpenAI's published list prices; `[prices."model"]` in
config overrides or adds any model.
"""

from __future__ import annotations

from bot.config.sections import ModelPrice
from bot.images import TokenUsage

_GPT_IMAGE_SIZES = {
    "low": 0.011,
    "medium": 0.042,
    "high": 0.167,
    "auto": 0.167,
    "default": 0.167,
    "low 1536x1024": 0.016,
    "low 1024x1536": 0.016,
    "medium 1536x1024": 0.063,
    "medium 1024x1536": 0.063,
    "high 1536x1024": 0.25,
    "high 1024x1536": 0.25,
}
_GPT_IMAGE = ModelPrice(
    per_image=_GPT_IMAGE_SIZES, input_text_per_million=5.0, input_image_per_million=10.0, output_per_million=40.0
)

# 2.5 and 2.6, Flare and Sunburst: $5 per million text input tokens, $8 image input, $30 output.
# The per-image estimates (reserved before the call; the token usage settles it) are those output
# rates at gpt-image's tokens per quality (low 272, medium 1056, high 4160 at 1024x1024), and
# xhigh and max as reported at launch (max on Sunburst about 20 cents at 1024x1024).
_GPT_IMAGE_25_SIZES = {
    "low": 0.008,
    "medium": 0.032,
    "high": 0.125,
    "xhigh": 0.16,
    "max": 0.2,
    "auto": 0.125,
    "default": 0.125,
    **{
        f"{quality} {size}": round(price * 1.5, 3)
        for quality, price in (("low", 0.008), ("medium", 0.032), ("high", 0.125), ("xhigh", 0.16), ("max", 0.2))
        for size in ("1536x1024", "1024x1536")
    },
}
_GPT_IMAGE_25 = ModelPrice(
    per_image=_GPT_IMAGE_25_SIZES, input_text_per_million=5.0, input_image_per_million=8.0, output_per_million=30.0
)
_GPT_IMAGE_25_MODELS = (
    "gpt-image-2.6-flare",
    "gpt-image-2.6-sunburst",
    "gpt-image-2.5-flare",
    "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08",
)

DEFAULT_PRICES: dict[str, ModelPrice] = {
    **dict.fromkeys(_GPT_IMAGE_25_MODELS, _GPT_IMAGE_25),
    "gpt-image-2": _GPT_IMAGE,
    "gpt-image-2-2026-04-21": _GPT_IMAGE,
    "gpt-image-1.5": _GPT_IMAGE,
    "gpt-image-1.5-2025-12-16": _GPT_IMAGE,
    "gpt-image-1": _GPT_IMAGE,
    "chatgpt-image-latest": _GPT_IMAGE,
    "gpt-image-1-mini": ModelPrice(
        per_image={"low": 0.005, "medium": 0.011, "high": 0.036, "auto": 0.036, "default": 0.036},
        input_text_per_million=2.0,
        input_image_per_million=2.5,
        output_per_million=8.0,
    ),
    "dall-e-3": ModelPrice(
        per_image={
            "default": 0.04,
            "hd": 0.08,
            "1792x1024": 0.08,
            "1024x1792": 0.08,
            "hd 1792x1024": 0.12,
            "hd 1024x1792": 0.12,
        }
    ),
    "dall-e-2": ModelPrice(per_image={"default": 0.02, "512x512": 0.018, "256x256": 0.016}),
}
# Chat models /describe uses: billed by tokens alone (an image in the input counts as input tokens).
DEFAULT_PRICES["gpt-5.4-mini"] = ModelPrice(
    per_image={}, input_text_per_million=0.75, input_image_per_million=0.75, output_per_million=4.5
)
UNKNOWN_MODEL_PRICE = ModelPrice()
DESCRIBE_INPUT_TOKENS = 2000  # what a fitted image and the instructions come to, about, for a reservation


class PriceTable:
    def __init__(self, overrides: dict[str, ModelPrice] | None = None) -> None:
        self._prices = {**DEFAULT_PRICES, **(overrides or {})}

    def price(self, model: str) -> ModelPrice:
        return self._prices.get(model, UNKNOWN_MODEL_PRICE)

    def estimate(self, model: str, size: str | None, quality: str | None, n: int) -> float:
        """The most a request should cost, reserved against the budget before the call."""
        return round(self.price(model).image_price(size, quality) * n, 6)

    def chat_estimate(self, model: str, max_output_tokens: int) -> float:
        """The most a chat request should cost (an image's input, and the answer at its cap),
        reserved against the budget before the call; an unpriced model reserves nothing."""
        price = self.price(model)
        input_price = price.input_image_per_million or price.input_text_per_million or 0
        cost = DESCRIBE_INPUT_TOKENS * input_price + max_output_tokens * (price.output_per_million or 0)
        return round(cost / 1_000_000, 6)

    def actual(self, model: str, size: str | None, quality: str | None, images: int, usage: TokenUsage | None) -> float:
        price = self.price(model)
        if usage is not None and usage.total_tokens and price.output_per_million is not None:
            text_tokens = usage.input_tokens - usage.input_image_tokens
            cost = (
                text_tokens * (price.input_text_per_million or 0)
                + usage.input_image_tokens * (price.input_image_per_million or 0)
                + usage.output_tokens * price.output_per_million
            ) / 1_000_000
            return round(cost, 6)
        return round(price.image_price(size, quality) * images, 6)
