"""The hostile corpus (tests/corpus.py) through /edit on the real bot: every file gets its result
or a short private message that says what was wrong, every file gets a finished usage row, no
traceback reaches a member, the bot stays up, and its memory stays flat after the first hundred."""

import asyncio
import collections
import os

from tests.corpus import hostile_files
from tests.helpers import usage_rows
from tests.standins.discord_data import user_payload

AT_ONCE = 8
FIRST = 100  # files after which memory must stay flat
MAX_GROWTH_MB = 50


def rss_mb() -> float:
    """This process's resident memory (the bot runs in it), from /proc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# What a member may be told about an input: each says what is wrong with the file.
INPUT_MESSAGES = ("That image can't be used: ", "The image could not be used: ", "The image is ")


async def test_every_hostile_file_gets_an_answer_and_a_row(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(jobs={"max_running": 4, "per_member": 4, "per_guild": 50}))
    files = hostile_files()
    assert len(files) >= 300
    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    async def send(index: int, item) -> None:
        user = user_payload(str(10**17 + index), f"member{index}")
        image = discord_api.upload(item.name, item.data, item.content_type)
        state = await discord_api.send_slash_command("edit", {"image": image, "prompt": "tidy it"}, user=user)
        reply = await discord_api.wait_for_reply(state, 60)
        text = reply.text
        assert "Traceback" not in text and "Something went wrong" not in text, (item.name, text)
        if reply.attachment_bytes():
            outcomes[item.kind]["delivered"] += 1
        else:
            assert reply.ephemeral and text.startswith(INPUT_MESSAGES) and len(text) < 300, (item.name, text)
            outcomes[item.kind]["refused"] += 1

    after_first = 0.0
    for start in range(0, len(files), AT_ONCE):
        await asyncio.gather(
            *(send(start + offset, item) for offset, item in enumerate(files[start : start + AT_ONCE]))
        )
        if start < FIRST <= start + AT_ONCE:
            after_first = rss_mb()
    grown = rss_mb() - after_first
    assert grown < MAX_GROWTH_MB, f"memory grew {grown:.0f} MB over the last {len(files) - FIRST} files"

    rows = await usage_rows(bot, len(files), timeout=60)
    assert len(rows) == len(files) and not [row for row in rows if row.status == "pending"]
    assert sum(sum(counts.values()) for counts in outcomes.values()) == len(files)
    assert not bot.is_closed()
