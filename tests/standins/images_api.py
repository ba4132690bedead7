"""A local Images API server, for tests and the offline sandbox.

It speaks `POST /v1/images/{generations,edits,variations}` as the OpenAI document describes (and
`POST /v1/moderations`, tests/standins/moderation.py, `POST /v1/chat/completions`,
tests/standins/chat.py, and `GET /v1/models`, the models it serves):
every request is validated against `tests/specs/openai-images.openapi.yaml` (the model list
against `openai-models.openapi.yaml`), each model's documented rules are enforced (written here
from the document, not imported from the bot), answers are real PNGs checked against the
response schemas, with the prompt written on them (they are placeholders), and it can be told
to fail in each way the real service does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from tests.standins.chat import Chats
from tests.standins.images_rules import (
    API_KEY,
    GPT_IMAGE,
    ApiError,
    ExtraModel,
    check_input_image,
    check_markup,
    check_model,
    dimensions_of,
    in_format,
    make_gif,
    make_png,
    make_svg,
)
from tests.standins.moderation import MODERATION_MODEL, Moderations
from tests.standins.spec import OPENAI_IMAGES, OPENAI_MODELS, SpecViolation, load_spec

IMAGE_MODELS = (*sorted(GPT_IMAGE), "dall-e-2", "dall-e-3")
MODEL_CREATED = 1_700_000_000  # the list's `created`, one time for every model: the stand-in knows no other


@dataclass(frozen=True)
class PlannedFailure:
    kind: str
    retry_after: float | None = None
    delay: float = 0.0
    code: str | None = None
    should_retry: bool | None = None


STREAM_FAULTS = {"stream_cut", "stall"}


@dataclass
class RecordedRequest:
    operation: str
    fields: dict[str, Any]
    files: dict[str, list[bytes]]
    authorization: str | None


class ImagesStandIn(Moderations, Chats):
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        extra_models: dict[str, ExtraModel] | None = None,
        retired_models: frozenset[str] = frozenset(),
    ) -> None:
        """`retired_models` are documented models it no longer serves, nor lists, as OpenAI after a
        model's shutdown."""
        self.api_key = api_key
        self.extra_models = extra_models or {}
        self.retired_models = retired_models
        self._init_moderation()
        self._init_chat()
        self.spec = load_spec(OPENAI_IMAGES, "/v1")
        self.models_spec = load_spec(OPENAI_MODELS, "/v1")
        self.models_answer: Literal["list", "server_error", "missing"] = "list"  # missing: 404, no /models
        self.model_lists = 0  # GET /v1/models asked, apart from `requests` (the images asked for)
        self.requests: list[RecordedRequest] = []
        self.made: list[bytes] = []  # every image answered, as sent
        self.violations: list[str] = []
        self.noise_images = False
        # SVG answers: a plain drawing; hostile: with a script, external references and an entity
        # bomb; broken: XML that does not parse.
        self.svg_answer: Literal["plain", "hostile", "broken"] = "plain"
        self.delay = 0.0
        self.gate: asyncio.Event | None = None  # while set to an unset event, every answer waits for it
        self.stream_gap = 0.0
        self.endless_sent = 0
        self.budget_reset: str | None = None  # e.g. "25s": every answer says the request budget is spent until then
        self.schema_checks = True  # benchmarks turn the schema checks off: they cost the stand-in ms a call
        self._received = asyncio.Condition()
        self._planned: deque[PlannedFailure] = deque()
        self._files: dict[str, bytes] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def fail_next(
        self,
        kind: str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
        code: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        """Make the next `times` requests fail: rate_limit, quota (`code` one of the exhausted-credit
        codes, insufficient_quota by default), server_error, overloaded, request_timeout (HTTP 408),
        refuse, timeout (answer after `delay` seconds), garbage (2xx that is not JSON), truncated
        (2xx JSON cut short), no_images (2xx with an empty `data`), redirect (302 to `code`),
        endless (a 200 body that never ends); for streams, stream_cut (ends
        after the partial images, with no completed event) and stall (one partial image, then
        silence for `delay` seconds). `should_retry` adds OpenAI's `x-should-retry` header to an
        error answer."""
        for _ in range(times):
            self._planned.append(PlannedFailure(kind, retry_after, delay, code, should_retry))

    async def wait_for_requests(self, count: int = 1, timeout: float = 30.0) -> None:
        """Wait until `count` requests have arrived."""

        async def waiter() -> None:
            async with self._received:
                await self._received.wait_for(lambda: len(self.requests) >= count)

        await asyncio.wait_for(waiter(), timeout)

    async def start(self) -> str:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_post("/v1/images/generations", self._generations)
        app.router.add_post("/v1/images/edits", self._edits)
        app.router.add_post("/v1/images/variations", self._variations)
        app.router.add_post("/v1/moderations", self._moderations)
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def close(self) -> None:
        if self.gate is not None:
            self.gate.set()  # answers still held end now, not at the server's shutdown timeout
        if self._runner is not None:
            await self._runner.cleanup()

    # Request intake -----------------------------------------------------------------------

    async def _intake(self, request: web.Request, schema_name: str) -> RecordedRequest:
        fields: dict[str, Any] = {}
        files: dict[str, list[bytes]] = {}
        media = request.content_type
        if media == "multipart/form-data":
            properties = self.spec._schema_at(f"/components/schemas/{schema_name}")["properties"]
            reader = await request.multipart()
            plain_images = 0
            async for part in reader:
                plain_images += part.name == "image"
                name = (part.name or "").removesuffix("[]")
                data = await part.read(decode=False)
                if part.filename is not None:
                    files.setdefault(name, []).append(bytes(data))
                else:
                    schema = properties.get(name, {})
                    if "$ref" in schema:
                        schema = self.spec._schema_at(schema["$ref"].removeprefix("#"))
                    fields[name] = _coerce(bytes(data).decode(), schema)
            if plain_images > 1:  # as the live API answers; several images go as image[]
                self.requests.append(RecordedRequest(request.path, fields, files, request.headers.get("Authorization")))
                raise ApiError(
                    400,
                    "Duplicate parameter: 'image'. You provided multiple values for this parameter, whereas only "
                    "one is allowed. If you are trying to provide a list of values, use the array syntax instead "
                    "e.g. 'image[]=<value>'.",
                    param="image",
                    code="duplicate_parameter",
                )
            body: Any = dict(fields)
            for name, blobs in files.items():
                body[name] = ["<binary>"] * len(blobs) if len(blobs) > 1 else "<binary>"
        else:
            body = await request.json() if request.can_read_body else None
            fields = dict(body) if isinstance(body, dict) else {}
        recorded = RecordedRequest(request.path, fields, files, request.headers.get("Authorization"))
        self.requests.append(recorded)
        async with self._received:
            self._received.notify_all()
        try:
            if self.schema_checks:
                self.spec.validate_request(request.method, request.path, dict(request.query), media, body)
        except SpecViolation as exc:
            self.violations.append(str(exc))
            raise ApiError(400, f"Invalid request: {exc}") from None
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            raise ApiError(401, f"Incorrect API key provided: {given}.", code="invalid_api_key")
        return recorded

    async def _planned_failure(
        self, request: web.Request, failure: PlannedFailure, model: str, fields: dict[str, Any]
    ) -> web.StreamResponse | None:
        if failure.kind == "timeout":
            await asyncio.sleep(failure.delay)
            return None
        if failure.kind == "garbage":
            return web.Response(text="<html>upstream error</html>", content_type="text/html")
        if failure.kind == "truncated":
            whole = json.dumps(self._images_response(model, fields, str(fields.get("prompt"))))
            return web.Response(text=whole[: len(whole) // 2], content_type="application/json")
        if failure.kind == "no_images":
            return web.json_response({"created": int(time.time()), "data": []})
        if failure.kind == "redirect":
            raise web.HTTPFound(failure.code or "http://127.0.0.1:9/v1/images/generations")
        if failure.kind == "endless":
            return await self._endless(request)
        headers = {}
        if failure.retry_after is not None:
            headers = {
                "retry-after-ms": str(int(failure.retry_after * 1000)),
                "retry-after": str(int(failure.retry_after)),
            }
        if failure.should_retry is not None:
            headers["x-should-retry"] = "true" if failure.should_retry else "false"
        errors = {
            "rate_limit": ApiError(
                429,
                "Rate limit reached for images per minute.",
                code="rate_limit_exceeded",
                error_type="requests",
                headers=headers,
            ),
            "quota": ApiError(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                code=failure.code or "insufficient_quota",
                error_type="insufficient_quota",
            ),
            "server_error": ApiError(
                500,
                "The server had an error while processing your request.",
                error_type="server_error",
                headers=headers,
            ),
            "overloaded": ApiError(
                503,
                "The engine is currently overloaded, please try again later.",
                error_type="server_error",
                headers=headers,
            ),
            "request_timeout": ApiError(408, "Request timed out.", error_type="timeout", headers=headers),
            "refuse": ApiError(
                400,
                "Your request was rejected as a result of our safety system.",
                code="moderation_blocked" if model in GPT_IMAGE else "content_policy_violation",
                error_type="image_generation_user_error",
                headers=headers,
            ),
        }
        raise errors[failure.kind]

    def served_models(self) -> list[str]:
        """The ids of every model it serves: the image models, its extra ones, and moderation's."""
        images = [model for model in IMAGE_MODELS if model not in self.retired_models]
        return [*images, *self.extra_models, MODERATION_MODEL]

    async def _models(self, request: web.Request) -> web.Response:
        """`GET /v1/models`: the models it serves, or the failure `models_answer` names."""
        self.model_lists += 1
        try:
            operation = self.models_spec.validate_request("GET", request.path, dict(request.query), None, None)
        except SpecViolation as exc:
            self.violations.append(str(exc))
            return ApiError(400, f"Invalid request: {exc}").response()
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return ApiError(401, f"Incorrect API key provided: {given}.", code="invalid_api_key").response()
        if self.models_answer == "missing":
            raise web.HTTPNotFound()
        if self.models_answer == "server_error":
            return ApiError(503, "The server is overloaded.", error_type="server_error").response()
        owner = {MODERATION_MODEL: "openai", **dict.fromkeys(self.extra_models, "acme")}
        body = {
            "object": "list",
            "data": [
                {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": owner.get(model, "system")}
                for model in self.served_models()
            ],
        }
        try:
            self.models_spec.validate_response(operation, 200, "application/json", body)
        except SpecViolation as exc:
            self.violations.append(str(exc))
            raise
        return web.json_response(body)

    # Answers --------------------------------------------------------------------------------

    def _images_response(self, model: str, fields: dict[str, Any], seed: str) -> dict[str, Any]:
        width, height = dimensions_of(fields.get("size"))
        n = int(fields.get("n") or 1)
        use_url = model in self.extra_models or (
            model in {"dall-e-2", "dall-e-3"} and fields.get("response_format", "url") == "url"
        )
        data = []
        for index in range(n):
            png = self._made(width, height, f"{seed}:{index}:{time.time_ns()}", fields)
            self.made.append(png)
            if use_url:
                name = hashlib.sha256(png).hexdigest()[:16] + ".png"
                self._files[name] = png
                item: dict[str, Any] = {"url": f"{self.base_url.removesuffix('/v1')}/files/{name}"}
            else:
                item = {"b64_json": base64.b64encode(png).decode()}
            if model == "dall-e-3":
                item["revised_prompt"] = f"{fields.get('prompt', '')}, painted in rich detail"
            data.append(item)
        body: dict[str, Any] = {"created": int(time.time()), "data": data}
        if model in GPT_IMAGE:
            prompt_tokens = max(1, len(str(fields.get("prompt", "")).split()))
            body["usage"] = {
                "input_tokens": prompt_tokens,
                "output_tokens": 1056 * n,
                "total_tokens": prompt_tokens + 1056 * n,
                "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0},
            }
            body["output_format"] = fields.get("output_format") or "png"
            if fields.get("size") in {"1024x1024", "1024x1536", "1536x1024"}:
                body["size"] = fields["size"]
            if fields.get("quality") in {"low", "medium", "high"}:
                body["quality"] = fields["quality"]
            if fields.get("background") in {"transparent", "opaque"}:
                body["background"] = fields["background"]
        return body

    def _made(self, width: int, height: int, seed: str, fields: dict[str, Any]) -> bytes:
        """One image as the request asks: a GIF of `frame_count` frames (9 by default) shown
        `frame_duration_ms` each (200), an SVG drawing (as `svg_answer` says), or a picture in the
        output format."""
        wanted = fields.get("output_format")
        if wanted == "gif":
            frames, duration = int(fields.get("frame_count") or 9), int(fields.get("frame_duration_ms") or 200)
            return make_gif(width, height, seed, frames, duration, noise=self.noise_images)
        if wanted == "svg":
            if self.svg_answer == "broken":
                return b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="10"></svg>'
            return make_svg(width, height, seed, hostile=self.svg_answer == "hostile")
        transparent = fields.get("background") == "transparent"
        picture = make_png(width, height, seed, noise=self.noise_images, alpha=transparent, prompt=fields.get("prompt"))
        return in_format(picture, fields)

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """A 200 whose JSON never ends, as a hostile provider sends, until the client hangs up
        (or, as a bound for the test, 2 GiB)."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"created": 0, "data": [{"b64_json": "')
        chunk = b"A" * (1024 * 1024)
        for _ in range(2048):
            self.endless_sent += len(chunk)
            await response.write(chunk)
        return response

    async def _respond(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        operation, _ = self.spec.find(request.method, request.path)
        try:
            if self.schema_checks:
                self.spec.validate_response(operation, 200, "application/json", body)
        except SpecViolation as exc:
            self.violations.append(str(exc))
            raise
        headers = {}
        if self.budget_reset is not None:
            headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": self.budget_reset}
        return web.json_response(body, headers=headers)

    async def _stream(
        self,
        request: web.Request,
        model: str,
        fields: dict[str, Any],
        kind: str,
        fault: str | None = None,
        stall: float = 0.0,
    ) -> web.StreamResponse:
        operation, _ = self.spec.find(request.method, request.path)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        width, height = dimensions_of(fields.get("size"))
        seed = str(fields.get("prompt"))
        partials = int(fields.get("partial_images") or 0)
        # The events' size is one of the document's enum; a custom size (gpt-image-2) goes as auto.
        listed_size = fields.get("size") if fields.get("size") in {"1024x1024", "1024x1536", "1536x1024"} else "auto"
        for index in range(partials):
            small = make_png(max(16, width // 8), max(16, height // 8), f"{seed}:partial:{index}")
            event = {
                "type": f"{kind}.partial_image",
                "b64_json": base64.b64encode(small).decode(),
                "created_at": int(time.time()),
                "size": listed_size,
                "quality": fields.get("quality") or "auto",
                "background": fields.get("background") or "auto",
                "output_format": fields.get("output_format") or "png",
                "partial_image_index": index,
            }
            await self._send_event(response, operation, event)
            if fault == "stall":
                await asyncio.sleep(stall)
                return response
            await asyncio.sleep(self.stream_gap)
        if fault == "stream_cut":
            await response.write_eof()
            return response
        transparent = fields.get("background") == "transparent"
        final = in_format(
            make_png(width, height, seed, noise=self.noise_images, alpha=transparent, prompt=fields.get("prompt")),
            fields,
        )
        self.made.append(final)
        completed = {
            "type": f"{kind}.completed",
            "b64_json": base64.b64encode(final).decode(),
            "created_at": int(time.time()),
            "size": listed_size,
            "quality": fields.get("quality") or "auto",
            "background": fields.get("background") or "auto",
            "output_format": fields.get("output_format") or "png",
            "usage": {
                "total_tokens": 1100,
                "input_tokens": 44,
                "output_tokens": 1056,
                "input_tokens_details": {"text_tokens": 44, "image_tokens": 0},
            },
        }
        await self._send_event(response, operation, completed)
        await response.write_eof()
        return response

    async def _send_event(self, response: web.StreamResponse, operation: Any, event: dict[str, Any]) -> None:
        if self.schema_checks:
            self.spec.validate_response(operation, 200, "text/event-stream", event)
        await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())

    async def _handle(
        self, request: web.Request, operation: str, schema: str, default_model: str
    ) -> web.StreamResponse:
        try:
            recorded = await self._intake(request, schema)
            await asyncio.sleep(self.delay)
            if self.gate is not None:
                await self.gate.wait()
            fields = recorded.fields
            model = fields.get("model") or default_model
            failure = self._planned.popleft() if self._planned else None
            if failure is not None and failure.kind not in STREAM_FAULTS:
                planned = await self._planned_failure(request, failure, model, fields)
                if planned is not None:
                    return planned
            if model in self.retired_models:
                raise ApiError(
                    404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
                )
            model = check_model(fields, self.extra_models, default=default_model, operation=operation)
            if operation in {"edits", "variations"}:
                images = recorded.files.get("image", [])
                limit = 1 if model in {"dall-e-2"} or model in self.extra_models else 16
                if not images or len(images) > limit:
                    raise ApiError(400, f"Provide between 1 and {limit} images.", param="image")
                first = check_input_image(images[0], model, "image")
                for extra in images[1:]:
                    check_input_image(extra, model, "image")
                if recorded.files.get("mask") and fields.get("output_format") == "gif":
                    raise ApiError(400, "A mask is not supported with output_format 'gif'.", param="mask")
                for mask in recorded.files.get("mask", []):
                    mask_image = check_input_image(mask, model, "mask")
                    if mask_image.size != first.size or "A" not in mask_image.getbands():
                        raise ApiError(
                            400, "Invalid mask: must have an alpha channel and match the image's size.", param="mask"
                        )
                check_markup(recorded.files, model, first)
            if fields.get("stream"):
                kind = "image_generation" if operation == "generations" else "image_edit"
                fault = failure.kind if failure is not None else None
                return await self._stream(request, model, fields, kind, fault, failure.delay if failure else 0.0)
            return await self._respond(request, self._images_response(model, fields, str(fields.get("prompt"))))
        except ApiError as exc:
            return exc.response()

    async def _generations(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "generations", "CreateImageRequest", "dall-e-2")

    async def _edits(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "edits", "CreateImageEditRequest", "gpt-image-1.5")

    async def _variations(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "variations", "CreateImageVariationRequest", "dall-e-2")

    async def _file(self, request: web.Request) -> web.Response:
        data = self._files.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/png")


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A multipart form field as the JSON value the schema describes."""
    kinds: set[str] = set()
    for option in [schema, *schema.get("anyOf", [])]:
        kind = option.get("type")
        kinds.update(kind if isinstance(kind, list) else [kind] if kind else [])
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "boolean" in kinds and value in {"true", "false"}:
        return value == "true"
    return value
