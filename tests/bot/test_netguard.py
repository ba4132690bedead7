"""The operator's address rules: every notation of a loopback or private address is refused, a
name is judged by what it resolves to, when it is given and again at every connect (so a name
that changes its answer gets nowhere), and the operator's allowed networks pass."""

import socket

import aiohttp
import pytest
import yarl
from aiohttp.abc import AbstractResolver

from bot.images import ImagesClient
from bot.images import errors as images_errors
from bot.images.models import ModelRegistry
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
    names = {"images.example.com": ["93.184.216.34"], "localhost": ["127.0.0.1", "::1"], "localhost.": ["127.0.0.1"]}
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
            plain, base_url=images_api.base_url, api_key="sk-bot", rules=rules, guarded_session=guarded
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
            plain, base_url="https://api.openai.com/v1", api_key="sk-bot", rules=rules, guarded_session=guarded
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
            plain, base_url=operator_url, api_key=images_api.api_key, rules=rules, guarded_session=guarded
        )
        with pytest.raises(images_errors.BlockedAddressError):
            await client.generate("a fox", model=MODELS.get("acme-diffusion"))
        images_api.base_url = operator_url  # links on the operator's own host are fetched
        result = await client.generate("a fox", model=MODELS.get("acme-diffusion"))
    assert len(result.images) == 1
