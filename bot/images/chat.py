"""A chat model asked about an image: `POST /chat/completions` with the image as a data URL and
a JSON schema for the answer, through the transport's one request path (its retries, caps and
error table). What the answer means is the caller's to judge; this returns its text and tokens."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, cast

from bot.images.errors import InvalidResponseError
from bot.images.payloads import json_object
from bot.images.results import TokenUsage
from bot.images.transport import Transport


@dataclass(frozen=True)
class ChatAnswer:
    """The model's text (None when it refused, with `refusal` saying why) and the tokens it reports."""

    text: str | None
    refusal: str | None
    usage: TokenUsage | None


def chat_usage(payload: Any) -> TokenUsage | None:
    """A chat answer's `usage`, as the token counts billing reads."""
    body = json_object(payload)
    if body is None:
        return None
    details = json_object(body.get("prompt_tokens_details"))
    return TokenUsage(
        max(0, int(body.get("prompt_tokens") or 0)),  # a provider's counts never lower a bill
        max(0, int(body.get("completion_tokens") or 0)),
        max(0, int(body.get("total_tokens") or 0)),
        max(0, int(details.get("image_tokens") or 0)) if details is not None else 0,
    )


def data_url(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


class ChatClient:
    def __init__(self, transport: Transport) -> None:
        """`transport` carries the account: its base URL, key, settings and parallel requests."""
        self._transport = transport

    def for_account(self, *, base_url: str | None, api_key: str, max_parallel_requests: int) -> ChatClient:
        """This client for a guild's own account (`Transport.for_account`)."""
        return ChatClient(
            self._transport.for_account(base_url=base_url, api_key=api_key, max_parallel_requests=max_parallel_requests)
        )

    async def ask_about_image(
        self,
        *,
        model: str,
        instructions: str,
        image: bytes,
        media_type: str,
        schema_name: str,
        schema: dict[str, Any],
        max_output_tokens: int,
        user: str | None = None,
    ) -> ChatAnswer:
        """One question about one image (`instructions` as the system message), the answer asked
        for as JSON that `schema` describes."""
        body: dict[str, Any] = {
            "model": model,
            "messages": [
                {"role": "system", "content": instructions},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_url(image, media_type)}}]},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            },
            "max_completion_tokens": max_output_tokens,
        }
        if user:
            body["user"] = user
        answer = await self._transport.request("/chat/completions", json_body=body)
        choices = answer.get("choices")
        first = json_object(cast("list[Any]", choices)[0]) if isinstance(choices, list) and choices else None
        message = json_object(first.get("message")) if first is not None else None
        if message is None:
            raise InvalidResponseError("the chat answer has no message")
        text, refusal = message.get("content"), message.get("refusal")
        return ChatAnswer(
            text if isinstance(text, str) else None,
            refusal if isinstance(refusal, str) else None,
            chat_usage(answer.get("usage")),
        )
