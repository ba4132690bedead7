"""Logging set-up with secret redaction: no token or API key reaches a log line, whether the
lines are text or JSON objects (`logging.format = "json"`, one a line, for log collectors)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

REDACTED = "[redacted]"
_secrets: set[str] = set()


def register_secrets(values: list[str]) -> None:
    _secrets.update(value for value in values if len(value) >= 4)


def forget_secrets(values: list[str]) -> None:
    """Stop redacting values that are no longer secrets of this bot (a guild removed its key)."""
    _secrets.difference_update(values)


def redact(text: str) -> str:
    """Replace every registered secret in `text`."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class _NoVoiceWarnings(logging.Filter):
    """The bot never joins voice, so discord.py's missing-voice-library warnings are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the traceback
    when there is one; each value redacted before it is encoded."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, secrets: list[str], form: str = "text") -> None:
    register_secrets(secrets)
    handler = logging.StreamHandler(sys.stderr)
    text = RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    handler.setFormatter(JsonFormatter() if form == "json" else text)
    handler.addFilter(_NoVoiceWarnings())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("discord.gateway").setLevel(logging.WARNING)
