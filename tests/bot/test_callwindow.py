"""The recent Discord REST calls: counted as they start, forgotten once out of the window."""

import aiohttp
from aiohttp import web

from bot.callwindow import CallWindow
from tests.helpers import local_server


class SteppedClock:
    """Monotonic time that moves only when the test moves it."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def now(self):
        raise AssertionError("the window reads monotonic time only")

    def monotonic(self) -> float:
        return self.seconds


def test_calls_count_until_they_leave_the_window():
    clock = SteppedClock()
    window = CallWindow(clock, seconds=1.25)
    window.note()
    clock.seconds += 1.0
    window.note()
    window.note()
    assert window.count(101.0) == 3
    assert window.count(101.2) == 3  # the first is 1.2 s old: still in the window
    assert window.count(101.25) == 2  # and now out
    assert window.count(102.25) == 0


async def ok(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def test_each_request_on_a_traced_session_is_counted():
    clock = SteppedClock()
    window = CallWindow(clock)
    app = web.Application()
    app.router.add_get("/", ok)
    async with local_server(app) as host, aiohttp.ClientSession(trace_configs=[window.trace()]) as session:
        for _ in range(3):
            async with session.get(f"{host}/") as answer:
                assert answer.status == 200
    assert window.count(clock.seconds) == 3
