"""Sealing a guild's key: what is sealed opens only under the same secret, and unchanged."""

import pytest

from bot.vault import KeyVault, VaultError


def test_a_sealed_key_opens_under_its_secret_only():
    vault = KeyVault("a" * 40)
    sealed = vault.seal("sk-guild-key-1234")
    assert b"sk-guild" not in sealed and vault.seal("sk-guild-key-1234") != sealed  # a fresh IV each time
    assert vault.open(sealed) == "sk-guild-key-1234"
    with pytest.raises(VaultError):
        KeyVault("b" * 40).open(sealed)


def test_a_changed_sealed_key_is_refused():
    vault = KeyVault("a" * 40)
    sealed = bytearray(vault.seal("sk-guild-key-1234"))
    sealed[-5] ^= 1
    with pytest.raises(VaultError):
        vault.open(bytes(sealed))
