"""Signed links: the payload back only from a token this signer made, for this purpose."""

import base64
import hashlib
import hmac

import pytest

from bot.signing import MAX_TOKEN_CHARS, Signer

SECRET = "a-test-secret-key-that-is-long-enough"


def test_a_token_gives_its_payload_back():
    signer = Signer(SECRET, "paint")
    payload = {"ticket": 42, "user": "1234", "nested": {"a": [1, 2]}}
    assert signer.unsign(signer.sign(payload)) == payload


def test_a_token_is_worth_nothing_for_another_purpose_or_under_another_key():
    token = Signer(SECRET, "paint").sign({"ticket": 42})
    assert Signer(SECRET, "download").unsign(token) is None
    assert Signer(SECRET + "!", "paint").unsign(token) is None


def test_a_changed_payload_or_mac_is_refused():
    signer = Signer(SECRET, "paint")
    token = signer.sign({"ticket": 42})
    body, mac = token.split(".")
    other_body = signer.sign({"ticket": 43}).split(".")[0]
    assert signer.unsign(f"{other_body}.{mac}") is None
    assert signer.unsign(f"{body}.{mac[:-2]}AA") is None


@pytest.mark.parametrize(
    "token",
    ["", "no-dot", "a.b.c", "é.é", "!!!.???", "a" * MAX_TOKEN_CHARS + ".b", "YQ.YQ"],
)
def test_anything_that_is_not_a_token_is_none(token):
    assert Signer(SECRET, "paint").unsign(token) is None


def test_a_signed_value_that_is_not_an_object_is_none():
    """A list with a valid MAC (sign() never makes one): refused all the same."""
    raw = b"[1,2]"
    key = hmac.new(SECRET.encode(), b"imagebot/paint/v1", hashlib.sha256).digest()
    mac = hmac.new(key, raw, hashlib.sha256).digest()
    token = f"{_b64(raw)}.{_b64(mac)}"
    assert Signer(SECRET, "paint").unsign(token) is None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
