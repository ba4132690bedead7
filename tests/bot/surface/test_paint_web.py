"""The painting page server's parts on their own: the rate limit's table and the client's address."""

from __future__ import annotations

from bot.surface.paint_web import RateLimit, client_key


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def test_the_table_holds_at_most_max_keys_and_forgets_quiet_ones_at_most_once_a_second():
    clock = Clock()
    limit = RateLimit(clock, 2, max_keys=3)
    assert [limit.allow(key) for key in "abcd"] == [True, True, True, False]  # the table is full
    assert [limit.allow("a"), limit.allow("a")] == [True, False]  # a known key keeps its own budget
    clock.now = 0.5
    assert not limit.allow("e")  # nothing quiet yet
    clock.now = 61.0
    assert [limit.allow(key) for key in "defg"] == [True, True, True, False]  # a, b, c were forgotten


def test_a_client_is_its_ipv4_address_or_its_ipv6_slash_64():
    assert client_key("203.0.113.5") == "203.0.113.5"
    assert client_key("2001:db8:1:2::5") == client_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::5") != client_key("2001:db8:1:2::5")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"  # an IPv4 client on a dual-stack socket
