"""What the Images API gives back, and what it is given: plain data, no I/O."""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from typing import Any

import pybase64

from bot.images.errors import ImagesError, InvalidResponseError
from bot.images.payloads import json_object


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_image_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.input_image_tokens + other.input_image_tokens,
        )

    @classmethod
    def from_payload(cls, payload: Any) -> TokenUsage | None:
        body = json_object(payload)
        if body is None:
            return None
        details = json_object(body.get("input_tokens_details"))
        return cls(
            int(body.get("input_tokens") or 0),
            int(body.get("output_tokens") or 0),
            int(body.get("total_tokens") or 0),
            int(details.get("image_tokens") or 0) if details is not None else 0,
        )


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    revised_prompt: str | None = None


@dataclass(frozen=True)
class ImagesResult:
    images: list[GeneratedImage]
    usage: TokenUsage | None = None
    failures: list[ImagesError] = field(default_factory=list[ImagesError])


@dataclass(frozen=True)
class InputImage:
    """An image to upload, already in a form the model accepts."""

    data: bytes
    filename: str = "image.png"
    content_type: str = "image/png"


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event of a streamed generation or edit."""

    type: str
    image: bytes
    partial_index: int | None = None
    usage: TokenUsage | None = None

    @property
    def completed(self) -> bool:
        return self.type.endswith(".completed")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> StreamEvent:
        kind = str(payload.get("type", ""))
        if not kind.endswith((".partial_image", ".completed")):
            raise InvalidResponseError(f"the image stream sent an unknown event {kind!r}")
        index = payload.get("partial_image_index")
        return cls(
            type=kind,
            image=decode_b64(payload.get("b64_json")),
            partial_index=int(index) if isinstance(index, int) else None,
            usage=TokenUsage.from_payload(payload.get("usage")),
        )


def decode_b64(value: Any) -> bytes:
    """An image's bytes from its `b64_json`; InvalidResponseError when that is not a base64 string
    (missing, a number: not the text of one) or holds nothing."""
    if not isinstance(value, str | bytes):
        raise InvalidResponseError("an image's b64_json is not a base64 string")
    try:
        data = pybase64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidResponseError("an image's b64_json is not valid base64") from None
    if not data:
        raise InvalidResponseError("an image's b64_json is empty")
    return data
