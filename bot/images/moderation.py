"""Screening by an OpenAI-compatible moderation endpoint (`POST /moderations`), before any paid call.

The prompt and each image go in a request of their own, all at once: the live API refuses two
images in one request (400 `too_many_images`), though its OpenAPI document does not say so.
Images are sent as base64 data URLs. A screening that fails (an outage, a timeout, an answer
that is not one) is not a refusal: the request goes on, and the result says it was not screened.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from bot.images.errors import ImagesError
from bot.images.payloads import json_object
from bot.images.transport import Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Screening:
    """What screening found: the categories flagged (in the endpoint's names), and whether every
    input was screened at all."""

    flagged: frozenset[str] = frozenset()
    screened: bool = True
    problem: str | None = None  # why some input went unscreened
    in_images: frozenset[str] = frozenset()  # those of `flagged` that an image was flagged for


class Moderation:
    def __init__(self, transport: Transport, *, model: str) -> None:
        """`transport` carries the endpoint's base URL, key, timeouts, retries and body cap."""
        self._transport = transport
        self._model = model

    async def _one(self, item: dict[str, Any]) -> frozenset[str]:
        body = await self._transport.request("/moderations", json_body={"model": self._model, "input": [item]})
        results = body.get("results")
        first = json_object(cast("list[Any]", results)[0]) if isinstance(results, list) and results else None
        categories = json_object(first.get("categories")) if first is not None else None
        if categories is None:
            raise ValueError("the moderation answer has no categories")
        return frozenset(name for name, flagged in categories.items() if flagged is True)

    async def screen(self, text: str | None, images: Sequence[tuple[bytes, str]]) -> Screening:
        """Screen `text` and each of `images` (data, MIME type) at the same time."""
        items: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        for data, mime in images:
            url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
            items.append({"type": "image_url", "image_url": {"url": url}})
        if not items:
            return Screening()
        answers = await asyncio.gather(*(self._one(item) for item in items), return_exceptions=True)
        flagged: set[str] = set()
        in_images: set[str] = set()
        problems: list[str] = []
        for item, answer in zip(items, answers, strict=True):
            if isinstance(answer, ImagesError | ValueError):
                problems.append(str(answer) or type(answer).__name__)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                flagged |= answer
                if item["type"] == "image_url":
                    in_images |= answer
        if problems:
            log.warning("screening failed for %d of %d inputs: %s", len(problems), len(items), problems[0])
        return Screening(
            frozenset(flagged),
            screened=not problems,
            problem=problems[0] if problems else None,
            in_images=frozenset(in_images),
        )
