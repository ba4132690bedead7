"""Secrets at rest: a guild's own API key is sealed with a key derived from the operator's
`security.secret_key` before it reaches the database, and opened only to make a request.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) authenticates what it opens, so a
sealed key changed in the database, or sealed under another secret, is refused, not misread.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"imagebot guild api keys v1"


class VaultError(Exception):
    """A sealed value could not be opened: it was changed, or sealed under another secret."""


class KeyVault:
    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plain: str) -> bytes:
        return self._fernet.encrypt(plain.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise VaultError("the sealed value was changed or sealed under another secret_key") from None
