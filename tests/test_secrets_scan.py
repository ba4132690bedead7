"""The scan every test runs under finds a secret in each form a leak would take."""

import base64
import logging
from urllib.parse import quote

from tests.secrets_scan import SECRETS, LogLines, leaks


def test_each_secret_is_found_raw_encoded_and_inside_other_text():
    for secret in SECRETS:
        for form in (secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()):
            assert leaks(f"url=https://x/?key={form}&a=1", "here") == [f"here: {secret[:6]}…"]
        assert leaks(b"\x89PNG" + secret.encode() + b"\x00", "file") != []
    assert leaks("sk-another-key and a token-like standin.bot-token", "here") == []


def test_a_secret_in_a_logged_traceback_is_caught():
    handler = LogLines()
    log = logging.getLogger("tests.leaky")
    log.addHandler(handler)
    log.propagate = False  # this leak is on purpose: the suite's own scan must not see it
    try:
        raise RuntimeError(f"connect failed for Bearer {SECRETS[1]}")
    except RuntimeError:
        log.exception("request failed")
    finally:
        log.removeHandler(handler)
    assert [hit for line in handler.lines for hit in leaks(line, "log")] == [f"log: {SECRETS[1][:6]}…"]
