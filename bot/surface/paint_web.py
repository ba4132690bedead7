"""The painting page's server, when `[web]` is set: `GET /paint/{token}` (the page),
`GET /paint/{token}/image` (the image, only through its token), `POST /paint/{token}` (a prompt
and either a `mask` or a `markup`, as `multipart/form-data`, from the page or a script), and the
page's script and style under `/paint/static/`. Nothing else is served. The page has a Notes mode
(a pen in a few colours, an arrow and a text tool, whose drawings are sent as `markup`) when the
model a send is made with takes markup (see bot/flow/painting.py).

The page faces the internet, so who asks is checked before anything they send is read: a send's
link is checked (its signature, then its ticket) before its body, at most `web.max_open_sends`
bodies are read at once (one a link), each within `web.body_timeout_seconds`, and up to
`web.max_body_mb`. Requests that carry a validly signed link are counted per link; all others
per client address (from `X-Forwarded-For` only when the connection comes from one of
`web.trusted_proxies`), so strangers never spend a member's budget. Every answer, a fault's
included, carries strict headers: a Content-Security-Policy with no inline script and
`frame-ancestors 'none'`, `nosniff`, no referrer and no caching. A changed or expired link gets
403, a used one 410, malformed input 400, each with a page that says so. The page is plain HTML,
CSS and JavaScript, no build step, in the member's Discord language.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import ipaddress
import json
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from importlib import resources

import discord
from aiohttp import BodyPartReader, web

from bot.clock import Clock
from bot.flow.locales import Locales
from bot.flow.painting import MAX_PROMPT_CHARS, Drawing, Painting, PaintRefused
from bot.flow.sources import SourceImage
from bot.i18n import Text, _

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
STATIC = {"paint.js": "text/javascript", "paint.css": "text/css"}
TOKEN_PATTERN = "{token:[A-Za-z0-9_.=-]{1,512}}"
MASK_FIELD_BYTES_SLACK = 64 * 1024  # the prompt and the form's own framing, beside the mask (or markup)
DRAWINGS = ("mask", "markup")  # a send carries exactly one of them


def _static(name: str) -> bytes:
    """A file of bot/web/, read once when the server is made (never on the event loop per request)."""
    return resources.files("bot").joinpath("web", name).read_bytes()


class RateLimit:
    """At most `per_minute` requests a minute for one key (a sliding window), for at most
    `max_keys` keys at once: past that, a new key is refused until quiet ones are forgotten (at
    most once a second), so that no flood of addresses can grow the table or its upkeep."""

    def __init__(self, clock: Clock, per_minute: int, *, max_keys: int = 10_000) -> None:
        self._clock = clock
        self._per_minute = per_minute
        self._max_keys = max_keys
        self._seen: dict[str, deque[float]] = {}
        self._forgot_at = float("-inf")

    def allow(self, key: str) -> bool:
        now = self._clock.monotonic()
        times = self._seen.get(key)
        if times is None:
            if len(self._seen) >= self._max_keys and now - self._forgot_at >= 1:
                self._forgot_at = now
                self._seen = {known: seen for known, seen in self._seen.items() if seen and seen[-1] > now - 60}
            if len(self._seen) >= self._max_keys:
                return False
            times = self._seen[key] = deque()
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self._per_minute:
            return False
        times.append(now)
        return True


class ClientAddress:
    """The address of the browser behind a request: the connection's own, or, when that is one of
    the trusted proxies, the nearest `X-Forwarded-For` hop that is not (each proxy appends the
    address it was reached from, so hops a client wrote itself stand further left, never read)."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted = tuple(ipaddress.ip_network(network, strict=False) for network in trusted_proxies)

    def _trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip.version == network.version and ip in network for network in self._trusted)

    def __call__(self, request: web.BaseRequest) -> str:
        """The client's address, an IPv6 one as its /64 (one host holds a whole /64)."""
        return client_key(self._address(request))

    def _address(self, request: web.BaseRequest) -> str:
        remote = request.remote or "?"
        if not self._trusts(remote):
            return remote
        hops = [hop.strip() for line in request.headers.getall("X-Forwarded-For", ()) for hop in line.split(",")]
        for hop in reversed(hops):
            try:
                address = str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return remote  # no proxy of ours wrote that: nothing left of it is believed
            if not self._trusts(address):
                return address
        return remote


def client_key(address: str) -> str:
    """What the rate limit counts a client by: its IPv4 address, or its IPv6 /64 (one host is
    given a whole /64, so each address in it is the same client)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else ip)


class OpenSends:
    """Sends whose bodies are being read: at most `limit` at once, and one a link."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._links: set[str] = set()

    def __len__(self) -> int:
        return len(self._links)

    @contextlib.contextmanager
    def hold(self, link: str, locale: str) -> Iterator[None]:
        if link in self._links:
            raise PaintRefused(429, _("This link is already sending. Wait for it to finish."), locale)
        if len(self._links) >= self._limit:
            raise PaintRefused(503, _("The page is busy. Try again in a minute."), locale)
        self._links.add(link)
        try:
            yield
        finally:
            self._links.discard(link)


def page(locale: str, title: Text, body: str, *, status: int = 200) -> web.Response:
    lang = html.escape(locale)
    document = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title.render(locale))}</title>"
        '<link rel="stylesheet" href="./static/paint.css"></head>'
        f"<body>{body}</body></html>"
    )
    return web.Response(status=status, text=document, content_type="text/html", charset="utf-8")


def refusal(locale: str, refused: PaintRefused) -> web.Response:
    text = html.escape(refused.message.render(locale))
    return page(locale, _("Paint the area"), f'<main class="note"><p>{text}</p></main>', status=refused.status)


PAGE_TEXT = {
    "title": _("Paint the area to change"),
    "brush": _("Brush"),
    "eraser": _("Eraser"),
    "size": _("Size"),
    "undo": _("Undo"),
    "redo": _("Redo"),
    "invert": _("Invert"),
    "clear": _("Clear"),
    "zoom-out": _("Zoom out"),
    "zoom-fit": _("Fit"),
    "zoom-in": _("Zoom in"),
    "image": _("The image to edit"),
    "prompt": _("What should change?"),
    "send": _("Send"),
}
NOTES_TEXT = {
    "title": _("Paint the area to change, or draw notes on the image"),
    "modes": _("What to draw"),
    "mode-mask": _("Area"),
    "mode-notes": _("Notes"),
    "pen": _("Pen"),
    "arrow": _("Arrow"),
    "text": _("Text"),
    "pen-size": _("Pen size"),
    "note-text": _("Note"),
    "note-placeholder": _("Type, then click on the image"),
    "colours": _("Colour"),
}
PEN_COLOURS = {"#ff3b30": _("Red"), "#ffd60a": _("Yellow"), "#0a84ff": _("Blue"), "#ffffff": _("White")}
SCRIPT_TEXT = {
    "nothing": _("Paint the area to change first."),
    "nothing-notes": _("Paint the area to change, or draw notes, first."),
    "both": _("Send either the painted area or the notes: clear one of them."),
    "no-note": _("Type the note first, then click where it goes."),
    "sending": _("Sending…"),
    "failed": _("Sending failed. Try again."),
}


def _note_tools(locale: str) -> tuple[str, str]:
    """The Notes mode's switch (Area or Notes) and its tools: a pen in a few colours, an arrow and
    a text tool, the pen's size and the note's words."""
    text = {key: html.escape(value.render(locale)) for key, value in NOTES_TEXT.items()}
    modes = (
        f'<div id="modes" role="group" aria-label="{text["modes"]}">'
        f'<button type="button" id="mode-mask" aria-pressed="true">{text["mode-mask"]}</button>'
        f'<button type="button" id="mode-notes" aria-pressed="false">{text["mode-notes"]}</button></div>'
    )
    swatches = "".join(
        f'<button type="button" class="swatch" data-colour="{colour}" aria-label="{html.escape(name.render(locale))}"'
        f' aria-pressed="{str(index == 0).lower()}"></button>'
        for index, (colour, name) in enumerate(PEN_COLOURS.items())
    )
    tools = "".join(
        [
            '<span id="note-tools" class="group" hidden>',
            *(
                f'<button type="button" id="{key}" aria-pressed="{str(key == "pen").lower()}">{text[key]}</button>'
                for key in ("pen", "arrow", "text")
            ),
            f'<span class="swatches" role="group" aria-label="{text["colours"]}">{swatches}</span>',
            f'<label class="size">{text["pen-size"]} '
            '<input id="pen-size" type="range" min="2" max="40" value="8"></label>',
            f'<label class="size">{text["note-text"]} <input id="note-text" type="text" maxlength="200"'
            f' placeholder="{text["note-placeholder"]}"></label></span>',
        ]
    )
    return modes, tools


def painting_page(locale: str, token: str, *, notes: bool = False) -> str:
    """The page's body: the toolbar, the image under its painting canvas (and, with `notes`, the
    Notes mode's canvas over it), the prompt and Send."""
    text = {key: html.escape(value.render(locale)) for key, value in PAGE_TEXT.items()}
    labels = html.escape(json.dumps({key: value.render(locale) for key, value in SCRIPT_TEXT.items()}))
    modes, note_tools = _note_tools(locale) if notes else ("", "")
    tools = "".join(
        [
            '<span id="mask-tools" class="group">',
            f'<button type="button" id="brush" aria-pressed="true">{text["brush"]}</button>',
            f'<button type="button" id="eraser" aria-pressed="false">{text["eraser"]}</button>',
            f'<label class="size">{text["size"]} <input id="size" type="range" min="4" max="160" value="40"></label>',
            f'<button type="button" id="invert">{text["invert"]}</button></span>',
            note_tools,
            *(f'<button type="button" id="{key}">{text[key]}</button>' for key in ("undo", "redo", "clear")),
            f'<button type="button" id="zoom-out" aria-label="{text["zoom-out"]}">&#8722;</button>',
            f'<button type="button" id="zoom-fit">{text["zoom-fit"]}</button>',
            f'<button type="button" id="zoom-in" aria-label="{text["zoom-in"]}">+</button>',
        ]
    )
    title = html.escape(NOTES_TEXT["title"].render(locale)) if notes else text["title"]
    layers = '<canvas id="strokes"></canvas>' + ('<canvas id="notes"></canvas>' if notes else "")
    return (
        f'<main data-labels="{labels}"><h1>{title}</h1>{modes}'
        f'<div id="tools" role="toolbar">{tools}</div>'
        f'<div id="stage"><img id="photo" src="./{html.escape(token)}/image" alt="{text["image"]}">'
        f"{layers}</div>"
        '<form id="send" method="post" enctype="multipart/form-data">'
        f'<label for="prompt">{text["prompt"]}</label>'
        f'<textarea id="prompt" name="prompt" required maxlength="{MAX_PROMPT_CHARS}" rows="3"></textarea>'
        f'<button type="submit" id="submit">{text["send"]}</button></form>'
        '<p id="status" role="status"></p></main>'
        '<script src="./static/paint.js"></script>'
    )


class PaintServer:
    def __init__(
        self,
        painting: Painting,
        clock: Clock,
        *,
        listen: str,
        max_body_bytes: int,
        per_minute: int,
        max_open_sends: int,
        body_timeout_seconds: float,
        trusted_proxies: Iterable[str] = (),
    ) -> None:
        self._painting = painting
        self._host, _, port = listen.rpartition(":")
        self._port = int(port)
        self._max_body = max_body_bytes
        self._per_link = RateLimit(clock, per_minute)
        self._per_address = RateLimit(clock, per_minute)
        self._client_address = ClientAddress(trusted_proxies)
        self._sends = OpenSends(max_open_sends)
        self._body_timeout = body_timeout_seconds
        self._files = {name: _static(name) for name in STATIC}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def open_sends(self) -> int:
        """How many sends' bodies are being read now (each holds its link until it ends)."""
        return len(self._sends)

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        """Counts the request against its link's budget (a validly signed one) or its address's,
        answers it, and gives every answer, a refusal's or a fault's, the page's headers."""
        try:
            if not self._allow(request):
                raise PaintRefused(429, _("Too many requests. Wait a minute and try again."))
            response = await handler(request)
        except PaintRefused as refused:
            response = refusal(refused.locale, refused)
            if request.can_read_body and not request.content.is_eof():
                response.force_close()  # what was not read is not waited for either
        except web.HTTPException as exc:
            response = web.Response(status=exc.status, text=exc.reason)
        except Exception:
            log.exception("painting page: %s %s failed", request.method, request.rel_url.path[:64])
            response = refusal("en-US", PaintRefused(500, _("Something went wrong on our side. Try again later.")))
        response.headers.update(SECURITY_HEADERS)
        return response

    def _allow(self, request: web.Request) -> bool:
        if request.match_info.route.name == "static":
            return True  # two small files from memory, needed by every page opening
        link = self._painting.link_of(request.match_info.get("token", ""))
        if link is not None:
            return self._per_link.allow(link)
        return self._per_address.allow(self._client_address(request))

    async def start(self) -> None:
        app = web.Application(middlewares=[self._guard], client_max_size=self._max_body)
        app.router.add_get("/paint/static/{name}", self._static, name="static")
        app.router.add_get(f"/paint/{TOKEN_PATTERN}", self._page)
        app.router.add_get(f"/paint/{TOKEN_PATTERN}/image", self._image)
        app.router.add_post(f"/paint/{TOKEN_PATTERN}", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host.strip("[]"), self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("serving the painting page on %s:%d", self._host, self.port)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(body=self._files[name], content_type=STATIC[name], charset="utf-8")

    async def _page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        ticket = await self._painting.ticket(token)
        body = painting_page(ticket.locale, token, notes=self._painting.takes_markup())
        return page(ticket.locale, _("Paint the area"), body)

    async def _image(self, request: web.Request) -> web.Response:
        ticket = await self._painting.ticket(request.match_info["token"])
        return web.Response(body=await self._painting.image(ticket), content_type="image/png")

    async def _send(self, request: web.Request) -> web.Response:
        wants_json = "application/json" in request.headers.get("Accept", "")
        try:
            ticket = await self._painting.ticket(request.match_info["token"])  # before any of the body
            with self._sends.hold(ticket.nonce, ticket.locale):
                prompt, drawing = await self._read_form(request, ticket.locale)
            await self._painting.send(ticket, prompt, drawing)
        except PaintRefused as refused:
            if not wants_json:
                raise
            answer = web.json_response({"message": refused.message.render(refused.locale)}, status=refused.status)
            if not request.content.is_eof():
                answer.force_close()
            return answer
        done = _("Sent. The edited image comes back in Discord; you can close this page.")
        if wants_json:
            return web.json_response({"message": done.render(ticket.locale)})
        return page(
            ticket.locale,
            _("Paint the area"),
            f'<main class="note"><p>{html.escape(done.render(ticket.locale))}</p></main>',
        )

    async def _read_form(self, request: web.Request, locale: str) -> tuple[str, Drawing]:
        """The form's `prompt` and its `mask` or `markup` (exactly one), each up to its cap, all
        within the body's deadline."""
        malformed = PaintRefused(400, _("Send the prompt and either a mask or a markup as a form."), locale)
        if request.content_type != "multipart/form-data":
            raise malformed
        if (request.content_length or 0) > self._max_body + MASK_FIELD_BYTES_SLACK:
            raise PaintRefused(413, _("That is too large to send."), locale)
        try:
            async with asyncio.timeout(self._body_timeout):
                fields = await self._read_parts(request, locale)
        except TimeoutError:
            log.info("painting page: a send from %s did not arrive in time", self._client_address(request))
            raise PaintRefused(408, _("The send took too long. Try again."), locale) from None
        except ConnectionResetError:
            log.info("painting page: %s went away during a send", self._client_address(request))
            raise PaintRefused(400, _("The send was cut off. Try again."), locale) from None
        except ValueError:  # aiohttp's word for a body that is not the multipart it claims
            raise malformed from None
        drawings = [Drawing(kind, fields[kind]) for kind in DRAWINGS if kind in fields]
        if len(drawings) != 1 or "prompt" not in fields:
            raise malformed
        return fields["prompt"].decode("utf-8", errors="replace"), drawings[0]

    async def _read_parts(self, request: web.Request, locale: str) -> dict[str, bytes]:
        fields: dict[str, bytes] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            name = part.name if isinstance(part, BodyPartReader) else None
            one_each = name not in fields and not (name in DRAWINGS and fields.keys() & set(DRAWINGS))
            if not isinstance(part, BodyPartReader) or name not in ("prompt", *DRAWINGS) or not one_each:
                raise PaintRefused(400, _("Send the prompt and either a mask or a markup as a form."), locale)
            cap = MAX_PROMPT_CHARS * 4 if name == "prompt" else self._max_body
            data = bytearray()
            while chunk := await part.read_chunk():
                data += chunk
                if len(data) > cap:
                    raise PaintRefused(413, _("That is too large to send."), locale)
            fields[name] = bytes(data)
        return fields


class PaintOffer:
    """The private "Paint the area" link, offered after an edit without a mask."""

    def __init__(self, painting: Painting, locales: Locales) -> None:
        self._painting = painting
        self._locales = locales

    async def __call__(self, interaction: discord.Interaction, source: SourceImage) -> None:
        locale = await self._locales.for_interaction(interaction)
        try:
            url = await self._painting.offer(interaction, source, locale)
        except Exception:
            log.exception("could not make a painting link for user %s", interaction.user.id)
            return
        view = discord.ui.View(timeout=None)
        view.add_item(
            discord.ui.Button(style=discord.ButtonStyle.link, label=_("Paint the area").render(locale), url=url)
        )
        text = _("Only part of it should change? Paint that area, and send it with the words of the change.")
        try:
            await interaction.followup.send(text.render(locale), view=view, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not offer user %s a painting link", interaction.user.id)
