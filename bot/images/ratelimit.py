"""Reading the Images API's rate-limit headers: when to retry, and when the request budget resets."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from typing import Any

log = logging.getLogger(__name__)

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


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


class RequestBudget:
    """The account's request budget as the last answer told it (`x-ratelimit-*-requests`)."""

    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait
        self._resets_at: float | None = None

    def note(self, headers: Any) -> None:
        """Remember when the budget resets if the answer said none is left."""
        remaining = headers.get("x-ratelimit-remaining-requests")
        reset = parse_duration(headers.get("x-ratelimit-reset-requests", ""))
        if remaining is not None and remaining.strip() == "0" and reset:
            self._resets_at = time.monotonic() + min(reset, self._max_wait)
        elif remaining is not None:
            self._resets_at = None

    def hold(self, seconds: float) -> None:
        """A 429 said to wait `seconds`: hold the next start that long, up to the cap."""
        self._resets_at = max(self._resets_at or 0.0, time.monotonic() + min(seconds, self._max_wait))

    async def wait(self) -> None:
        """Back off before being refused: sleep until the budget resets, if it is spent."""
        if self._resets_at is not None:
            delay = self._resets_at - time.monotonic()
            if delay > 0:
                log.info("the Images API request budget is spent; waiting %.1fs", delay)
                await asyncio.sleep(delay)
            self._resets_at = None
