"""An async client for OpenAI-compatible Images APIs: generations, edits and variations.

One `request()` does transport, error mapping and retries; the public methods only build
bodies. Which parameters are sent is decided by the model's `ModelSpec`. Result bytes stay in
memory: `b64_json` is decoded, and `url` results are downloaded at once, since they expire.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.images.errors import (
    APIConnectionError,
    APITimeoutError,
    ImagesError,
    InvalidResponseError,
    error_from_response,
)
from bot.images.models import ModelSpec

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MAX_BACKOFF_SECONDS = 20.0


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
        if not isinstance(payload, dict):
            return None
        details = payload.get("input_tokens_details")
        return cls(
            int(payload.get("input_tokens") or 0),
            int(payload.get("output_tokens") or 0),
            int(payload.get("total_tokens") or 0),
            int(details.get("image_tokens") or 0) if isinstance(details, dict) else 0,
        )


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    revised_prompt: str | None = None


@dataclass(frozen=True)
class ImagesResult:
    images: list[GeneratedImage]
    usage: TokenUsage | None = None
    failures: list[ImagesError] = field(default_factory=list)


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


def parse_duration(value: str) -> float | None:
    """OpenAI's reset durations: "1s", "6m0s", "20ms", "1h2m3.5s"."""
    parts = _DURATION_PART.findall(value or "")
    if not parts:
        return None
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(parsed.timestamp() - time.time(), 0.0)


class ImagesClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 180.0,
        max_retries: int = 3,
        retry_base_delay: float = 1.0,
        max_retry_wait: float = 30.0,
        max_parallel_requests: int = 4,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._max_retries = max_retries
        self._retry_base_delay = retry_base_delay
        self._max_retry_wait = max_retry_wait
        self._parallel = asyncio.Semaphore(max_parallel_requests)
        self._requests_reset_at: float | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}", "User-Agent": "imagebot/0.1"}

    def _note_rate_limit(self, headers: Any) -> None:
        """Remember when the request budget resets if the last answer said none is left."""
        remaining = headers.get("x-ratelimit-remaining-requests")
        reset = parse_duration(headers.get("x-ratelimit-reset-requests", ""))
        if remaining is not None and remaining.strip() == "0" and reset:
            self._requests_reset_at = time.monotonic() + min(reset, self._max_retry_wait)
        elif remaining is not None:
            self._requests_reset_at = None

    async def wait_for_rate_limit(self) -> None:
        """Back off before being refused: sleep until the request budget resets, if it is spent."""
        if self._requests_reset_at is not None:
            delay = self._requests_reset_at - time.monotonic()
            if delay > 0:
                log.info("the Images API request budget is spent; waiting %.1fs", delay)
                await asyncio.sleep(delay)
            self._requests_reset_at = None

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._max_retry_wait)
        backoff = min(self._retry_base_delay * 2**attempt, MAX_BACKOFF_SECONDS)
        return backoff / 2 + random.uniform(0, backoff / 2)

    async def request(
        self,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """POST to the API with retries; return the JSON body of a 2xx answer."""
        for attempt in range(self._max_retries + 1):
            try:
                return await self._send_once(path, json_body=json_body, form=form)
            except ImagesError as exc:
                if not exc.retryable or attempt >= self._max_retries:
                    raise
                delay = self._retry_delay(attempt, exc.retry_after)
                log.warning("images %s failed (%s, %s); retry %d in %.1fs", path, exc.kind, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _send_once(
        self,
        path: str,
        *,
        json_body: dict[str, Any] | None,
        form: Callable[[], aiohttp.FormData] | None,
    ) -> dict[str, Any]:
        url = f"{self._base_url}{path}"
        try:
            async with self._session.post(
                url,
                json=json_body,
                data=form() if form is not None else None,
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                self._note_rate_limit(response.headers)
                body = await self._read_json(response)
                if response.status >= 400:
                    raise error_from_response(
                        response.status,
                        body,
                        request_id=response.headers.get("x-request-id"),
                        retry_after=parse_retry_after(response.headers),
                    )
                if not isinstance(body, dict):
                    raise InvalidResponseError("the Images API answered without a JSON object", status=response.status)
                return body
        except asyncio.TimeoutError:
            raise APITimeoutError(f"no answer from the Images API within {self._timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"could not reach the Images API ({type(exc).__name__})") from None

    @staticmethod
    async def _read_json(response: aiohttp.ClientResponse) -> Any:
        text = await response.text()
        try:
            return json.loads(text) if text else None
        except ValueError:
            if response.status < 400:
                raise InvalidResponseError("the Images API answered with a body that is not JSON", status=response.status)
            return None

    async def _download(self, url: str) -> bytes:
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=self._timeout)) as response:
                if response.status != 200:
                    raise InvalidResponseError(f"image download answered HTTP {response.status}", status=response.status)
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise InvalidResponseError("the image to download is larger than 64 MiB")
                    chunks.append(chunk)
                return b"".join(chunks)
        except asyncio.TimeoutError:
            raise APITimeoutError("the image download timed out") from None
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"could not download the image ({type(exc).__name__})") from None

    async def _parse_images(self, body: dict[str, Any]) -> ImagesResult:
        items = body.get("data")
        if not isinstance(items, list) or not items:
            raise InvalidResponseError("the Images API answered with no images")
        images = []
        for item in items:
            if not isinstance(item, dict):
                raise InvalidResponseError("the Images API answered with a malformed image entry")
            if item.get("b64_json"):
                data = _decode_b64(item["b64_json"])
            elif item.get("url"):
                data = await self._download(str(item["url"]))
            else:
                raise InvalidResponseError("an image entry has neither b64_json nor url")
            images.append(GeneratedImage(data=data, revised_prompt=item.get("revised_prompt") or None))
        return ImagesResult(images=images, usage=TokenUsage.from_payload(body.get("usage")))

    async def _fan_out(self, n: int, model: ModelSpec, run: Callable[[int], Any]) -> ImagesResult:
        """Serve `n` images with as many requests as the model's `max_n` needs, in parallel."""
        batches = [min(model.max_n, n - start) for start in range(0, n, model.max_n)]

        async def bounded(count: int) -> ImagesResult:
            async with self._parallel:
                return await run(count)

        outcomes = await asyncio.gather(*(bounded(count) for count in batches), return_exceptions=True)
        images: list[GeneratedImage] = []
        usage: TokenUsage | None = None
        failures: list[ImagesError] = []
        for outcome in outcomes:
            if isinstance(outcome, ImagesError):
                failures.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                images.extend(outcome.images)
                if outcome.usage is not None:
                    usage = outcome.usage if usage is None else usage + outcome.usage
        if not images:
            raise failures[0]
        return ImagesResult(images=images, usage=usage, failures=failures)

    @staticmethod
    def _common_options(
        model: ModelSpec,
        *,
        size: str | None,
        quality: str | None,
        output_format: str | None,
        background: str | None,
        user: str | None,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"model": model.name}
        size = size or model.default_size
        if size:
            options["size"] = size
        if quality and quality in model.qualities:
            options["quality"] = quality
        if output_format and output_format in model.output_formats:
            options["output_format"] = output_format
        if background and model.background:
            options["background"] = background
        if model.response_format:
            options["response_format"] = "b64_json"
        if user and model.known:
            options["user"] = user
        return options

    async def generate(
        self,
        prompt: str,
        *,
        model: ModelSpec,
        n: int = 1,
        size: str | None = None,
        quality: str | None = None,
        style: str | None = None,
        output_format: str | None = None,
        background: str | None = None,
        user: str | None = None,
    ) -> ImagesResult:
        body = {"prompt": prompt, **self._common_options(
            model, size=size, quality=quality, output_format=output_format, background=background, user=user
        )}
        if style and style in model.styles:
            body["style"] = style

        async def run(count: int) -> ImagesResult:
            return await self._parse_images(await self.request("/images/generations", json_body={**body, "n": count}))

        return await self._fan_out(n, model, run)

    def _edit_form(
        self, images: Sequence[InputImage], mask: InputImage | None, fields: dict[str, Any]
    ) -> Callable[[], aiohttp.FormData]:
        def build() -> aiohttp.FormData:
            form = aiohttp.FormData()
            for image in images:
                form.add_field("image", image.data, filename=image.filename, content_type=image.content_type)
            if mask is not None:
                form.add_field("mask", mask.data, filename=mask.filename, content_type=mask.content_type)
            for name, value in fields.items():
                form.add_field(name, _form_value(value))
            return form

        return build

    async def edit(
        self,
        images: Sequence[InputImage],
        prompt: str,
        *,
        model: ModelSpec,
        mask: InputImage | None = None,
        n: int = 1,
        size: str | None = None,
        quality: str | None = None,
        input_fidelity: str | None = None,
        output_format: str | None = None,
        background: str | None = None,
        user: str | None = None,
    ) -> ImagesResult:
        if not images:
            raise ValueError("an edit needs at least one image")
        fields = {"prompt": prompt, **self._common_options(
            model, size=size, quality=quality, output_format=output_format, background=background, user=user
        )}
        if input_fidelity and model.input_fidelity:
            fields["input_fidelity"] = input_fidelity
        images = list(images)[: max(model.max_edit_images, 1)]

        async def run(count: int) -> ImagesResult:
            form = self._edit_form(images, mask if model.masks else None, {**fields, "n": count})
            return await self._parse_images(await self.request("/images/edits", form=form))

        return await self._fan_out(n, model, run)

    async def create_variation(
        self,
        image: InputImage,
        *,
        model: ModelSpec,
        n: int = 1,
        size: str | None = None,
        user: str | None = None,
    ) -> ImagesResult:
        fields: dict[str, Any] = {"model": model.name}
        size = size or model.default_size
        if size and size != "auto":
            fields["size"] = size
        if model.response_format:
            fields["response_format"] = "b64_json"
        if user and model.known:
            fields["user"] = user

        async def run(count: int) -> ImagesResult:
            form = self._edit_form([image], None, {**fields, "n": count})
            return await self._parse_images(await self.request("/images/variations", form=form))

        return await self._fan_out(n, model, run)

    async def stream_generate(
        self,
        prompt: str,
        *,
        model: ModelSpec,
        partial_images: int = 2,
        size: str | None = None,
        quality: str | None = None,
        output_format: str | None = None,
        background: str | None = None,
        user: str | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Stream one image: partial images as they come, then the completed one."""
        if not model.streaming:
            raise ValueError(f"{model.name} does not stream")
        body = {
            "prompt": prompt,
            "stream": True,
            "partial_images": max(0, min(partial_images, 3)),
            **self._common_options(
                model, size=size, quality=quality, output_format=output_format, background=background, user=user
            ),
        }
        for attempt in range(self._max_retries + 1):
            started = False
            try:
                async for event in self._stream_once("/images/generations", body):
                    started = True
                    yield event
                return
            except ImagesError as exc:
                if started or not exc.retryable or attempt >= self._max_retries:
                    raise
                delay = self._retry_delay(attempt, exc.retry_after)
                log.warning("images stream failed (%s, %s); retry %d in %.1fs", exc.kind, exc, attempt + 1, delay)
                await asyncio.sleep(delay)

    async def _stream_once(self, path: str, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        try:
            async with self._session.post(
                f"{self._base_url}{path}", json=body, headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                self._note_rate_limit(response.headers)
                if response.status >= 400:
                    raise error_from_response(
                        response.status,
                        await self._read_json(response),
                        request_id=response.headers.get("x-request-id"),
                        retry_after=parse_retry_after(response.headers),
                    )
                async for payload in _server_sent_events(response):
                    event = _stream_event(payload)
                    yield event
                    if event.completed:
                        return
                raise InvalidResponseError("the image stream ended before the image was completed")
        except asyncio.TimeoutError:
            raise APITimeoutError(f"no answer from the Images API within {self._timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"could not reach the Images API ({type(exc).__name__})") from None


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode_b64(value: Any) -> bytes:
    try:
        data = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidResponseError("an image's b64_json is not valid base64") from None
    if not data:
        raise InvalidResponseError("an image's b64_json is empty")
    return data


async def _server_sent_events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """Parse text/event-stream from raw chunks: an event's data line can be megabytes of base64,
    more than aiohttp's line reader takes, so lines are split here, each event capped in size."""
    buffer = b""
    data_lines: list[str] = []
    async for chunk in response.content.iter_any():
        buffer += chunk
        if len(buffer) > MAX_DOWNLOAD_BYTES:
            raise InvalidResponseError("an image stream event is larger than 64 MiB")
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8").rstrip("\r")
            if line.startswith("data:"):
                data_lines.append(line[5:].lstrip())
            elif not line and data_lines:
                text = "\n".join(data_lines)
                data_lines = []
                if text == "[DONE]":
                    return
                try:
                    payload = json.loads(text)
                except ValueError:
                    raise InvalidResponseError("the image stream sent an event that is not JSON") from None
                if isinstance(payload, dict) and "error" in payload:
                    raise error_from_response(400, payload, request_id=None, retry_after=None)
                yield payload


def _stream_event(payload: dict[str, Any]) -> StreamEvent:
    kind = str(payload.get("type", ""))
    if not kind.endswith((".partial_image", ".completed")):
        raise InvalidResponseError(f"the image stream sent an unknown event {kind!r}")
    index = payload.get("partial_image_index")
    return StreamEvent(
        type=kind,
        image=_decode_b64(payload.get("b64_json")),
        partial_index=int(index) if isinstance(index, int) else None,
        usage=TokenUsage.from_payload(payload.get("usage")),
    )

