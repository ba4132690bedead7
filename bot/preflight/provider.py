"""What the images API says of the bot's own key and models, asked once before the start with
`GET /models`.

A key it refuses (401, 403) stops the start. On OpenAI's API (`images.on_openai`), whose list is
complete, a default, draft or enhance model it does not list stops the start too, naming the
closest names it does list; an offered model it does not list is a warning and is not offered. Another server's
list may be partial, so there each of these is a warning only. A list that cannot be had (no
answer, a 5xx, no `/models` at all) is one warning, and the bot starts unchecked.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

import aiohttp

from bot.config import ENV_OPENAI_API_KEY
from bot.config.sections import ImagesConfig
from bot.images import ImagesClient, ImagesError, ModelRegistry
from bot.images.errors import APIConnectionError, APIStatusError, APITimeoutError
from bot.images.transport import Transport, TransportSettings


@dataclass
class ProviderCheck:
    """What the check found: `problems` stop the start; `warnings` are logged; `offered` is what
    members may pick from `images.offered_models`."""

    offered: list[str]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _why_unlisted(name: str, listed: list[str], registry: ModelRegistry, today: date) -> str:
    """What to use instead of `name`: its replacement, if the model table says it was retired,
    else the closest names listed (or the image models listed, when none is close)."""
    spec = registry.get(name)
    if spec.retires is not None and spec.retires <= today and spec.replacement:
        return f'OpenAI retired it on {spec.retires.isoformat()}; use "{spec.replacement}" instead'
    close = difflib.get_close_matches(name, listed, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f'"{candidate}"' for candidate in close) + "?"
    images = [candidate for candidate in listed if candidate in registry]
    return f"the image models it lists: {', '.join(images)}" if images else "it lists no image model the bot knows"


def _listing_failure(exc: ImagesError, base_url: str) -> str:
    if isinstance(exc, APITimeoutError):
        reason = "no answer in time"
    elif isinstance(exc, APIConnectionError):
        reason = "could not reach it"
    elif isinstance(exc, APIStatusError) and exc.status == 404:
        reason = "HTTP 404: it has no model list"
    elif isinstance(exc, APIStatusError):
        reason = f"HTTP {exc.status}"
    else:
        reason = "its answer is not a model list"
    return (
        f"could not list the models at {base_url}/models ({reason}); images.model and images.offered_models "
        "were not checked: the first request will show whether they work"
    )


def judge_models(images: ImagesConfig, listed: list[str], registry: ModelRegistry, today: date) -> ProviderCheck:
    """The verdict on the configured models, given the ids the provider lists."""
    check = ProviderCheck(offered=list(images.offered_models))
    known = set(listed)
    where = "OpenAI" if images.on_openai else images.base_url
    for key in ("model", "draft_model", "enhance_model"):  # each the bot uses by itself
        name = getattr(images, key)
        if name in known:
            continue
        advice = _why_unlisted(name, listed, registry, today)
        if images.on_openai:
            check.problems.append(f'images.{key}: OpenAI does not list "{name}" for this key; {advice}')
        else:
            check.warnings.append(f'images.{key}: {where} does not list "{name}" (its list may be partial); {advice}')
    for name in images.offered_models:
        if name in known or name == images.model:
            continue
        advice = _why_unlisted(name, listed, registry, today)
        if images.on_openai:
            check.offered.remove(name)
            check.warnings.append(
                f'images.offered_models: OpenAI does not list "{name}" for this key, so it is not offered; {advice}'
            )
        else:
            check.warnings.append(
                f'images.offered_models: {where} does not list "{name}" (its list may be partial); still offered; '
                f"{advice}"
            )
    return check


async def check_images_api(images: ImagesConfig, registry: ModelRegistry, today: date) -> ProviderCheck:
    """One `GET /models` with the bot's key, within `images.connect_timeout_seconds`, and its verdict."""
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(
            Transport(
                session,
                base_url=images.base_url,
                api_key=images.api_key.get_secret_value(),
                settings=TransportSettings(
                    timeout=images.connect_timeout_seconds,
                    connect_timeout=images.connect_timeout_seconds,
                    max_retries=0,
                    max_response_bytes=8 * 2**20,
                ),
            )
        )
        try:
            listed = await client.list_models()
        except APIStatusError as exc:
            if exc.status in {401, 403}:
                return ProviderCheck(
                    offered=list(images.offered_models),
                    problems=[
                        f"images.api_key: {images.base_url} refused the key (HTTP {exc.status}); set "
                        f"{ENV_OPENAI_API_KEY} or [images] api_key to a valid key for it"
                    ],
                )
            return ProviderCheck(offered=list(images.offered_models), warnings=[_listing_failure(exc, images.base_url)])
        except ImagesError as exc:
            return ProviderCheck(offered=list(images.offered_models), warnings=[_listing_failure(exc, images.base_url)])
    return judge_models(images, listed, registry, today)
