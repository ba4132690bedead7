"""The operator's address rules for outbound requests a guild or a provider can aim.

A guild's own base URL, and any image link a provider answers with, may reach only public
addresses, plus the networks the operator allows (`security.allowed_networks`). A host written
as an IP address, in any notation (`127.1`, `0x7f.0.0.1`, `2130706433`, `[::ffff:127.0.0.1]`),
is refused outright unless the operator allows its network; a name is refused when it resolves
to a loopback, private, link-local, shared (CGNAT), multicast, unspecified or reserved address.
The rules are checked when a URL is given (`vet_url`) and again at every connect, by the guarded
session's resolver, so a name that changes its answer later (DNS rebinding) gets no further.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Lookup = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(OSError):
    """A host the address rules do not let the bot reach; the text says which, never why it exists."""


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, in any notation the C library would accept, or None for a name."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 127.1, 0x7f.0.0.1, 0177.0.0.1, 2130706433
    except (OSError, UnicodeError, ValueError):
        return None


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return _public(embedded)
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 reaches IPv4 addresses
            return _public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified or address.is_link_local
    )


async def _system_lookup(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressRules:
    def __init__(self, allowed_networks: Iterable[str] = (), *, lookup: Lookup = _system_lookup) -> None:
        """`allowed_networks` (CIDR) are reachable although not public; `lookup` resolves a name
        to its addresses at submit time (the connector resolves at connect time)."""
        self._allowed = tuple(ipaddress.ip_network(network, strict=False) for network in allowed_networks)
        self._lookup = lookup

    def permits(self, address: IPAddress) -> bool:
        return any(address.version == network.version and address in network for network in self._allowed) or (
            _public(address)
        )

    def check_host(self, host: str) -> None:
        """Refuse a host written as an address the rules do not permit. Names pass: they are
        resolved and checked at connect time."""
        address = literal_address(host)
        if address is not None and not any(address in network for network in self._allowed):
            raise AddressRefused(f"{host} is an IP address, which this bot does not connect to")

    async def vet_url(self, url: str) -> None:
        """Check a URL someone gave: its host is a name whose every address is permitted now."""
        host = yarl.URL(url).raw_host or ""
        if not host:
            raise AddressRefused("the URL has no host")
        self.check_host(host)
        if literal_address(host) is not None:
            return
        try:
            addresses = await self._lookup(host, 443)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(f"{host} does not resolve") from exc
        if not addresses or not all(self.permits(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses):
            raise AddressRefused(f"{host} resolves to an address this bot does not connect to")

    def session(self, resolver: AbstractResolver | None = None) -> aiohttp.ClientSession:
        """A session that connects only where the rules permit (the resolver drops the rest)."""
        guarded = GuardedResolver(self, resolver or ThreadedResolver())
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=guarded))


class GuardedResolver(AbstractResolver):
    """Resolves as `inner` does, keeping only the addresses the rules permit."""

    def __init__(self, rules: AddressRules, inner: AbstractResolver) -> None:
        self._rules = rules
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [result for result in found if self._rules.permits(ipaddress.ip_address(result["host"]))]
        if not kept:
            raise AddressRefused(f"{host} resolves to an address this bot does not connect to")
        return kept

    async def close(self) -> None:
        await self._inner.close()
