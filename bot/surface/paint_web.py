"""The painting page's server, when `[web]` is set: `GET /paint/{token}` (the page),
`GET /paint/{token}/image` (the image, only through its token), `POST /paint/{token}` (a mask
and a prompt, as `multipart/form-data`, from the page or a script), and the page's script and
style under `/paint/static/`. Nothing else is served.

Every answer carries strict headers: a Content-Security-Policy with no inline script and
`frame-ancestors 'none'`, `nosniff`, no referrer and no caching. Bodies are capped
(`web.max_body_mb`), each client address has `web.requests_per_minute`, and a changed or
expired link gets 403, a used one 410, each with a page that says so. The page is plain HTML,
CSS and JavaScript, no build step, in the member's Discord language.
"""

from __future__ import annotations

import html
import json
import logging
from collections import deque
from importlib import resources

import discord
from aiohttp import BodyPartReader, web

from bot.clock import Clock
from bot.flow.locales import Locales
from bot.flow.painting import MAX_PROMPT_CHARS, Painting, PaintRefused
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
MASK_FIELD_BYTES_SLACK = 64 * 1024  # the prompt and the form's own framing, beside the mask


def _static(name: str) -> bytes:
    """A file of bot/web/, read once when the server is made (never on the event loop per request)."""
    return resources.files("bot").joinpath("web", name).read_bytes()


class RateLimit:
    """At most `per_minute` requests a minute from one address (a sliding window)."""

    def __init__(self, clock: Clock, per_minute: int) -> None:
        self._clock = clock
        self._per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        now = self._clock.monotonic()
        if len(self._seen) > 10_000:  # forget quiet addresses rather than grow
            self._seen = {key: times for key, times in self._seen.items() if times and times[-1] > now - 60}
        times = self._seen.setdefault(address, deque())
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self._per_minute:
            return False
        times.append(now)
        return True


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
SCRIPT_TEXT = {
    "nothing": _("Paint the area to change first."),
    "sending": _("Sending…"),
    "failed": _("Sending failed. Try again."),
}


def painting_page(locale: str, token: str) -> str:
    """The page's body: the toolbar, the image under its painting canvas, the prompt and Send."""
    text = {key: html.escape(value.render(locale)) for key, value in PAGE_TEXT.items()}
    labels = html.escape(json.dumps({key: value.render(locale) for key, value in SCRIPT_TEXT.items()}))
    tools = "".join(
        [
            f'<button type="button" id="brush" aria-pressed="true">{text["brush"]}</button>',
            f'<button type="button" id="eraser" aria-pressed="false">{text["eraser"]}</button>',
            f'<label class="size">{text["size"]} <input id="size" type="range" min="4" max="160" value="40"></label>',
            *(f'<button type="button" id="{key}">{text[key]}</button>' for key in ("undo", "redo", "invert", "clear")),
            f'<button type="button" id="zoom-out" aria-label="{text["zoom-out"]}">&#8722;</button>',
            f'<button type="button" id="zoom-fit">{text["zoom-fit"]}</button>',
            f'<button type="button" id="zoom-in" aria-label="{text["zoom-in"]}">+</button>',
        ]
    )
    return (
        f'<main data-labels="{labels}"><h1>{text["title"]}</h1>'
        f'<div id="tools" role="toolbar">{tools}</div>'
        f'<div id="stage"><img id="photo" src="./{html.escape(token)}/image" alt="{text["image"]}">'
        '<canvas id="strokes"></canvas></div>'
        '<form id="send" method="post" enctype="multipart/form-data">'
        f'<label for="prompt">{text["prompt"]}</label>'
        f'<textarea id="prompt" name="prompt" required maxlength="{MAX_PROMPT_CHARS}" rows="3"></textarea>'
        f'<button type="submit" id="submit">{text["send"]}</button></form>'
        '<p id="status" role="status"></p></main>'
        '<script src="./static/paint.js"></script>'
    )


class PaintServer:
    def __init__(self, painting: Painting, clock: Clock, *, listen: str, max_body_bytes: int, per_minute: int) -> None:
        self._painting = painting
        self._host, _, port = listen.rpartition(":")
        self._port = int(port)
        self._max_body = max_body_bytes
        self._limit = RateLimit(clock, per_minute)
        self._files = {name: _static(name) for name in STATIC}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        if not self._limit.allow(request.remote or "?"):
            response: web.StreamResponse = web.Response(status=429, text="Too many requests; wait a minute.")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = web.Response(status=exc.status, text=exc.reason)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def start(self) -> None:
        app = web.Application(middlewares=[self._guard], client_max_size=self._max_body)
        app.router.add_get("/paint/static/{name}", self._static)
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
        try:
            ticket = await self._painting.ticket(token)
        except PaintRefused as refused:
            return refusal(refused.locale, refused)
        return page(ticket.locale, _("Paint the area"), painting_page(ticket.locale, token))

    async def _image(self, request: web.Request) -> web.Response:
        try:
            ticket = await self._painting.ticket(request.match_info["token"])
            return web.Response(body=await self._painting.image(ticket), content_type="image/png")
        except PaintRefused as refused:
            return refusal(refused.locale, refused)

    async def _send(self, request: web.Request) -> web.Response:
        token, wants_json = request.match_info["token"], "application/json" in request.headers.get("Accept", "")
        try:
            prompt, mask = await self._read_form(request)
            ticket = await self._painting.send(token, prompt, mask)
        except PaintRefused as refused:
            if wants_json:
                return web.json_response({"message": refused.message.render(refused.locale)}, status=refused.status)
            return refusal(refused.locale, refused)
        done = _("Sent. The edited image comes back in Discord; you can close this page.")
        if wants_json:
            return web.json_response({"message": done.render(ticket.locale)})
        return page(
            ticket.locale,
            _("Paint the area"),
            f'<main class="note"><p>{html.escape(done.render(ticket.locale))}</p></main>',
        )

    async def _read_form(self, request: web.Request) -> tuple[str, bytes]:
        """The form's `prompt` and `mask`, each read up to its cap; anything else is refused."""
        if request.content_type != "multipart/form-data":
            raise PaintRefused(400, _("Send the mask and the prompt as a form."))
        fields: dict[str, bytes] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            name = part.name if isinstance(part, BodyPartReader) else None
            if not isinstance(part, BodyPartReader) or name not in ("prompt", "mask") or name in fields:
                raise PaintRefused(400, _("Send the mask and the prompt as a form."))
            cap = MAX_PROMPT_CHARS * 4 if name == "prompt" else self._max_body
            data = bytearray()
            while chunk := await part.read_chunk():
                data += chunk
                if len(data) > cap:
                    raise PaintRefused(413, _("That is too large to send."))
            fields[name] = bytes(data)
        if "mask" not in fields or "prompt" not in fields:
            raise PaintRefused(400, _("Send the mask and the prompt as a form."))
        return fields["prompt"].decode("utf-8", errors="replace"), fields["mask"]


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
