"""A parser for `text/event-stream` bodies whose events can be megabytes long.

An event's data line can hold a whole image in base64, more than aiohttp's line reader takes,
so lines are split here. A partial line is kept as a list of chunks and joined once, when its
end arrives; the line is decoded once and its JSON parsed in place from after "data:", so no
byte is copied again as more chunks come, and no slice of a megabytes-long line is made.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from typing import Any

from bot.images.errors import InvalidResponseError, error_from_response

_DECODER = json.JSONDecoder()


async def _lines(chunks: AsyncIterable[bytes], max_line: int) -> AsyncIterator[str]:
    """Each line, decoded, without its line ending."""
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            piece = chunk[start:end]
            if pending:
                piece = b"".join([*pending, piece])
                pending, pending_size = [], 0
            yield piece.decode("utf-8").removesuffix("\r")
            start = end + 1
        if start < len(chunk):
            rest = chunk[start:] if start else chunk
            pending.append(rest)
            pending_size += len(rest)
            if pending_size > max_line:
                raise InvalidResponseError(f"an image stream event is larger than {max_line // 2**20} MiB")
    if pending:
        yield b"".join(pending).decode("utf-8").removesuffix("\r")


def _parse(data: list[str]) -> Any:
    """An event's JSON, parsed from its data lines; one line is read in place after "data:"."""
    if len(data) == 1:
        line = data[0]
        start = 6 if line.startswith("data: ") else 5
    else:
        line, start = "\n".join(value.removeprefix("data:").removeprefix(" ") for value in data), 0
    try:
        payload, end = _DECODER.raw_decode(line, start)
    except ValueError:
        raise InvalidResponseError("the image stream sent an event that is not JSON") from None
    if line[end:].strip():
        raise InvalidResponseError("the image stream sent an event that is not JSON")
    return payload


async def server_sent_events(chunks: AsyncIterable[bytes], *, max_event: int) -> AsyncGenerator[dict[str, Any], None]:
    """Each event's JSON payload, until `[DONE]` or the end; an `error` event raises its typed error."""
    data: list[str] = []
    async for line in _lines(chunks, max_event):
        if line.startswith("data:"):
            data.append(line)
            continue
        if line or not data:
            continue
        if len(data) == 1 and len(data[0]) < 16 and data[0].removeprefix("data:").strip() == "[DONE]":
            return
        payload, data = _parse(data), []
        if not isinstance(payload, dict):
            raise InvalidResponseError("the image stream sent an event that is not a JSON object")
        if "error" in payload:
            raise error_from_response(400, payload, request_id=None, retry_after=None)
        yield payload
