"""Typed errors of the Images API: one base, a subclass per kind, picked by status and code."""

from __future__ import annotations

from typing import Any

from bot.images.payloads import json_object

REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)


class ImagesError(Exception):
    """Any failure talking to the Images API. `kind` is what the usage log records."""

    kind = "error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
    ) -> None:
        """`should_retry` is the provider's own word (`x-should-retry`), which wins over `retryable`."""
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error_type = error_type
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after
        self.should_retry = should_retry
        self.wait_in_queue: float | None = None  # set when the Retry-After was too long to wait out in a retry

    @property
    def worth_retrying(self) -> bool:
        return self.retryable if self.should_retry is None else self.should_retry

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class APIConnectionError(ImagesError):
    kind = "connection"
    retryable = True


class APITimeoutError(APIConnectionError):
    kind = "timeout"


class AnswerTimeoutError(APITimeoutError):
    """The request was sent and no answer came in time: the provider may have made, and billed,
    the images, so a paid request is not sent again."""

    retryable = False


class BlockedAddressError(APIConnectionError):
    """The operator's address rules refused the host (a guild's base URL, a provider's image link)."""

    kind = "blocked_address"
    retryable = False


class InvalidResponseError(ImagesError):
    """The server answered 2xx with a body that is not an Images API response."""

    kind = "invalid_response"


class APIStatusError(ImagesError):
    kind = "http_error"


class BadRequestError(APIStatusError):
    kind = "bad_request"


class ContentPolicyError(BadRequestError):
    """The provider's safety system refused the prompt or image."""

    kind = "refused"


class AuthenticationError(APIStatusError):
    kind = "auth"


class PermissionDeniedError(APIStatusError):
    kind = "permission"


class NotFoundError(APIStatusError):
    kind = "not_found"


class ConflictError(APIStatusError):
    kind = "conflict"
    retryable = True


class UnprocessableEntityError(APIStatusError):
    kind = "unprocessable"


class RateLimitError(APIStatusError):
    kind = "rate_limited"
    retryable = True


class QuotaExceededError(RateLimitError):
    """`insufficient_quota`: the account is out of credit; retrying cannot help."""

    kind = "quota"
    retryable = False


class RequestTimeoutError(APIStatusError, APITimeoutError):
    """HTTP 408: the server gave up waiting; the same as a timeout of ours."""

    kind = "timeout"
    retryable = True


class InternalServerError(APIStatusError):
    kind = "server_error"
    retryable = True


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_from_response(
    status: int, body: Any, *, request_id: str | None, retry_after: float | None, should_retry: bool | None = None
) -> APIStatusError:
    """Build the typed error for a non-2xx answer, parsing `{"error": {...}}` where present."""
    whole = json_object(body)
    detail = json_object(whole.get("error")) if whole is not None else None
    if detail is not None:
        message = str(detail.get("message") or f"HTTP {status}")
        code = detail.get("code")
        code = str(code) if code is not None else None
        error_type = detail.get("type")
        param = detail.get("param")
    else:
        message, code, error_type, param = f"HTTP {status}", None, None, None
    if status >= 500:
        cls: type[APIStatusError] = InternalServerError
    elif code in REFUSAL_CODES:
        cls = ContentPolicyError
    elif status == 429 and (code in QUOTA_CODES or error_type == "insufficient_quota"):
        cls = QuotaExceededError
    else:
        cls = STATUS_ERRORS.get(status, APIStatusError)
    return cls(
        message,
        status=status,
        code=code,
        error_type=error_type if isinstance(error_type, str) else None,
        param=param if isinstance(param, str) else None,
        request_id=request_id,
        retry_after=retry_after,
        should_retry=should_retry,
    )
