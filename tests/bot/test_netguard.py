"""The operator's address rules: every notation of a loopback or private address is refused, a
name is judged by what it resolves to, when it is given and again at every connect (so a name
that changes its answer gets nowhere), and the operator's allowed networks pass. Every entry of
IANA's special-purpose address registries is judged as the registry marks it (tests/data/iana)."""

import csv
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yarl
from aiohttp.abc import AbstractResolver

from bot.images import ImagesClient
from bot.images import errors as images_errors
from bot.images.models import ModelRegistry
from bot.images.transport import Transport
from bot.netguard import AddressRefused, AddressRules, literal_address
from tests.standins.images_api import ImagesStandIn

MODELS = ModelRegistry()

# What an attacker writes to reach the bot's own host or its network, and the address it spells
# (None: a name, judged by what it resolves to).
HOSTILE = [
    ("http://127.0.0.1:8080/v1", "127.0.0.1"),
    ("http://localhost:8080/v1", None),
    ("http://[::1]:8080/v1", "::1"),
    ("http://0x7f.0.0.1/v1", "127.0.0.1"),
    ("http://0.0.0.0/v1", "0.0.0.0"),
    ("http://[::ffff:127.0.0.1]/v1", "::ffff:7f00:1"),
    ("http://2130706433/v1", "127.0.0.1"),
    ("http://127.1/v1", "127.0.0.1"),
    ("http://0177.0.0.1/v1", "127.0.0.1"),
    ("http://10.0.0.7/v1", "10.0.0.7"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
    ("http://100.64.0.1/v1", "100.64.0.1"),
    ("http://[fe80::1]/v1", "fe80::1"),
    ("http://224.0.0.1/v1", "224.0.0.1"),
    ("http://LOCALHOST./v1", None),
]


async def public_lookup(host: str, port: int) -> list[str]:
    """DNS as the tests need it: the names below, nothing from the network."""
    names = {
        "images.example.com": ["93.184.216.34"],
        "localhost": ["127.0.0.1", "::1"],
        "localhost.": ["127.0.0.1"],
        "site-local.example": ["fec0::1"],
    }
    if host.lower() not in names:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return names[host.lower()]


@pytest.mark.parametrize(("url", "address"), HOSTILE)
async def test_every_notation_of_a_private_address_is_refused(url, address):
    with pytest.raises(AddressRefused):
        await AddressRules(lookup=public_lookup).vet_url(url)
    spelled = literal_address(yarl.URL(url).raw_host or "")
    assert (str(spelled) if spelled is not None else None) == address


async def test_a_public_name_passes_and_the_operators_networks_are_allowed():
    await AddressRules(lookup=public_lookup).vet_url("https://images.example.com/v1")
    allowed = AddressRules(["127.0.0.0/8"], lookup=public_lookup)
    await allowed.vet_url("http://127.0.0.1:8080/v1")
    await allowed.vet_url("http://localhost.:8080/v1")
    with pytest.raises(AddressRefused):
        await allowed.vet_url("http://localhost:8080/v1")  # its ::1 is not in the allowed network
    with pytest.raises(AddressRefused):
        await AddressRules(lookup=public_lookup).vet_url("https://no-such-name.example/v1")


async def test_a_name_on_ipv6_site_local_is_refused():
    """Python counts `fec0::/10` (site-local, deprecated but still routed in some networks) as
    global; the rules do not, unless the operator allows it."""
    with pytest.raises(AddressRefused):
        await AddressRules(lookup=public_lookup).vet_url("https://site-local.example/v1")
    await AddressRules(["fec0::/10"], lookup=public_lookup).vet_url("https://site-local.example/v1")


# IANA's IPv4 and IPv6 special-purpose address registries, as IANA publishes them in CSV; see
# tests/data/iana/README.md for where and when they were taken.
IANA = Path(__file__).resolve().parents[1] / "data" / "iana"
NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Entry:
    block: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    reachable: bool  # "Globally Reachable" is True; False, N/A and blank (terminated) are not

    def __str__(self) -> str:
        return f"{self.block} {self.name}"


def registry_entries() -> list[Entry]:
    entries = []
    for registry in ("iana-ipv4-special-registry-1.csv", "iana-ipv6-special-registry-1.csv"):
        with (IANA / registry).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                reachable = row["Globally Reachable"].split("[")[0].strip() == "True"
                for block in row["Address Block"].split("[")[0].split(","):  # "192.0.0.170/32, 192.0.0.171/32"
                    entries.append(Entry(ipaddress.ip_network(block.strip()), row["Name"], reachable))
    return entries


ENTRIES = registry_entries()


def registry_says(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the registries call `address` globally reachable: as its most specific entry says
    (192.0.0.9 is reachable inside 192.0.0.0/24, which is not); outside them all, it is. An address
    of the NAT64 prefix reaches the IPv4 address in its last 32 bits, and is judged as that one."""
    if address in NAT64:
        return registry_says(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    holding = [entry for entry in ENTRIES if entry.block.version == address.version and address in entry.block]
    return max(holding, key=lambda entry: entry.block.prefixlen).reachable if holding else True


def samples(entry: Entry) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The entry's first, middle and last addresses (and, for NAT64, one that embeds a public host)."""
    first, last = int(entry.block.network_address), int(entry.block.broadcast_address)
    kind = type(entry.block.network_address)  # (ip_address(1) would be 0.0.0.1)
    found = {kind(value) for value in (first, (first + last) // 2, last)}
    if entry.block == NAT64:
        found.add(ipaddress.ip_address("64:ff9b::808:808"))
    return sorted(found)


def test_the_registries_are_there_in_full():
    assert (sum(entry.block.version == 4 for entry in ENTRIES), sum(entry.block.version == 6 for entry in ENTRIES)) == (
        26,
        25,
    )


def answering(address: str):
    """DNS that answers every name with `address`."""

    async def lookup(host: str, port: int) -> list[str]:
        return [address]

    return lookup


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
async def test_every_special_purpose_entry_is_judged_as_the_registry_marks_it(entry: Entry):
    """A name that resolves into an entry not marked globally reachable is refused, unless the
    operator allows that network; one marked reachable passes."""

    for address in samples(entry):
        lookup = answering(str(address))
        expected = registry_says(address)
        assert AddressRules().permits(address) is expected, address
        if expected:
            await AddressRules(lookup=lookup).vet_url("https://provider.example/v1")
        else:
            with pytest.raises(AddressRefused):
                await AddressRules(lookup=lookup).vet_url("https://provider.example/v1")
            await AddressRules([str(entry.block)], lookup=lookup).vet_url("https://provider.example/v1")


class Rebinding(AbstractResolver):
    """A resolver whose name answered public when it was checked and answers loopback now."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(self, host, port=0, family=socket.AF_INET):
        self.asked.append(host)
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        pass


async def test_a_name_that_rebinds_to_loopback_is_refused_at_connect_time(images_api: ImagesStandIn):
    """The guild's URL passed the check (public then); at connect time its name answers
    127.0.0.1, where a server is listening: no request reaches it."""
    rules = AddressRules(lookup=public_lookup)
    await rules.vet_url("https://images.example.com/v1")
    resolver = Rebinding()
    port = images_api.base_url.split(":")[2].split("/")[0]
    async with aiohttp.ClientSession() as plain, rules.session(resolver) as guarded:
        client = ImagesClient(
            Transport(plain, base_url=images_api.base_url, api_key="sk-bot", rules=rules, guarded_session=guarded)
        )
        guild = client.for_account(
            base_url=f"http://images.example.com:{port}/v1", api_key=images_api.api_key, max_parallel_requests=1
        )
        with pytest.raises(images_errors.BlockedAddressError):
            await guild.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert resolver.asked == ["images.example.com"] and not images_api.requests


async def test_a_guild_account_never_connects_to_an_ip_literal(images_api: ImagesStandIn):
    rules = AddressRules()
    async with aiohttp.ClientSession() as plain, rules.session() as guarded:
        client = ImagesClient(
            Transport(
                plain, base_url="https://api.openai.com/v1", api_key="sk-bot", rules=rules, guarded_session=guarded
            )
        )
        guild = client.for_account(base_url=images_api.base_url, api_key=images_api.api_key, max_parallel_requests=1)
        with pytest.raises(images_errors.BlockedAddressError) as caught:
            await guild.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert not caught.value.worth_retrying and not images_api.requests


async def test_an_image_link_on_another_host_is_fetched_only_under_the_rules(images_api: ImagesStandIn):
    """The operator's own provider is trusted, and so are links on its host; a link it gives to any
    other host (here `localhost`, which resolves to the loopback) is refused before connecting."""
    operator_url = images_api.base_url
    images_api.base_url = operator_url.replace("127.0.0.1", "localhost")  # where its image links point
    rules = AddressRules()
    async with aiohttp.ClientSession() as plain, rules.session() as guarded:
        client = ImagesClient(
            Transport(plain, base_url=operator_url, api_key=images_api.api_key, rules=rules, guarded_session=guarded)
        )
        with pytest.raises(images_errors.BlockedAddressError):
            await client.generate("a fox", model=MODELS.get("acme-diffusion"))
        images_api.base_url = operator_url  # links on the operator's own host are fetched
        result = await client.generate("a fox", model=MODELS.get("acme-diffusion"))
    assert len(result.images) == 1
