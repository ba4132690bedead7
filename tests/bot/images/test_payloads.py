"""A provider's JSON: an object is taken as it is, anything else is None."""

from bot.images.payloads import json_object


def test_only_an_object_is_a_json_object():
    body = {"error": {"code": "x"}}
    assert json_object(body) is body
    assert [json_object(value) for value in (None, "text", 3, ["a"], b"{}")] == [None] * 5
