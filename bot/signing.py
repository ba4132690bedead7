"""Signed links: a small JSON payload and its HMAC-SHA256 under a key derived from the operator's
`security.secret_key` for one purpose, so that a token made for one use is worth nothing in
another. A token is `base64url(payload).base64url(mac)`; `unsign` gives the payload back only when
the MAC matches (compared in constant time)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

MAX_TOKEN_CHARS = 512


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret_key: str, purpose: str) -> None:
        self._key = hmac.new(secret_key.encode(), f"imagebot/{purpose}/v1".encode(), hashlib.sha256).digest()

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def sign(self, payload: dict[str, Any]) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def unsign(self, token: str) -> dict[str, Any] | None:
        """The payload of a token this signer made, or None for anything else."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1 or not token.isascii():
            return None
        body_text, _, mac_text = token.partition(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        payload = json.loads(body)
        return payload if isinstance(payload, dict) else None
