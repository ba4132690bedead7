"""The painting page's links: offered to a member for one image, opened in a browser, and sent
back with a mask (or, for a model that takes markup, notes drawn on the image) and a prompt,
which becomes an edit like any other.

A link is `{public_url}/paint/{token}`. The token is signed (bot/signing.py, under
`security.secret_key`) and names a ticket in the database, which binds it to the member, the
guild and the image; it lives as long as the interaction that offered it (15 minutes) and is
used once, by a conditional update that any process may make. The image reaches the page only
through its token.

A send is an edit with the bot's default model (`images.model`), as it is when it arrives: the
page offers its Notes mode when that model takes markup as the page opens, and a markup sent is
checked against the model again when it is queued.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.usage import UsageLog, guild_scope, reachable_channel
from bot.clock import Clock, aware, utcnow
from bot.db.models import PaintTicket, UsageRecord, UsageStatus
from bot.db.painting import claim_ticket, get_ticket
from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest
from bot.flow.admission import Admission, check
from bot.flow.catalog import ModelCatalog
from bot.flow.failures import Failures
from bot.flow.job_params import EditParams
from bot.flow.origin import Origin
from bot.flow.sources import SourceImage
from bot.i18n import Text, _
from bot.images import control_character_problem
from bot.imaging import ImageDataError, describe, page_copy
from bot.signing import Signer
from bot.threads import BoundedThreads

LINK_LIFETIME = timedelta(minutes=15)  # the interaction's: its answer is where the result goes
MAX_PROMPT_CHARS = 4000
PAGE_IMAGES_BYTES = 64 * 2**20  # the page copies kept at once, in all


class PaintRefused(Exception):
    """Why a link or a send was refused: the HTTP status and what the page says."""

    def __init__(self, status: int, message: Text, locale: str = "en-US") -> None:
        super().__init__(message.message)
        self.status, self.message, self.locale = status, message, locale


@dataclass(frozen=True)
class Drawing:
    """What the page sends beside the prompt, as a PNG the size of the page's image: a `mask`
    (transparent where the member painted) or a `markup` (notes drawn on a transparent overlay)."""

    kind: Literal["mask", "markup"]
    png: bytes


def _image_key(source: dict) -> str:
    return hashlib.sha256(str(source.get("url")).encode()).hexdigest()[:16]


def paint_record(ticket: PaintTicket, model: str, prompt: str) -> UsageRecord:
    """The usage row of an edit sent from the painting page."""
    return UsageRecord(
        guild_id=ticket.guild_id,
        channel_id=ticket.channel_id,
        user_id=ticket.user_id,
        command="edit",
        model=model,
        n=1,
        prompt=prompt,
        status=UsageStatus.PENDING,
        image_count=0,
        via="paint",
        created_at=utcnow(),
    )


class PaintedEdits:
    """An edit sent from the painting page, queued like any other. Its answer is a follow-up
    through the interaction that offered the link, or, once that is gone, a channel message."""

    def __init__(self, *, catalog: ModelCatalog, admission: Admission, usage: UsageLog, failures: Failures) -> None:
        self._catalog = catalog
        self._admission = admission
        self._usage = usage
        self._failures = failures

    def takes_markup(self) -> bool:
        """Whether the model a send is made with (the default, as `queue` resolves it) takes markup."""
        return self._catalog.get(self._catalog.default).markup_problem() is None

    async def queue(self, ticket: PaintTicket, prompt: str, drawing: Drawing) -> Text | None:
        """The `drawing` (a mask or a markup) over the ticket's image. Returns None once queued,
        or what the page tells the member (the row is finished either way)."""
        spec = self._catalog.resolve(None)
        record = paint_record(ticket, spec.name, prompt)
        await self._usage.save(record)
        try:
            self._admission.check_accepting()
            check(spec.edit_problem(masked=drawing.kind == "mask", markup=drawing.kind == "markup"))
            check(spec.prompt_problem(prompt))
            params = EditParams(
                model=spec.name,
                n=1,
                prompt=prompt,
                image=SourceImage(**ticket.source),
                mask_png=drawing.png if drawing.kind == "mask" else None,
                markup_png=drawing.png if drawing.kind == "markup" else None,
            )
            await self._admission.enqueue(record, spec, params, Origin.of_ticket(ticket))
        except Exception as exc:
            failure = await self._failures.record(record, exc, what=f"a painted edit for user {ticket.user_id}")
            return failure.message
        return None


class PageImages:
    """The page's copy of each link's image (bot/imaging.page_copy), made once per link however
    often the page or a script asks (asks that come together share one making), and kept while the
    link lives, within `budget_bytes` in all (the oldest go first). They are made on `threads`, a
    pool of the page's own, so that no link holder can hold up the jobs' image work."""

    def __init__(
        self, *, downloads: AttachmentDownloader, threads: BoundedThreads, clock: Clock, budget_bytes: int
    ) -> None:
        self._downloads = downloads
        self._threads = threads
        self._clock = clock
        self._budget = budget_bytes
        self._made: OrderedDict[str, tuple[datetime, asyncio.Future[bytes]]] = OrderedDict()

    async def of(self, ticket: PaintTicket) -> bytes:
        self._forget(self._clock.now())
        entry = self._made.get(ticket.nonce)
        if entry is None:
            making = asyncio.ensure_future(self._make(SourceImage(**ticket.source), ticket.locale))
            making.add_done_callback(lambda done: done.cancelled() or done.exception())  # awaited or not
            entry = self._made[ticket.nonce] = (aware(ticket.created_at) + LINK_LIFETIME, making)
        try:
            data = await asyncio.shield(entry[1])
        except Exception:
            if self._made.get(ticket.nonce) is entry:
                del self._made[ticket.nonce]  # the next ask tries again (the link's own rate bounds it)
            raise
        self._keep_within_budget()
        return data

    async def _make(self, source: SourceImage, locale: str) -> bytes:
        try:
            data = await self._downloads.fetch(source.url, declared_size=source.size)
        except InvalidRequest as exc:
            raise PaintRefused(410, exc.message, locale) from None
        try:
            return await self._threads.run(page_copy, data)
        except ImageDataError as exc:
            raise PaintRefused(422, _("That image can't be used: {reason}.", reason=exc.reason), locale) from None

    def _forget(self, now: datetime) -> None:
        for nonce, (until, _making) in list(self._made.items()):
            if until <= now:
                del self._made[nonce]

    def _keep_within_budget(self) -> None:
        made = [(nonce, len(making.result())) for nonce, (_until, making) in self._made.items() if _kept(making)]
        total = sum(size for _nonce, size in made)
        for nonce, size in made:  # oldest first
            if total <= self._budget:
                break
            del self._made[nonce]
            total -= size


def _kept(making: asyncio.Future[bytes]) -> bool:
    return making.done() and not making.cancelled() and making.exception() is None


class Painting:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        edits: PaintedEdits,
        images: PageImages,
        threads: BoundedThreads,
        clock: Clock,
        public_url: str,
        secret_key: str,
    ) -> None:
        """`threads` check the masks sent; `images` makes the page's copies on threads of its own."""
        self._sessions = sessions
        self._edits = edits
        self._images = images
        self._threads = threads
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._signer = Signer(secret_key, "paint")

    async def offer(self, interaction: discord.Interaction, source: SourceImage, locale: str) -> str:
        """A new link for the member of `interaction` to paint the area of `source`."""
        assert interaction.token is not None
        ticket = PaintTicket(
            nonce=secrets.token_hex(16),
            user_id=interaction.user.id,
            guild_id=guild_scope(interaction),
            channel_id=reachable_channel(interaction),
            application_id=interaction.application_id,
            interaction_token=interaction.token,
            interaction_at=interaction.created_at,
            attachment_limit=interaction.filesize_limit,
            locale=locale,
            source=asdict(source),
            roles=[role.id for role in getattr(interaction.user, "roles", [])],
            created_at=self._clock.now(),
        )
        async with self._sessions() as session:
            session.add(ticket)
            await session.commit()
        token = self._signer.sign(
            {"n": ticket.nonce, "u": ticket.user_id, "g": ticket.guild_id or 0, "i": _image_key(ticket.source)}
        )
        return f"{self._public_url}/paint/{token}"

    def link_of(self, token: str) -> str | None:
        """The ticket a validly signed token names (its nonce), without asking the database; None
        for anything this bot did not sign."""
        payload = self._signer.unsign(token)
        return str(payload.get("n")) if payload else None

    async def ticket(self, token: str) -> PaintTicket:
        """The link's ticket, or PaintRefused: 403 for a changed or expired link, 410 for a used one."""
        payload = self._signer.unsign(token)
        async with self._sessions() as session:
            ticket = await get_ticket(session, str(payload.get("n"))) if payload else None
        if ticket is None or payload is None or not self._binds(payload, ticket):
            raise PaintRefused(403, _("This link is not valid. Ask for a new one with /edit."))
        if ticket.used_at is not None:
            raise PaintRefused(410, _("This link was used already. Ask for a new one with /edit."), ticket.locale)
        if aware(ticket.created_at) + LINK_LIFETIME <= self._clock.now():
            raise PaintRefused(403, _("This link has expired. Ask for a new one with /edit."), ticket.locale)
        return ticket

    @staticmethod
    def _binds(payload: dict, ticket: PaintTicket) -> bool:
        return (
            payload.get("u") == ticket.user_id
            and payload.get("g") == (ticket.guild_id or 0)
            and payload.get("i") == _image_key(ticket.source)
        )

    def takes_markup(self) -> bool:
        """Whether the page offers its Notes mode: the model sends are made with takes markup."""
        return self._edits.takes_markup()

    async def image(self, ticket: PaintTicket) -> bytes:
        """The image to paint on, as a PNG (orientation applied), fetched once from Discord's CDN."""
        return await self._images.of(ticket)

    async def send(self, ticket: PaintTicket, prompt: str, drawing: Drawing) -> None:
        """The page's Send on a ticket `ticket()` gave: the drawing (mask or markup) and prompt
        checked, the link used up (unless another send used it first), and the edit queued."""
        prompt = prompt.strip()
        if not prompt or len(prompt) > MAX_PROMPT_CHARS:
            raise PaintRefused(
                400, _("Write what should change, up to {limit} characters.", limit=MAX_PROMPT_CHARS), ticket.locale
            )
        if (problem := control_character_problem(prompt)) is not None:
            raise PaintRefused(400, problem, ticket.locale)
        try:
            shape = await self._threads.run(describe, drawing.png)
        except ImageDataError:
            shape = None
        if shape is None or shape.extension != "png":
            refusal = _("The markup must be a PNG image.") if drawing.kind == "markup" else None
            raise PaintRefused(400, refusal or _("The mask must be a PNG image."), ticket.locale)
        async with self._sessions() as session:
            claimed = await claim_ticket(session, ticket.nonce, self._clock.now())
            await session.commit()
        if not claimed:
            raise PaintRefused(410, _("This link was used already. Ask for a new one with /edit."), ticket.locale)
        refused = await self._edits.queue(ticket, prompt, drawing)
        if refused is not None:
            raise PaintRefused(400, refused, ticket.locale)
