"""Saved references' queries: what a member may use (their own and their guild's, never another
member's or guild's), counts, names unique per owner, removal, the image by id, /forget-me."""

import pytest
from sqlalchemy.exc import IntegrityError

from bot.db.models import Reference, ReferenceScope
from bot.db.references import (
    add_reference,
    count_references,
    forget_member_references,
    reference_image,
    reference_named,
    remove_reference,
    usable_references,
)

GUILD, OTHER_GUILD, MEMBER, OTHER_MEMBER = 10, 11, 20, 21
SERVER, OWN = ReferenceScope.SERVER, ReferenceScope.MEMBER


async def saved(sessions, *references: tuple[ReferenceScope, int, str, int]) -> list[int]:
    async with sessions() as session:
        rows = [
            add_reference(
                session,
                scope=scope,
                owner_id=owner,
                name=name,
                data=name.encode(),
                width=8,
                height=8,
                created_by=by,
            )
            for scope, owner, name, by in references
        ]
        await session.commit()
        return [row.id for row in rows]


async def test_a_member_may_use_their_own_then_their_guilds(sessions):
    await saved(
        sessions,
        (SERVER, GUILD, "logo", MEMBER),
        (OWN, MEMBER, "cat", MEMBER),
        (OWN, OTHER_MEMBER, "dog", OTHER_MEMBER),
        (SERVER, OTHER_GUILD, "flag", OTHER_MEMBER),
    )
    async with sessions() as session:
        in_guild = await usable_references(session, GUILD, MEMBER)
        in_dms = await usable_references(session, None, MEMBER)
        other = await usable_references(session, OTHER_GUILD, OTHER_MEMBER)
    assert [(entry.scope, entry.name) for entry in in_guild] == [("member", "cat"), ("server", "logo")]
    assert [entry.name for entry in in_dms] == ["cat"]
    assert [entry.name for entry in other] == ["dog", "flag"]


async def test_counts_and_names_are_per_owner(sessions):
    await saved(sessions, (SERVER, GUILD, "logo", MEMBER), (OWN, MEMBER, "logo", MEMBER), (OWN, MEMBER, "b", MEMBER))
    async with sessions() as session:
        assert await count_references(session, SERVER, GUILD) == 1
        assert await count_references(session, OWN, MEMBER) == 2
        assert await count_references(session, OWN, GUILD) == 0
        found = await reference_named(session, OWN, MEMBER, "logo")
        assert found is not None and found.scope == "member"
        assert await reference_named(session, OWN, OTHER_MEMBER, "logo") is None
    with pytest.raises(IntegrityError):
        await saved(sessions, (SERVER, GUILD, "logo", OTHER_MEMBER))


async def test_removal_and_the_image_by_id(sessions):
    [logo, cat] = await saved(sessions, (SERVER, GUILD, "logo", MEMBER), (OWN, MEMBER, "cat", MEMBER))
    async with sessions() as session:
        assert await reference_image(session, cat) == b"cat"
        assert not await remove_reference(session, OWN, OTHER_MEMBER, "cat")  # not theirs
        assert await remove_reference(session, OWN, MEMBER, "cat")
        await session.commit()
    async with sessions() as session:
        assert await reference_image(session, cat) is None
        assert await reference_image(session, logo) == b"logo"


async def test_forgetting_a_member_removes_their_own_and_their_name_from_their_guilds(sessions):
    [logo, _, dog] = await saved(
        sessions,
        (SERVER, GUILD, "logo", MEMBER),
        (OWN, MEMBER, "cat", MEMBER),
        (OWN, OTHER_MEMBER, "dog", OTHER_MEMBER),
    )
    async with sessions() as session:
        assert await forget_member_references(session, MEMBER) == 1
        await session.commit()
    async with sessions() as session:
        assert [entry.name for entry in await usable_references(session, GUILD, MEMBER)] == ["logo"]
        assert await reference_image(session, dog) == b"dog"
        assert await reference_image(session, logo) == b"logo"
        assert (await usable_references(session, None, MEMBER)) == []
        assert (await session.get(Reference, logo)).created_by == 0
        assert (await session.get(Reference, dog)).created_by == OTHER_MEMBER
