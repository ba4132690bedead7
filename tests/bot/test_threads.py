"""Bounded worker threads: a function runs off the event loop with its arguments, its result or
its exception comes back, and no more than `limit` run at once."""

import asyncio
import threading

import pytest

from bot.threads import BoundedThreads


async def test_a_function_runs_in_another_thread_with_its_arguments():
    threads = BoundedThreads(2)
    here = threading.get_ident()
    assert await threads.run(lambda a, *, b: (a + b, threading.get_ident() != here), 2, b=3) == (5, True)


async def test_an_exception_comes_back_to_the_caller():
    def fail() -> None:
        raise ValueError("broken image")

    with pytest.raises(ValueError, match="broken image"):
        await BoundedThreads(1).run(fail)


async def test_no_more_than_the_limit_run_at_once():
    threads, loop = BoundedThreads(2), asyncio.get_running_loop()
    gate, lock = threading.Event(), threading.Lock()
    running, seen, both_running = [0], [], asyncio.Event()

    def work(blocks: bool) -> None:
        with lock:
            running[0] += 1
            seen.append(running[0])
            if running[0] == 2:
                loop.call_soon_threadsafe(both_running.set)
        if blocks:
            gate.wait()
        with lock:
            running[0] -= 1

    first, second = (asyncio.create_task(threads.run(work, True)) for _ in range(2))
    await both_running.wait()
    third = asyncio.create_task(threads.run(work, False))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not third.done()  # waiting for a slot while both hold theirs
    gate.set()
    await asyncio.gather(first, second, third)
    assert max(seen) == 2
