"""Logging: registered secrets (four characters or more) are redacted from text and JSON lines,
tracebacks included, until they are forgotten; JSON lines are one object each with UTC time;
discord.py's voice warnings are dropped; set-up replaces the root's handlers and quiets discord.py."""

import json
import logging
import sys
from collections.abc import Iterator

import pytest

from bot.logs import (
    REDACTED,
    JsonFormatter,
    RedactingFormatter,
    forget_secrets,
    redact,
    register_secrets,
    setup_logging,
)

SECRET, OTHER = "sk-unit-test-secret-value", "guild-key-0000"


@pytest.fixture
def secrets() -> Iterator[None]:
    register_secrets([SECRET, OTHER, "abc"])
    yield
    forget_secrets([SECRET, OTHER, "abc"])


def record(message: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("bot.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_registered_secrets_are_redacted_until_forgotten(secrets):
    assert redact(f"key={SECRET} and {OTHER}, abc") == f"key={REDACTED} and {REDACTED}, abc"  # "abc" is too short
    forget_secrets([OTHER])
    assert redact(f"{SECRET} {OTHER}") == f"{REDACTED} {OTHER}"


def test_a_text_line_is_redacted_arguments_and_all(secrets):
    line = RedactingFormatter("%(levelname)s %(message)s").format(record("calling with %s", SECRET))
    assert line == f"WARNING calling with {REDACTED}"


def test_a_json_line_is_one_redacted_object_with_its_traceback(secrets):
    try:
        raise RuntimeError(f"refused {SECRET}")
    except RuntimeError:
        failure = record("the call failed for %s", OTHER, exc_info=sys.exc_info())
    failure.created = 1_700_000_000.25
    line = JsonFormatter().format(failure)
    assert "\n" not in line and SECRET not in line and OTHER not in line
    entry = json.loads(line)
    assert {key: entry[key] for key in ("time", "level", "logger", "message")} == {
        "time": "2023-11-14T22:13:20.250+00:00",
        "level": "WARNING",
        "logger": "bot.test",
        "message": f"the call failed for {REDACTED}",
    }
    assert f"RuntimeError: refused {REDACTED}" in entry["traceback"]
    assert "traceback" not in json.loads(JsonFormatter().format(record("fine")))


def test_json_lines_keep_non_ascii_text():
    assert json.loads(JsonFormatter().format(record("ünïcode ✓")))["message"] == "ünïcode ✓"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root, discord, gateway = logging.getLogger(), logging.getLogger("discord"), logging.getLogger("discord.gateway")
    saved = (root.handlers[:], root.level, discord.level, gateway.level)
    yield
    root.handlers[:], levels = saved[0], saved[1:]
    for logger, level in zip((root, discord, gateway), levels, strict=True):
        logger.setLevel(level)
    forget_secrets([SECRET])


@pytest.mark.parametrize(("form", "formatter"), [("text", RedactingFormatter), ("json", JsonFormatter)])
def test_setup_replaces_the_roots_handlers(restored_logging, form, formatter):
    setup_logging("DEBUG", [SECRET], form)
    (handler,) = logging.getLogger().handlers
    assert type(handler.formatter) is formatter
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("discord").level == logging.INFO  # never discord.py's debug chatter
    assert logging.getLogger("discord.gateway").level == logging.WARNING
    assert redact(SECRET) == REDACTED
    assert not handler.filter(record("PyNaCl is not installed, voice will NOT be supported"))
    assert handler.filter(record("logged in"))


def test_setup_at_warning_keeps_discord_at_warning(restored_logging):
    setup_logging("WARNING", [])
    assert logging.getLogger("discord").level == logging.WARNING
