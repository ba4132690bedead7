"""Saved references (/references): images a member keeps for themselves, or a server's moderators
keep for every member there, that /imagine then uses as edit inputs to keep one character or one
look across many pictures.

A reference is screened when saved (when screening is on: the input screening an edit gets, never
relaxed, since a reference outlives the channel it was saved in), fitted as an edit's input is to
the smallest input limit of the models that take several inputs, and stored once in the database,
so that every process reads it when a job that names it by id runs. Saving one is no image
request: it costs nothing and takes no daily image. A server's added or removed is logged as a
settings change ("reference"). A member keeps at most `max_per_member`; a
server, `max_per_guild`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ReferenceScope
from bot.db.policy import log_change
from bot.db.references import (
    ReferenceEntry,
    add_reference,
    count_references,
    reference_image,
    reference_named,
    remove_reference,
    usable_references,
)
from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest
from bot.flow.screening import Screener
from bot.flow.sources import SavedReference, SourceImage
from bot.i18n import _
from bot.imaging import ImageDataError, prepare_edit
from bot.threads import BoundedThreads

MAX_NAME_CHARS = 32
MAX_PER_REQUEST = 3  # the references one /imagine takes


@dataclass(frozen=True)
class ReferenceLimits:
    """How many references a server and a member may keep, and the most bytes each image may be
    (the smallest input limit of the models that take several inputs)."""

    max_per_guild: int
    max_per_member: int
    max_bytes: int


def reference_name(name: str) -> str:
    """A reference's name as stored and matched: lower case, single spaces; a clear refusal when
    it is empty, too long, or holds characters that are not text."""
    key = " ".join(name.split()).casefold()
    if not key or len(key) > MAX_NAME_CHARS or not key.isprintable():
        raise InvalidRequest(_("A reference's name is 1 to {limit} letters, digits or spaces.", limit=MAX_NAME_CHARS))
    return key


def shown(name: str) -> str:
    """A name as a message shows it: bold, its markdown escaped."""
    return f"**{discord.utils.escape_markdown(name)}**"


class References:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        downloads: AttachmentDownloader,
        threads: BoundedThreads,
        screener: Screener | None,
        limits: ReferenceLimits,
    ) -> None:
        """`screener` screens an image before it is saved (None: screening is off)."""
        self._sessions = sessions
        self._downloads = downloads
        self._threads = threads
        self._screener = screener
        self.limits = limits

    @staticmethod
    def _owner(scope: ReferenceScope, guild_id: int | None, user_id: int) -> int:
        if scope == ReferenceScope.SERVER:
            if guild_id is None:
                raise InvalidRequest(_("Only a server keeps server references. Save it for yourself here."))
            return guild_id
        return user_id

    async def save(
        self, *, scope: ReferenceScope, guild_id: int | None, user_id: int, name: str, image: SourceImage
    ) -> str:
        """Save `image` as the reference `name` of the server (`scope` server: the caller checked
        that the member may) or of the member; returns the name as saved. Refused, before the
        image is read, when the name is taken or the owner keeps as many as allowed."""
        key = reference_name(name)
        owner_id = self._owner(scope, guild_id, user_id)
        async with self._sessions() as session:
            await self._check_room(session, scope, owner_id, key)
        data = await self._downloads.fetch(image.url, declared_size=image.size)
        try:
            fitted = await self._threads.run(
                prepare_edit, data, None, square_png=False, max_bytes=self.limits.max_bytes, use_own_alpha=False
            )
        except ImageDataError as exc:
            raise InvalidRequest(_("That image can't be used: {reason}.", reason=exc.reason)) from None
        if self._screener is not None:
            await self._screener.check_inputs(None, [fitted.image.data], relaxed=False)
        async with self._sessions() as session:
            await self._check_room(session, scope, owner_id, key)  # again: another save may have come between
            add_reference(
                session,
                scope=scope,
                owner_id=owner_id,
                name=key,
                data=fitted.image.data,
                width=fitted.image.width,
                height=fitted.image.height,
                created_by=user_id,
            )
            if scope == ReferenceScope.SERVER:
                log_change(session, owner_id, user_id, "reference", None, key)  # a moderator's change
            try:
                await session.commit()
            except IntegrityError:
                raise self._taken(scope, key) from None
        return key

    async def _check_room(self, session: AsyncSession, scope: ReferenceScope, owner_id: int, key: str) -> None:
        if await reference_named(session, scope, owner_id, key) is not None:
            raise self._taken(scope, key)
        if scope == ReferenceScope.SERVER:
            if await count_references(session, scope, owner_id) >= self.limits.max_per_guild:
                raise InvalidRequest(
                    _(
                        "This server keeps {limit} references already; remove one first.",
                        limit=self.limits.max_per_guild,
                    )
                )
        elif await count_references(session, scope, owner_id) >= self.limits.max_per_member:
            raise InvalidRequest(
                _("You keep {limit} references already; remove one first.", limit=self.limits.max_per_member)
            )

    @staticmethod
    def _taken(scope: ReferenceScope, key: str) -> InvalidRequest:
        if scope == ReferenceScope.SERVER:
            return InvalidRequest(
                _("This server has a reference called {name} already; pick another name.", name=shown(key))
            )
        return InvalidRequest(_("You have a reference called {name} already; pick another name.", name=shown(key)))

    async def remove(self, *, scope: ReferenceScope, guild_id: int | None, user_id: int, name: str) -> str:
        """Remove the reference `name` of the server (the caller checked that the member may) or
        of the member; returns its name, or refuses when there is none."""
        key = reference_name(name)
        async with self._sessions() as session:
            owner_id = self._owner(scope, guild_id, user_id)
            removed = await remove_reference(session, scope, owner_id, key)
            if removed and scope == ReferenceScope.SERVER:
                log_change(session, owner_id, user_id, "reference", key, None)
            await session.commit()
        if not removed:
            raise self._unknown(key)
        return key

    @staticmethod
    def _unknown(key: str) -> InvalidRequest:
        return InvalidRequest(_("There is no reference called {name}. See /references list.", name=shown(key)))

    async def usable(self, guild_id: int | None, user_id: int) -> list[ReferenceEntry]:
        """The member's own references, then the server's (in a server)."""
        async with self._sessions() as session:
            return await usable_references(session, guild_id, user_id)

    async def resolve(self, guild_id: int | None, user_id: int, names: Sequence[str]) -> list[SavedReference]:
        """The references `names` name, each the member's own if they have one by that name, else
        the server's; a clear refusal for a name there is none of, or one named twice."""
        entries = await self.usable(guild_id, user_id)
        found: list[SavedReference] = []
        for name in names:
            key = reference_name(name)
            entry = next((entry for entry in entries if entry.name == key), None)  # their own sort first
            if entry is None:
                raise self._unknown(key)
            if SavedReference(entry.id) in found:
                raise InvalidRequest(_("You named the reference {name} twice.", name=shown(key)))
            found.append(SavedReference(entry.id))
        return found

    async def image(self, reference: SavedReference) -> bytes:
        """The saved image of `reference`, or a clear refusal when it was removed since the job was queued."""
        async with self._sessions() as session:
            data = await reference_image(session, reference.reference_id)
        if data is None:
            raise InvalidRequest(_("A reference this request uses was removed. Run /imagine again."))
        return data
