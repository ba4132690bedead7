"""Reading a message to the bot: whether it is addressed at all (from the event alone), which image
it asks about and with what words, and the refusal that says what works instead."""

from types import SimpleNamespace

import pytest

from bot.errors import InvalidRequest
from bot.flow.conversation import CANNOT_SEE, PING_ON_REPLY, Conversation, read_words
from bot.flow.sources import SourceImage
from tests.helpers import discord_attachment, discord_message

ME, MEMBER, OTHER = 100, 5, 6
GUILD = SimpleNamespace(id=1)
BOT_USER = SimpleNamespace(id=ME, bot=True)


def conversation(*, message_content: bool = False, me: int | None = ME) -> Conversation:
    return Conversation(me=lambda: me, message_content=message_content)


def member_message(**fields):
    return discord_message(**{"author": SimpleNamespace(id=MEMBER, bot=False), "guild": GUILD, **fields})


def replying_to(target, **fields):
    return member_message(reference=SimpleNamespace(resolved=target), **fields)


def images(*names: str) -> list:
    return [discord_attachment(name, number=number) for number, name in enumerate(names, 1)]


def bots_result(*names: str):
    return discord_message(id=77, author=BOT_USER, guild=GUILD, attachments=images(*names))


@pytest.mark.parametrize(
    ("content", "words", "index"),
    [
        (f"<@{ME}> make it night", "make it night", 0),
        (f"<@!{ME}>   2: make   it night", "make it night", 1),
        ("#3 make it night", "make it night", 2),
        ("#0 anything", "anything", 0),
        (f"<@{ME}>", "", 0),
        ("12 monkeys", "12 monkeys", 0),  # a number without # or : is words
    ],
)
def test_the_words_lose_the_mention_and_an_index_picks_the_image(content, words, index):
    assert read_words(content, ME) == (words, index)


def test_only_a_dm_a_mention_or_a_reply_to_the_bot_is_addressed():
    talk = conversation()
    assert talk.addressed(discord_message())  # a DM
    assert talk.addressed(member_message(mentions=[SimpleNamespace(id=ME)]))
    assert talk.addressed(replying_to(bots_result("a.png")))
    assert not talk.addressed(member_message())
    assert not talk.addressed(replying_to(member_message()))  # a reply to a member
    assert not talk.addressed(replying_to(None))  # the replied-to message was not in the event
    assert not talk.addressed(discord_message(author=SimpleNamespace(id=OTHER, bot=True)))
    assert not talk.addressed(discord_message(webhook_id=9))
    assert not talk.addressed(discord_message(author=BOT_USER))  # its own
    assert not conversation(me=None).addressed(discord_message())  # not connected yet


def test_an_image_in_the_message_itself_is_edited_with_its_words():
    message = member_message(
        content=f"<@{ME}> 2: make it night", mentions=[BOT_USER], attachments=images("a.png", "b.png")
    )
    ask = conversation().read(message, None)
    assert (ask.words, ask.continues) == ("make it night", None)
    assert ask.image == SourceImage("https://cdn.example.com/2/b.png", 1002, "b.png")


def test_a_reply_to_the_bots_result_continues_it_and_no_words_is_a_variation():
    ask = conversation().read(replying_to(None, content=f"<@{ME}>", mentions=[BOT_USER]), bots_result("r.png"))
    assert (ask.words, ask.continues, ask.image.filename) == ("", 77, "r.png")


def test_a_reply_to_a_members_image_branches_from_nothing():
    photo = member_message(id=55, attachments=images("photo.jpg"))
    ask = conversation().read(replying_to(photo, content=f"<@{ME}> darker", mentions=[BOT_USER]), photo)
    assert (ask.words, ask.continues, ask.image.filename) == ("darker", None, "photo.jpg")


def test_a_reply_without_the_ping_cannot_be_read_without_the_intent():
    reply = replying_to(None, content="make it night")
    with pytest.raises(InvalidRequest) as refused:
        conversation().read(reply, bots_result("r.png"))
    assert refused.value.message == PING_ON_REPLY
    assert conversation(message_content=True).read(reply, bots_result("r.png")).words == "make it night"
    assert conversation().read(discord_message(content="night"), bots_result("r.png")).words == "night"  # a DM


def test_another_members_message_without_attachments_is_one_the_bot_cannot_see():
    hidden = member_message(id=55, author=SimpleNamespace(id=OTHER, bot=False))
    reply = replying_to(hidden, content=f"<@{ME}> darker", mentions=[BOT_USER])
    with pytest.raises(InvalidRequest) as refused:
        conversation().read(reply, hidden)
    assert refused.value.message == CANNOT_SEE
    with pytest.raises(InvalidRequest, match="has no image"):
        conversation(message_content=True).read(reply, hidden)  # with the intent it is whole: no image
    with pytest.raises(InvalidRequest, match="has no image"):
        conversation().read(reply, bots_result())  # the bot's own message is always whole


@pytest.mark.parametrize(("guild", "says"), [(GUILD, "Attach an image to your message"), (None, "Send me an image")])
def test_nothing_to_edit_says_what_works_in_a_guild_and_in_dms(guild, says):
    message = discord_message(guild=guild, content=f"<@{ME}> darker", mentions=[BOT_USER])
    with pytest.raises(InvalidRequest, match=says):
        conversation().read(message, None)


def test_an_index_past_the_images_is_refused_with_their_count():
    reply = replying_to(None, content=f"<@{ME}> #3 darker", mentions=[BOT_USER])
    with pytest.raises(InvalidRequest, match="only 2 images"):
        conversation().read(reply, bots_result("a.png", "b.png"))
