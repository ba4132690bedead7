"""The event-stream parser: events split anywhere across chunks, [DONE], error events, size cap."""

import json

import pytest

from bot.images import errors
from bot.images.sse import server_sent_events


async def chunks(data: bytes, size: int):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def stream(*events: object, done: bool = True, newline: bytes = b"\n") -> bytes:
    lines = [b"event: x" + newline + b"data: " + json.dumps(event).encode() + newline + newline for event in events]
    return b"".join(lines) + (b"data: [DONE]" + newline + newline if done else b"")


async def parse(data: bytes, size: int, max_event: int = 1 << 20) -> list[dict]:
    return [event async for event in server_sent_events(chunks(data, size), max_event=max_event)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 4096, 1 << 20])
async def test_events_come_out_whole_wherever_the_chunks_split(size):
    big = {"type": "image_generation.partial_image", "b64_json": "A" * 50_000}
    data = stream({"type": "a"}, big, {"type": "b"}, newline=b"\r\n" if size % 2 else b"\n")
    assert await parse(data, size) == [{"type": "a"}, big, {"type": "b"}]


async def test_done_ends_the_stream_and_an_error_event_raises_its_typed_error():
    assert await parse(stream({"type": "a"}) + stream({"type": "after"}), 5) == [{"type": "a"}]
    refusal = {"error": {"message": "no", "type": "image_generation_user_error", "code": "moderation_blocked"}}
    with pytest.raises(errors.ContentPolicyError):
        await parse(stream(refusal), 9)


async def test_an_event_over_the_cap_is_refused_before_it_is_all_held():
    with pytest.raises(errors.InvalidResponseError, match="larger than"):
        await parse(stream({"b64_json": "A" * (3 << 20)}), 65536, max_event=1 << 20)


async def test_an_event_that_is_not_a_json_object_is_invalid():
    with pytest.raises(errors.InvalidResponseError):
        await parse(b"data: [1, 2]\n\n", 4)
    with pytest.raises(errors.InvalidResponseError):
        await parse(b"data: {nope\n\n", 4)
