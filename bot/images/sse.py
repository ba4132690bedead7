"""A parser for `text/event-stream` bodies whose events can be megabytes long.

An event's data line can hold a whole image in base64, more than aiohttp's line reader takes,
so lines are split here. A partial line is kept as a list of chunks and joined once, when its
end arrives: no byte already held is copied again as more chunks come.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from bot.images.errors import InvalidResponseError, error_from_response


async def _lines(chunks: AsyncIterable[bytes], max_line: int) -> AsyncIterator[bytes]:
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            piece = chunk[start:end]
            yield b"".join([*pending, piece]) if pending else piece
            pending, pending_size = [], 0
            start = end + 1
        if start < len(chunk):
            rest = chunk[start:]
            pending.append(rest)
            pending_size += len(rest)
            if pending_size > max_line:
                raise InvalidResponseError(f"an image stream event is larger than {max_line // 2**20} MiB")
    if pending:
        yield b"".join(pending)


async def server_sent_events(chunks: AsyncIterable[bytes], *, max_event: int) -> AsyncIterator[dict[str, Any]]:
    """Each event's JSON payload, until `[DONE]` or the end; an `error` event raises its typed error."""
    data_lines: list[str] = []
    async for raw in _lines(chunks, max_event):
        line = raw.decode("utf-8").rstrip("\r")
        if line.startswith("data:"):
            data_lines.append(line[5:].lstrip())
            continue
        if line or not data_lines:
            continue
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
        if not isinstance(payload, dict):
            raise InvalidResponseError("the image stream sent an event that is not a JSON object")
        yield payload
