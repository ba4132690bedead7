"""The Images API's typed errors: picked by status and code (5xx a server error whatever it says,
refusal codes a content policy error at any status, out-of-credit 429s a quota error), their
message taken from `{"error": {...}}` when the body has one, retrying decided by the provider's
own word over the kind's, and a summary line naming status, code and request id."""

import pytest

from bot.images.errors import (
    AnswerTimeoutError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ImagesError,
    InternalServerError,
    QuotaExceededError,
    RateLimitError,
    RequestTimeoutError,
    error_from_response,
)


def error(status: int, body: object = None, **fields) -> APIStatusError:
    return error_from_response(status, body, request_id=fields.pop("request_id", None), retry_after=None, **fields)


def body(code: str | None = None, error_type: str | None = None, message: str = "no") -> dict[str, object]:
    return {"error": {"message": message, "code": code, "type": error_type, "param": "prompt"}}


@pytest.mark.parametrize(
    ("status", "payload", "kind"),
    [
        (400, body(), BadRequestError),
        (400, body("moderation_blocked"), ContentPolicyError),
        (403, body("content_policy_violation"), ContentPolicyError),
        (401, None, AuthenticationError),
        (408, None, RequestTimeoutError),
        (429, body("rate_limit_exceeded"), RateLimitError),
        (429, body("insufficient_quota"), QuotaExceededError),
        (429, body("project_spend_limit_exceeded"), QuotaExceededError),
        (429, body(None, "insufficient_quota"), QuotaExceededError),
        (400, body("insufficient_quota"), BadRequestError),
        (500, body("content_policy_violation"), InternalServerError),
        (503, "<html>busy</html>", InternalServerError),
        (418, None, APIStatusError),
    ],
)
def test_the_error_is_picked_by_status_and_code(status, payload, kind):
    assert type(error(status, payload)) is kind


def test_the_details_come_from_the_error_object():
    found = error(400, body("invalid_size", "invalid_request_error", "Bad size"), request_id="req_1")
    assert (found.message, found.code, found.error_type, found.param) == (
        "Bad size",
        "invalid_size",
        "invalid_request_error",
        "prompt",
    )
    assert str(found) == "Bad size status=400 code=invalid_size request_id=req_1"


@pytest.mark.parametrize(
    "payload", [None, "not json", ["a", "list"], {"error": "a string"}, {"error": {"code": 7, "type": 3, "param": 1}}]
)
def test_a_body_without_an_error_object_still_gives_an_error(payload):
    found = error(400, payload)
    assert found.message == "HTTP 400" and found.error_type is None and found.param is None
    assert found.code in (None, "7")
    assert str(found).startswith("HTTP 400 status=400")


def test_the_providers_word_on_retrying_wins_over_the_kinds():
    assert error(500).worth_retrying and not error(500, should_retry=False).worth_retrying
    assert not error(400).worth_retrying and error(400, should_retry=True).worth_retrying
    assert error(429).worth_retrying and not error(429, body("insufficient_quota")).worth_retrying


def test_a_timeout_after_sending_is_not_retried_and_an_error_without_a_status_says_only_its_message():
    late = AnswerTimeoutError("no answer in time")
    assert (late.kind, late.worth_retrying, str(late)) == ("timeout", False, "no answer in time")
    assert ImagesError("x", retry_after=3.0).wait_in_queue is None
