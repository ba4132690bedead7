"""The fair queue alone: order, guild turns, caps, positions and cancel. No clock, no I/O."""

import itertools

from bot.jobs.queue import FairQueue

ids = itertools.count(1)


def push(queue: FairQueue, guild, user: int) -> int:
    job_id = next(ids)
    queue.push(job_id, guild, user, f"{guild}:{user}:{job_id}")
    return job_id


def drain(queue: FairQueue) -> list[int]:
    """Start and finish jobs one at a time; the order they started in."""
    started = []
    while (payload := queue.pop()) is not None:
        job_id = int(payload.rsplit(":", 1)[1])
        started.append(job_id)
        queue.finish(job_id)
    return started


def test_guilds_take_turns_least_recently_served_first():
    queue = FairQueue(max_running=1, per_guild=1, per_member=1)
    a1 = push(queue, "A", 1)
    assert queue.pop() == f"A:1:{a1}"
    a2, a3, b4, b5, c6 = (
        push(queue, "A", 2),
        push(queue, "A", 3),
        push(queue, "B", 4),
        push(queue, "B", 5),
        push(queue, "C", 6),
    )
    assert queue.pop() is None
    queue.finish(a1)
    assert drain(queue) == [b4, c6, a2, b5, a3]


def test_a_guild_at_its_cap_lets_others_start():
    queue = FairQueue(max_running=4, per_guild=2, per_member=4)
    first = [push(queue, "busy", user) for user in range(5)]
    other = push(queue, "quiet", 9)
    started = [queue.pop(), queue.pop(), queue.pop()]
    assert [int(payload.rsplit(":", 1)[1]) for payload in started] == [first[0], other, first[1]]
    assert queue.pop() is None and queue.running == 3
    queue.finish(first[0])
    assert queue.pop() == f"busy:2:{first[2]}"


def test_a_member_at_their_cap_is_skipped_until_their_job_ends():
    queue = FairQueue(max_running=4, per_guild=4, per_member=1)
    mine = [push(queue, "G", 1) for _ in range(3)]
    theirs = push(queue, "G", 2)
    assert queue.pop() == f"G:1:{mine[0]}"
    assert queue.pop() == f"G:2:{theirs}"
    assert queue.pop() is None
    queue.finish(mine[0])
    assert queue.pop() == f"G:1:{mine[1]}"
    assert queue.pop() is None


def test_the_member_cap_holds_across_guilds():
    queue = FairQueue(max_running=4, per_guild=4, per_member=1)
    here, there = push(queue, "A", 7), push(queue, "B", 7)
    assert queue.pop() == f"A:7:{here}"
    assert queue.pop() is None
    queue.finish(here)
    assert queue.pop() == f"B:7:{there}"


def test_max_running_caps_everything():
    queue = FairQueue(max_running=2, per_guild=5, per_member=5)
    jobs = [push(queue, guild, user) for guild, user in [("A", 1), ("B", 2), ("C", 3)]]
    assert queue.pop() and queue.pop() and queue.pop() is None
    queue.finish(jobs[0])
    assert queue.pop() == f"C:3:{jobs[2]}"


def test_positions_follow_guild_turns_and_move_up():
    queue = FairQueue(max_running=1, per_guild=1, per_member=1)
    running = push(queue, "A", 1)
    queue.pop()
    a2, a3, b4 = push(queue, "A", 2), push(queue, "A", 3), push(queue, "B", 4)
    assert queue.positions() == {b4: 1, a2: 2, a3: 3}
    queue.finish(running)
    assert queue.pop() == f"B:4:{b4}"
    assert queue.positions() == {a2: 1, a3: 2}


def test_cancel_removes_a_job_and_the_others_close_up():
    queue = FairQueue(max_running=1, per_guild=1, per_member=1)
    running = push(queue, "A", 1)
    queue.pop()
    second, third = push(queue, "A", 2), push(queue, "A", 3)
    assert queue.remove(second) == f"A:2:{second}"
    assert queue.remove(second) is None and second not in queue
    assert queue.positions() == {third: 1}
    queue.finish(running)
    assert drain(queue) == [third]
    assert len(queue) == 0


def test_cancelling_a_members_oldest_job_keeps_their_next_one_in_line():
    queue = FairQueue(max_running=2, per_guild=2, per_member=1)
    first, second = push(queue, "A", 5), push(queue, "A", 5)
    queue.remove(first)
    assert queue.pop() == f"A:5:{second}"


def test_a_large_queue_drains_in_fair_order():
    queue = FairQueue(max_running=4, per_guild=2, per_member=1)
    jobs = {(guild, user): push(queue, guild, user) for user in range(500) for guild in ("A", "B")}
    started = drain(queue)
    assert len(started) == len(jobs) and len(queue) == 0
    guilds = [next(guild for (guild, _), job in jobs.items() if job == job_id) for job_id in started]
    assert all(guilds[index] != guilds[index + 1] for index in range(len(guilds) - 1))


def test_finishing_a_job_twice_frees_its_place_once():
    queue = FairQueue(max_running=1, per_guild=1, per_member=1)
    first, second, third = push(queue, "A", 1), push(queue, "B", 2), push(queue, "C", 3)
    queue.pop()
    queue.finish(first)
    queue.finish(first)
    assert queue.pop() == f"B:2:{second}"
    assert queue.pop() is None and queue.running == 1
    queue.finish(second)
    assert queue.pop() == f"C:3:{third}"
