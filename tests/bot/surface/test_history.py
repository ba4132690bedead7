"""/history: chains of replies shown as their newest step with every step; a page of a member's
own results in this scope, privately; previews made once from the stored links, or from the result
message read again when those expired, and kept; a result whose images are gone shown without
one; Reroll only where the prompt remains and the command can be repeated."""

from types import SimpleNamespace

import discord

from bot.db.models import ResultPreview, UsageRecord
from bot.errors import InvalidRequest
from bot.i18n import _
from bot.surface.history import HistoryPages, as_chains
from bot.surface.pages import Pages
from bot.surface.result_items import FrameMenu, bound
from bot.surface.result_view import ResultButtons
from bot.threads import BoundedThreads
from tests.helpers import EnglishLocales, FakeInteraction, photo

GUILD, MEMBER = 10, 20


def row(id: int, parent_id: int | None = None, prompt: str | None = "a fox", **values) -> UsageRecord:
    return UsageRecord(id=id, parent_id=parent_id, prompt=prompt, **values)


def test_a_chain_of_replies_is_one_entry_with_its_steps_oldest_first():
    first, reply, reply_to_reply, alone = row(1), row(2, 1), row(4, 2), row(3)
    orphan = row(5, parent_id=99)  # its first result is older than the history: it stands alone
    preview = ResultPreview(usage_id=4)
    entries = as_chains([(orphan, None), (reply_to_reply, preview), (alone, None), (reply, None), (first, None)])
    assert [(entry[0].id, entry[1], [step.id for step in entry[2]]) for entry in entries] == [
        (5, None, [5]),
        (4, preview, [1, 2, 4]),
        (3, None, [3]),
    ]


class Downloads:
    def __init__(self, working: set[str]) -> None:
        self.working, self.fetched = working, []

    async def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url not in self.working:
            raise InvalidRequest(_("That link expired."))
        return photo((64, 64))


class Channel:
    """Result messages by id, with their attachments' links; any other was deleted."""

    def __init__(self, messages: dict[int, list[str]]) -> None:
        self.messages = messages

    async def fetch_message(self, message_id: int):
        if message_id not in self.messages:
            raise discord.NotFound(SimpleNamespace(status=404, reason="Not Found"), "Unknown Message")
        links = self.messages[message_id]
        return SimpleNamespace(
            attachments=[SimpleNamespace(url=url, filename="a.png", content_type="image/png") for url in links]
        )


def history(sessions, downloads: Downloads, channel: Channel) -> HistoryPages:
    actions = SimpleNamespace()
    actions.frame_menu = bound(FrameMenu, actions)
    return HistoryPages(
        sessions=sessions,
        locales=EnglishLocales(),
        buttons=ResultButtons(actions),
        pages=Pages(SimpleNamespace(), EnglishLocales()),
        downloads=downloads,
        threads=BoundedThreads(1),
        channel=lambda channel_id: channel,
    )


async def results(sessions, *rows: tuple[dict[str, object], list[str] | None]) -> list[int]:
    async with sessions() as session:
        made = []
        for values, urls in rows:
            fields = {"guild_id": GUILD, "channel_id": 30, "user_id": MEMBER, "status": "ok", "command": "imagine"}
            record = UsageRecord(**(fields | {"message_id": 40} | values))
            session.add(record)
            await session.flush()
            if urls is not None:
                session.add(ResultPreview(usage_id=record.id, image_urls=urls))
            made.append(record.id)
        await session.commit()
    return made


def page_of(interaction: FakeInteraction) -> tuple[discord.ui.LayoutView, list[discord.File]]:
    ((_, options),) = interaction.followup.sent
    assert options["ephemeral"] is True
    return options["view"], options["files"]


async def test_nothing_yet_is_said_privately(sessions):
    interaction = FakeInteraction(guild_id=GUILD)
    await history(sessions, Downloads(set()), Channel({})).open(interaction)
    assert interaction.response.deferred_ephemeral is True
    assert interaction.followup.sent == [
        ("You have no results here yet. Make some with /imagine.", {"ephemeral": True})
    ]


async def test_a_page_shows_previews_lines_and_buttons_and_keeps_the_previews_made(sessions):
    fresh, expired, gone = "https://cdn.example/fresh.png", "https://cdn.example/old.png", "x"
    ids = await results(
        sessions,
        ({"prompt": "a fox"}, [fresh]),
        ({"prompt": None, "message_id": 41}, [expired]),  # its links expired: the message is read again
        ({"prompt": "a cat", "command": "edit", "message_id": 42}, [gone]),  # and its message was deleted
        ({"prompt": "a *bold* owl"}, None),
    )
    downloads = Downloads({fresh, "https://cdn.example/again.png"})
    pages = history(sessions, downloads, Channel({41: ["https://cdn.example/again.png"]}))
    interaction = FakeInteraction(guild_id=GUILD)
    await pages.open(interaction)
    view, files = page_of(interaction)
    assert sorted(file.filename for file in files) == sorted(f"history-{id}.webp" for id in ids[:2])
    texts = [child.content for child in view.children if isinstance(child, discord.ui.TextDisplay)]
    assert texts[0] == "**Your latest results here** · page 1 of 1"
    lines = texts[1].split("\n")
    assert lines[0].startswith("**1.** a \\*bold\\* owl · <t:") and lines[0].endswith(f"/{GUILD}/30/40)")
    assert lines[1].startswith("**2.** a cat") and lines[2].startswith("**3.** (prompt removed)")
    rows = [
        [item.custom_id for item in child.children]
        for child in view.children
        if isinstance(child, discord.ui.ActionRow)
    ]
    assert rows[0] == [f"ib:reroll:{ids[3]}", f"ib:reroll:{ids[0]}"]  # not the edit, not the removed prompt
    assert rows[1] == [f"ib:hvary:{id}" for id in reversed(ids)]
    assert [turn.split(":")[-3] for turn in rows[2]] == ["0", "0"]
    async with sessions() as session:
        kept = [await session.get(ResultPreview, id) for id in ids[:3]]
    assert [preview.data is not None for preview in kept] == [True, True, False]
    assert kept[1].image_urls == ["https://cdn.example/again.png"]
    downloads.fetched.clear()
    again = FakeInteraction(guild_id=GUILD)
    await pages.open(again, 0, "", turn=True)
    (edit,) = again.original_edits
    assert len(edit["attachments"]) == 2 and downloads.fetched == [gone]  # kept previews are not made again


async def test_a_result_message_that_is_gone_leaves_its_result_without_a_preview(sessions):
    await results(sessions, ({}, ["https://cdn.example/old.png"]))
    interaction = FakeInteraction(guild_id=GUILD)
    await history(sessions, Downloads(set()), Channel({})).open(interaction)
    view, files = page_of(interaction)
    assert files == [] and not any(isinstance(child, discord.ui.MediaGallery) for child in view.children)


async def test_the_page_asked_for_is_kept_within_the_history(sessions):
    await results(sessions, *(({"prompt": f"fox {n}"}, None) for n in range(12)))
    interaction = FakeInteraction(guild_id=GUILD)
    await history(sessions, Downloads(set()), Channel({})).open(interaction, 990)
    view, _ = page_of(interaction)
    texts = [child.content for child in view.children if isinstance(child, discord.ui.TextDisplay)]
    assert texts[0] == "**Your latest results here** · page 2 of 2"
    assert texts[1].split("\n")[0].startswith("**11.** fox 1 ·")
    other = FakeInteraction(guild_id=None)  # their personal use holds none of these
    await history(sessions, Downloads(set()), Channel({})).open(other)
    assert other.followup.sent[0][0].startswith("You have no results here yet.")
