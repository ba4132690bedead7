"""What the Images API gives back: token usage read from whatever the payload holds and added up,
stream events (partial and completed images; an unknown event refused), and base64 images decoded
strictly (missing, invalid or empty refused as an invalid response)."""

import base64

import pytest

from bot.images.errors import InvalidResponseError
from bot.images.results import StreamEvent, TokenUsage, decode_b64

PNG = b"\x89PNG\r\n\x1a\n"
ENCODED = base64.b64encode(PNG).decode()


def test_usage_is_read_from_the_payload_and_missing_counts_are_zero():
    payload = {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30, "input_tokens_details": {"image_tokens": 4}}
    assert TokenUsage.from_payload(payload) == TokenUsage(10, 20, 30, 4)
    assert TokenUsage.from_payload({"input_tokens": None, "input_tokens_details": "x"}) == TokenUsage()
    assert TokenUsage.from_payload(None) is None
    assert TokenUsage.from_payload([1, 2]) is None


def test_usages_add_up_field_by_field():
    assert TokenUsage(1, 2, 3, 4) + TokenUsage(10, 20, 30, 40) == TokenUsage(11, 22, 33, 44)


def test_a_stream_event_is_a_partial_image_or_the_completed_one():
    partial = StreamEvent.from_payload(
        {"type": "image_generation.partial_image", "b64_json": ENCODED, "partial_image_index": 1}
    )
    assert (partial.image, partial.partial_index, partial.completed, partial.usage) == (PNG, 1, False, None)
    done = StreamEvent.from_payload(
        {"type": "image_edit.completed", "b64_json": ENCODED, "partial_image_index": "2", "usage": {"total_tokens": 5}}
    )
    assert (done.completed, done.partial_index, done.usage) == (True, None, TokenUsage(total_tokens=5))


def test_a_stream_event_without_its_image_is_refused():
    with pytest.raises(InvalidResponseError, match="not a base64 string"):
        StreamEvent.from_payload({"type": "image_generation.completed"})


@pytest.mark.parametrize("kind", ["", "image_generation.failed", "error"])
def test_an_unknown_stream_event_is_refused(kind):
    with pytest.raises(InvalidResponseError, match="unknown event"):
        StreamEvent.from_payload({"type": kind, "b64_json": ENCODED})


def test_base64_is_decoded_strictly():
    assert decode_b64(ENCODED) == decode_b64(ENCODED.encode()) == PNG
    for broken in ("not base64!", ENCODED[:-2]):
        with pytest.raises(InvalidResponseError, match="not valid base64"):
            decode_b64(broken)
    for missing in (None, 12, True):  # "None" and "True" would pass as base64 if taken as text
        with pytest.raises(InvalidResponseError, match="not a base64 string"):
            decode_b64(missing)
    with pytest.raises(InvalidResponseError, match="empty"):
        decode_b64("")
