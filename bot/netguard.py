"""The operator's address rules for outbound requests a guild or a provider can aim.

A guild's own base URL, and any image link a provider answers with, may reach only public
addresses, plus the networks the operator allows (`security.allowed_networks`). A host written
as an IP address, in any notation (`127.1`, `0x7f.0.0.1`, `2130706433`, `[::ffff:127.0.0.1]`),
is refused outright unless the operator allows its network; a name is refused when it resolves
to an address that is not globally reachable: one IANA's special-purpose address registries do
not mark so (loopback, private, link-local, shared (CGNAT), documentation, 6to4, Teredo, ...),
a multicast, IPv6 site-local (`fec0::/10`) or IETF-reserved address. The rules carry their own
copy of the registries, so they do not change with the Python version (whose `is_global` lets
`fec0::/10` through, and before 3.12.4 refused some anycast blocks the registry marks reachable).
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


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# IANA's IPv4 and IPv6 special-purpose address registries (RFC 6890), as of 2026-07: every block
# not marked globally reachable (a blank or N/A counts as not), and the reachable blocks inside
# them. tests/bot/test_netguard.py checks every row of the registries against these.
_NOT_GLOBALLY_REACHABLE = _networks(
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/23",
    "2001::/32", "2001:2::/48", "2001:10::/28", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16",
    "fc00::/7", "fe80::/10",
)  # fmt: skip
_GLOBALLY_REACHABLE_INSIDE = _networks(
    "192.0.0.9/32", "192.0.0.10/32",
    "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28",
    "2001:30::/28",
)  # fmt: skip
# Not in those registries, and no place for the bot to connect to either: multicast, and IPv6
# site-local (deprecated by RFC 3879, still routed inside some networks).
_NOT_UNICAST_OR_SITE = _networks("224.0.0.0/4", "ff00::/8", "fec0::/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # reaches the IPv4 address in its last 32 bits


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64:
            return _public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.is_reserved:  # space the IETF has not given out (IANA's IPv6 address space)
            return False
    if any(address in network for network in _NOT_UNICAST_OR_SITE):
        return False
    special = any(address in network for network in _NOT_GLOBALLY_REACHABLE)
    return not special or any(address in network for network in _GLOBALLY_REACHABLE_INSIDE)


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
