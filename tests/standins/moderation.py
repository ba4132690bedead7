"""The moderation endpoint of the Images stand-in: `POST /v1/moderations`, as
`tests/specs/openai-moderations.openapi.yaml` describes it, requests and answers validated
against that document.

It flags by rules the tests choose: words in a text input, and the colour an image input is
mostly of (the bot sends a re-encoded copy, so its bytes are never the test's own). As the live
API does (its document does not say so), it refuses two images in one request with 400
`too_many_images`; and it scores images only for the categories OpenAI scores images for.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from tests.standins.images_rules import API_KEY
from tests.standins.spec import SpecViolation, load_spec

OPENAI_MODERATIONS = "openai-moderations.openapi.yaml"
MODERATION_MODEL = "omni-moderation-latest"  # the model it answers as, unless a request names another
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)


@dataclass
class ModerationRules:
    """What the stand-in flags, and how it fails."""

    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a word in the text: its categories
    colours: list[tuple[tuple[int, int, int], tuple[str, ...]]] = field(default_factory=list)
    every_image: tuple[str, ...] = ()  # categories every image input is flagged for
    fault: str | None = None  # "down" (503), "slow" (answers after `delay`), "garbage" (200, not JSON)
    delay: float = 0.0


class Moderations:
    """Mixed into the Images stand-in; `moderation` holds the rules, `moderation_requests` what came."""

    api_key: str = API_KEY
    violations: list[str]

    def _init_moderation(self) -> None:
        self.moderation = ModerationRules()
        self.moderation_requests: list[dict[str, Any]] = []
        self.moderation_spec = load_spec(OPENAI_MODERATIONS, "/v1")

    def _image_flags(self, url: str) -> frozenset[str]:
        if not url.startswith("data:"):
            raise web.HTTPBadRequest(text="the stand-in takes images as data URLs only")
        try:
            data = base64.b64decode(url.split(",", 1)[1], validate=True)
            image = Image.open(io.BytesIO(data)).convert("RGB")
        except (IndexError, binascii.Error, UnidentifiedImageError, OSError):
            raise web.HTTPBadRequest(text="the image data URL does not decode") from None
        mean = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        flagged: set[str] = set(self.moderation.every_image) & IMAGE_CATEGORIES
        for colour, categories in self.moderation.colours:
            if all(abs(a - b) <= 40 for a, b in zip(mean, colour, strict=True)):  # type: ignore[arg-type]
                flagged |= set(categories) & IMAGE_CATEGORIES
        return frozenset(flagged)

    def _text_flags(self, text: str) -> frozenset[str]:
        lowered = text.lower()
        return frozenset(
            category for word, categories in self.moderation.words.items() if word in lowered for category in categories
        )

    async def _moderations(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.moderation_requests.append(body)
        try:
            operation = self.moderation_spec.validate_request(
                request.method, request.path, dict(request.query), request.content_type, body
            )
        except SpecViolation as exc:
            self.violations.append(str(exc))
            return _error(400, f"Invalid request: {exc}")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        if self.moderation.fault == "down":
            return _error(503, "The server is overloaded or not ready yet.", kind="server_error")
        if self.moderation.fault == "slow":
            await asyncio.sleep(self.moderation.delay)
        if self.moderation.fault == "garbage":
            return web.Response(text="<html>upstream error</html>", content_type="text/html")
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        images = [item for item in inputs if isinstance(item, dict) and item.get("type") == "image_url"]
        if len(images) > 1:
            return _error(400, "Only one image can be provided per request.", code="too_many_images")
        flagged: set[str] = set()
        kinds: set[str] = set()
        for item in inputs:
            if isinstance(item, str) or item.get("type") == "text":
                flagged |= self._text_flags(item if isinstance(item, str) else item["text"])
                kinds.add("text")
            else:
                flagged |= self._image_flags(item["image_url"]["url"])
                kinds.add("image")
        answer = _answer(body.get("model", MODERATION_MODEL), frozenset(flagged), kinds)
        self.moderation_spec.validate_response(operation, 200, "application/json", answer)
        return web.json_response(answer)


def _answer(model: str, flagged: frozenset[str], kinds: set[str]) -> dict[str, Any]:
    def applied(category: str) -> list[str]:
        return sorted(kinds if category in IMAGE_CATEGORIES else kinds & {"text"})

    return {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": model,
        "results": [
            {
                "flagged": bool(flagged),
                "categories": {category: category in flagged for category in CATEGORIES},
                "category_scores": {category: 0.99 if category in flagged else 0.0001 for category in CATEGORIES},
                "category_applied_input_types": {category: applied(category) for category in CATEGORIES},
            }
        ],
    }


def _error(status: int, message: str, *, code: str | None = None, kind: str = "invalid_request_error") -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "param": None, "code": code}}, status=status)
