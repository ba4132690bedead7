"""Saved references: names checked, the room checked before the image is read, the image fitted
and screened (never relaxed) before it is kept, a server's changes logged; resolving names, the
member's own first; a removed one refused when a job reads it."""

import pytest
from PIL import Image
from sqlalchemy import select

from bot.db.models import ReferenceScope, SettingsChange
from bot.errors import Flagged, InvalidRequest
from bot.flow.references import ReferenceLimits, References, reference_name, shown
from bot.flow.screening import Screener
from bot.flow.sources import SavedReference, SourceImage
from bot.threads import BoundedThreads
from tests.helpers import decode, encode, uploaded

GUILD, MEMBER, OTHER = 10, 30, 31
SERVER, OWN = ReferenceScope.SERVER, ReferenceScope.MEMBER
RED = (255, 0, 0)


def references(sessions, downloads, screener=None, *, per_guild=3, per_member=2, max_bytes=4 * 2**20) -> References:
    limits = ReferenceLimits(max_per_guild=per_guild, max_per_member=per_member, max_bytes=max_bytes)
    return References(
        sessions=sessions, downloads=downloads, threads=BoundedThreads(2), screener=screener, limits=limits
    )


def photo(colour=(40, 120, 160), size=(300, 200)) -> bytes:
    return encode(Image.new("RGB", size, colour))


async def logged(sessions) -> list[tuple[int, int, str | None, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(SettingsChange).order_by(SettingsChange.id))
        return [(row.guild_id, row.user_id, row.old_value, row.new_value) for row in rows if row.setting == "reference"]


@pytest.mark.parametrize(("name", "key"), [("  My   Hero ", "my hero"), ("ÉCOLE", "école"), ("x" * 32, "x" * 32)])
def test_a_name_is_kept_folded_with_single_spaces(name, key):
    assert reference_name(name) == key


@pytest.mark.parametrize("name", ["", "   ", "x" * 33, "tab\u200bbed", "bell\x07"])
def test_an_empty_overlong_or_unprintable_name_is_refused(name):
    with pytest.raises(InvalidRequest, match="1 to 32"):
        reference_name(name)


def test_a_name_is_shown_bold_with_its_markdown_escaped():
    assert shown("a_b*c") == "**a\\_b\\*c**"


async def test_a_saved_image_is_fitted_and_read_back_by_its_id(sessions, downloads, discord_api):
    kept = references(sessions, downloads)
    assert (
        await kept.save(scope=OWN, guild_id=None, user_id=MEMBER, name="Hero", image=uploaded(discord_api, photo()))
        == "hero"
    )
    [entry] = await kept.usable(None, MEMBER)
    assert (entry.name, entry.scope, entry.width, entry.height) == ("hero", "member", 300, 200)
    stored = decode(await kept.image(SavedReference(entry.id)))
    assert (stored.format, stored.size) == ("PNG", (300, 200))
    assert await logged(sessions) == []  # a member's own: no settings change


async def test_a_servers_reference_is_logged_when_added_and_removed(sessions, downloads, discord_api):
    kept = references(sessions, downloads)
    await kept.save(scope=SERVER, guild_id=GUILD, user_id=MEMBER, name="logo", image=uploaded(discord_api, photo()))
    assert await kept.remove(scope=SERVER, guild_id=GUILD, user_id=OTHER, name="LOGO") == "logo"
    assert await logged(sessions) == [(GUILD, MEMBER, None, "logo"), (GUILD, OTHER, "logo", None)]
    with pytest.raises(InvalidRequest, match="no reference called"):
        await kept.remove(scope=SERVER, guild_id=GUILD, user_id=OTHER, name="logo")
    with pytest.raises(InvalidRequest, match="Only a server"):
        await kept.save(scope=SERVER, guild_id=None, user_id=MEMBER, name="x", image=uploaded(discord_api, photo()))


async def test_a_taken_name_or_a_full_owner_is_refused_before_the_image_is_read(sessions, downloads, discord_api):
    kept = references(sessions, downloads, per_member=2, per_guild=1)
    for name in ("a", "b"):
        await kept.save(scope=OWN, guild_id=GUILD, user_id=MEMBER, name=name, image=uploaded(discord_api, photo()))
    gone = SourceImage(f"{discord_api.base_url}/attachments/1/2/gone.png", 10, "gone.png")  # never fetched
    with pytest.raises(InvalidRequest, match="You have a reference called \\*\\*a\\*\\* already"):
        await kept.save(scope=OWN, guild_id=GUILD, user_id=MEMBER, name="A", image=gone)
    with pytest.raises(InvalidRequest, match="You keep 2 references already"):
        await kept.save(scope=OWN, guild_id=GUILD, user_id=MEMBER, name="c", image=gone)
    await kept.save(scope=SERVER, guild_id=GUILD, user_id=MEMBER, name="a", image=uploaded(discord_api, photo()))
    with pytest.raises(InvalidRequest, match="This server keeps 1 references already"):
        await kept.save(scope=SERVER, guild_id=GUILD, user_id=MEMBER, name="z", image=gone)
    with pytest.raises(InvalidRequest, match="This server has a reference called"):
        await kept.save(scope=SERVER, guild_id=GUILD, user_id=MEMBER, name="a", image=gone)


async def test_an_unusable_image_is_refused_and_nothing_is_kept(sessions, downloads, discord_api):
    kept = references(sessions, downloads)
    with pytest.raises(InvalidRequest, match="can't be used"):
        await kept.save(
            scope=OWN, guild_id=None, user_id=MEMBER, name="junk", image=uploaded(discord_api, b"not an image")
        )
    assert await kept.usable(None, MEMBER) == []


async def test_a_flagged_image_is_never_kept_even_where_screening_is_relaxed(
    sessions, downloads, discord_api, images_api, moderation
):
    images_api.moderation.colours.append((RED, ("sexual",)))
    screener = Screener(moderation, categories=(), threads=BoundedThreads(2), check_results=False)
    kept = references(sessions, downloads, screener)
    with pytest.raises(Flagged):
        await kept.save(scope=OWN, guild_id=None, user_id=MEMBER, name="red", image=uploaded(discord_api, photo(RED)))
    assert await kept.usable(None, MEMBER) == []
    await kept.save(scope=OWN, guild_id=None, user_id=MEMBER, name="blue", image=uploaded(discord_api, photo()))
    assert [entry.name for entry in await kept.usable(None, MEMBER)] == ["blue"]


async def test_names_resolve_to_the_members_own_first_then_the_servers(sessions, downloads, discord_api):
    kept = references(sessions, downloads)
    for scope, owner, name in [(SERVER, GUILD, "hero"), (SERVER, GUILD, "castle"), (OWN, MEMBER, "hero")]:
        await kept.save(
            scope=scope,
            guild_id=GUILD,
            user_id=owner if scope == OWN else MEMBER,
            name=name,
            image=uploaded(discord_api, photo()),
        )
    entries = {(entry.scope, entry.name): entry.id for entry in await kept.usable(GUILD, MEMBER)}
    assert list(entries) == [("member", "hero"), ("server", "castle"), ("server", "hero")]
    assert await kept.resolve(GUILD, MEMBER, ["Hero", "castle"]) == [
        SavedReference(entries["member", "hero"]),
        SavedReference(entries["server", "castle"]),
    ]
    assert await kept.resolve(GUILD, OTHER, ["hero"]) == [SavedReference(entries["server", "hero"])]
    with pytest.raises(InvalidRequest, match="no reference called \\*\\*castle\\*\\*"):
        await kept.resolve(None, MEMBER, ["castle"])  # outside the server: only their own
    with pytest.raises(InvalidRequest, match="named the reference \\*\\*hero\\*\\* twice"):
        await kept.resolve(GUILD, MEMBER, ["hero", "HERO"])


async def test_a_reference_removed_after_a_job_was_queued_is_refused_when_read(sessions, downloads, discord_api):
    kept = references(sessions, downloads)
    await kept.save(scope=OWN, guild_id=None, user_id=MEMBER, name="gone", image=uploaded(discord_api, photo()))
    [saved] = await kept.resolve(None, MEMBER, ["gone"])
    await kept.remove(scope=OWN, guild_id=None, user_id=MEMBER, name="gone")
    with pytest.raises(InvalidRequest, match="was removed"):
        await kept.image(saved)
