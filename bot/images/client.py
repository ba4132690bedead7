"""An async client for OpenAI-compatible Images APIs: generations, edits and variations.

Its operations are thin methods over the transport it holds (bot/images/transport.py), whose one
request path every operation takes.
Which parameters are sent is decided by the model's `ModelSpec`. Result bytes stay in memory:
`b64_json` is decoded, and `url` results are downloaded at once, since they expire.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Unpack, cast

from bot.images.bodies import PictureOptions, common_options, generation_options, multipart
from bot.images.errors import ImagesError, InvalidResponseError
from bot.images.models import ModelSpec
from bot.images.payloads import json_object
from bot.images.results import GeneratedImage, ImagesResult, InputImage, StreamEvent, TokenUsage, decode_b64
from bot.images.transport import Transport


class ImagesClient:
    def __init__(self, transport: Transport) -> None:
        """`transport` carries the account: its base URL, key, settings and parallel requests."""
        self._transport = transport

    def for_account(self, *, base_url: str | None, api_key: str, max_parallel_requests: int) -> ImagesClient:
        """This client for a guild's own account (`Transport.for_account`)."""
        return ImagesClient(
            self._transport.for_account(base_url=base_url, api_key=api_key, max_parallel_requests=max_parallel_requests)
        )

    async def wait_for_rate_limit(self) -> None:
        """Sleep until the account's request budget resets, if the last answer said it is spent."""
        await self._transport.wait_for_rate_limit()

    async def list_models(self) -> list[str]:
        """The ids of the models the provider lists for this key (`GET /models`)."""
        body = await self._transport.request("/models", method="GET")
        items = body.get("data")
        if not isinstance(items, list):
            raise InvalidResponseError("the model list has no data")
        entries = [json_object(entry) for entry in cast("list[Any]", items)]
        return [str(entry["id"]) for entry in entries if entry is not None and isinstance(entry.get("id"), str)]

    async def _parse_images(self, body: dict[str, Any]) -> ImagesResult:
        items = body.get("data")
        if not isinstance(items, list) or not items:
            raise InvalidResponseError("the Images API answered with no images")
        images: list[GeneratedImage] = []
        for entry in cast("list[Any]", items):
            item = json_object(entry)
            if item is None:
                raise InvalidResponseError("the Images API answered with a malformed image entry")
            if item.get("b64_json"):
                data = decode_b64(item["b64_json"])
            elif item.get("url"):
                data = await self._transport.download(str(item["url"]))
            else:
                raise InvalidResponseError("an image entry has neither b64_json nor url")
            images.append(GeneratedImage(data=data, revised_prompt=item.get("revised_prompt") or None))
        return ImagesResult(images=images, usage=TokenUsage.from_payload(body.get("usage")))

    async def _fan_out(self, n: int, model: ModelSpec, run: Callable[[int], Any]) -> ImagesResult:
        """Serve `n` images with as many requests as the model's `max_n` needs, in parallel."""
        batches = [min(model.max_n, n - start) for start in range(0, n, model.max_n)]

        async def bounded(count: int) -> ImagesResult:
            async with self._transport.parallel:
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

    # The API's operations -----------------------------------------------------------------------

    async def generate(
        self,
        prompt: str,
        *,
        model: ModelSpec,
        n: int = 1,
        moderation: str | None = None,
        **options: Unpack[PictureOptions],
    ) -> ImagesResult:
        """`moderation` is the provider's own strictness, "auto" or "low" (GPT image models)."""
        body = {"prompt": prompt, **generation_options(model, moderation=moderation, **options)}

        async def run(count: int) -> ImagesResult:
            return await self._parse_images(
                await self._transport.request("/images/generations", json_body={**body, "n": count})
            )

        return await self._fan_out(n, model, run)

    async def edit(
        self,
        images: Sequence[InputImage],
        prompt: str,
        *,
        model: ModelSpec,
        mask: InputImage | None = None,
        n: int = 1,
        input_fidelity: str | None = None,
        markup: InputImage | None = None,
        **options: Unpack[PictureOptions],
    ) -> ImagesResult:
        """`markup`: notes drawn on a transparent overlay of the first image, sent (to a model that
        takes markup) as the part `markup` instead of a mask; never together with `mask`."""
        if not images:
            raise ValueError("an edit needs at least one image")
        fields = {"prompt": prompt, **common_options(model, **options)}
        if input_fidelity and model.input_fidelity:
            fields["input_fidelity"] = input_fidelity
        images = list(images)[: max(model.max_edit_images, 1)]

        async def run(count: int) -> ImagesResult:
            form = multipart(
                images,
                mask if model.masks else None,
                {**fields, "n": count},
                markup=markup if model.markup else None,
            )
            return await self._parse_images(await self._transport.request("/images/edits", form=form))

        return await self._fan_out(n, model, run)

    async def create_variation(
        self, image: InputImage, *, model: ModelSpec, n: int = 1, size: str | None = None, user: str | None = None
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
            form = multipart([image], None, {**fields, "n": count})
            return await self._parse_images(await self._transport.request("/images/variations", form=form))

        return await self._fan_out(n, model, run)

    def stream_generate(
        self,
        prompt: str,
        *,
        model: ModelSpec,
        partial_images: int = 2,
        moderation: str | None = None,
        **options: Unpack[PictureOptions],
    ) -> AsyncIterator[StreamEvent]:
        """Stream one image: partial images as they come, then the completed one."""
        if not model.streaming:
            raise ValueError(f"{model.name} does not stream")
        body = {
            "prompt": prompt,
            "stream": True,
            "partial_images": max(0, min(partial_images, 3)),
            **generation_options(model, moderation=moderation, **options),
        }
        return self._transport.stream("/images/generations", body)
