"""The chat endpoint of the Images stand-in: `POST /v1/chat/completions`, as
`tests/specs/openai-chat.openapi.yaml` describes it, requests and answers validated against that
document.

It answers a question about an image with four prompts derived from the image (its dominant
colour, its shape), as JSON in the message's content, and token usage: the image's tokens as a
vision model counts them (85 a tile of 512 pixels, plus 85), the text's as a word count. It can be
told to be missing (404, as a server without the endpoint) or to answer with text that is not JSON.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from tests.standins.images_rules import API_KEY
from tests.standins.spec import SpecViolation, load_spec

OPENAI_CHAT = "openai-chat.openapi.yaml"
COLOURS = {
    "red": (200, 30, 30),
    "green": (30, 160, 60),
    "blue": (30, 60, 200),
    "yellow": (230, 210, 40),
    "black": (10, 10, 10),
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
}


@dataclass
class ChatRequest:
    body: dict[str, Any]
    image: Image.Image | None
    image_url: str | None
    authorization: str | None


def colour_name(image: Image.Image) -> str:
    """The named colour nearest the image's mean colour."""
    mean = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return min(COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOURS[name], mean, strict=True)))  # type: ignore[arg-type]


def prompts_for(image: Image.Image) -> list[str]:
    colour = colour_name(image)
    shape = "wide" if image.width > image.height else "tall" if image.height > image.width else "square"
    return [
        f"A {shape} abstract painting in {colour} tones",
        f"A minimalist {colour} poster, flat colour, {shape} format",
        f"A {colour} photograph of a calm surface, soft light",
        f"An oil painting dominated by {colour}, thick brushstrokes",
    ]


class Chats:
    """Mixed into the Images stand-in; `chat_requests` holds what came."""

    api_key: str = API_KEY
    violations: list[str]

    def _init_chat(self) -> None:
        self.chat_requests: list[ChatRequest] = []
        self.chat_spec = load_spec(OPENAI_CHAT, "/v1")
        self.chat_answer: Literal["prompts", "missing", "not_json"] = "prompts"

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        if self.chat_answer == "missing":
            raise web.HTTPNotFound()
        body = await request.json()
        recorded = ChatRequest(body, None, None, request.headers.get("Authorization"))
        self.chat_requests.append(recorded)
        try:
            operation = self.chat_spec.validate_request(
                request.method, request.path, dict(request.query), request.content_type, body
            )
        except SpecViolation as exc:
            self.violations.append(str(exc))
            return _error(400, f"Invalid request: {exc}")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        urls = [
            part["image_url"]["url"]
            for message in body["messages"]
            if isinstance(message.get("content"), list)
            for part in message["content"]
            if part.get("type") == "image_url"
        ]
        if len(urls) != 1:
            return _error(400, "The stand-in answers questions about exactly one image.")
        recorded.image_url = urls[0]
        try:
            recorded.image = _decode(urls[0])
        except ValueError as exc:
            return _error(400, f"Invalid image: {exc}", code="invalid_image_format")
        content = json.dumps({"prompts": prompts_for(recorded.image)})
        if self.chat_answer == "not_json":
            content = "Here are four prompts: a red painting, a red poster, a red photo, a red oil painting."
        image_tokens = 85 + 85 * math.ceil(recorded.image.width / 512) * math.ceil(recorded.image.height / 512)
        text_tokens = sum(len(str(message.get("content")).split()) for message in body["messages"] if message)
        output_tokens = len(content.split()) * 2
        answer = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": image_tokens + text_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": image_tokens + text_tokens + output_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "image_tokens": image_tokens, "text_tokens": text_tokens},
            },
        }
        try:
            self.chat_spec.validate_response(operation, 200, "application/json", answer)
        except SpecViolation as exc:
            self.violations.append(str(exc))
            raise
        return web.json_response(answer)


def _decode(url: str) -> Image.Image:
    if not url.startswith(("data:image/jpeg;base64,", "data:image/png;base64,")):
        raise ValueError("the stand-in takes images as JPEG or PNG data URLs only")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1], validate=True)))
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"the data URL does not decode ({exc})") from None
    return image


def _error(status: int, message: str, *, code: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    return web.json_response(body, status=status)
