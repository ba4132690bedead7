"""The painting page through the real bot: the link `/edit` offers, the page and its headers, the
token's refusals, a scripted send (a mask, or a markup for a model that takes it), and, in a real
headless Chromium (Debian's package, driven by Playwright), a stroke painted and sent, touch, undo,
and the Notes mode's pen and text, each checked pixel by pixel in what the provider received.

With IMAGEBOT_SCREENSHOTS=1 the browser tests also write the README's pictures, docs/paint.png and
docs/paint-notes.png; otherwise a run leaves the tree as it was."""

import math
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from bot.clock import utcnow
from bot.db.models import PaintTicket
from tests.helpers import (
    decode,
    finished_jobs,
    get,
    markup_png,
    mask_png,
    offered_link,
    painting_link,
    photo,
    post,
    usage_rows,
    web_config,
)

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOTES_MODEL = "gpt-image-2.6-flare"  # takes markup
BLUE = (10, 132, 255)  # the page's blue pen


async def keep_screenshot(page, name: str) -> None:
    """docs/`name`, a picture for the README, written only when IMAGEBOT_SCREENSHOTS=1."""
    if os.environ.get("IMAGEBOT_SCREENSHOTS") == "1":
        await page.screenshot(path=str(ROOT / "docs" / name))


async def test_without_web_nothing_listens_and_nothing_offers_a_link(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config())
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("photo.png", photo()), "prompt": "make it night"}
    )
    assert (await discord_api.wait_for_reply(state)).attachment_bytes()
    assert bot.paint_server is None and not any(painting_link(message) for message in state.visible_messages())


async def test_the_page_and_its_image_carry_strict_headers(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(web_config(make_config))
    url, _ = await offered_link(discord_api, bot, photo())
    status, body, headers = await get(url)
    assert status == 200 and b'<canvas id="strokes">' in body and b"<script>" not in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    status, image, headers = await get(f"{url}/image")
    assert status == 200 and headers["Content-Type"] == "image/png" and decode(image).size == (400, 300)
    assert headers["Cache-Control"] == "no-store"
    for other in ("/", "/paint", "/paint/static/../app.py", "/metrics", "/paint/static/secret.txt"):
        status, served, headers = await get(f"http://127.0.0.1:{bot.paint_server.port}{other}")
        # ".." is resolved by the client: /paint/app.py is a link with a token that is not valid
        assert status in (403, 404) and b"import" not in served and "Content-Security-Policy" in headers, other


async def test_a_scripted_send_edits_with_that_mask_and_answers_in_the_interaction(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config))
    url, state = await offered_link(discord_api, bot, photo())
    before = len(state.followups)
    status, text, _ = await post(url, "a full moon", mask_png((400, 300), (300, 0, 400, 100)))
    assert status == 200 and "Sent" in text
    await discord_api.wait_for(lambda: any(m.payload["attachments"] for m in state.followups[before:]))
    edit = images_api.requests[-1]
    assert edit.fields["prompt"] == "a full moon"
    alpha = decode(edit.files["mask"][0]).getchannel("A")
    assert alpha.getpixel((350, 50)) == 0 and alpha.getpixel((50, 250)) == 255
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[1].command, rows[1].via, rows[1].prompt, rows[1].status) == ("edit", "paint", "a full moon", "ok")
    assert [job.origin for job in await finished_jobs(bot)] == ["interaction", "painting"]  # /edit's, the page's

    status, text, _ = await post(url, "again", mask_png((400, 300), (0, 0, 10, 10)))
    assert status == 410 and "used already" in text


async def test_a_forged_or_expired_link_is_refused_with_a_page_that_says_so(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config))
    url, _ = await offered_link(discord_api, bot, photo())
    mac = url.rpartition("/")[2].partition(".")[2]
    forged = url.replace(mac, ("A" if mac[0] != "A" else "B") + mac[1:])
    for wrong in (forged, url[:-3], f"{url}x"):
        status, page, _ = await get(wrong)
        assert status in (403, 404) and (status == 404 or b"not valid" in page), wrong
    status, _, _ = await post(forged, "x", mask_png((400, 300), (0, 0, 10, 10)))
    assert status == 403 and not images_api.requests[1:]
    async with bot.sessions() as session:
        await session.execute(update(PaintTicket).values(created_at=utcnow() - timedelta(minutes=16)))
        await session.commit()
    status, page, _ = await get(url)
    assert status == 403 and b"expired" in page


async def test_the_page_follows_the_members_discord_language(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(web_config(make_config))
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("photo.png", photo()), "prompt": "夜晚"}, locale="zh-CN"
    )
    await discord_api.wait_for(lambda: any(painting_link(message) for message in state.followups))
    [path] = [url.removeprefix("https://paint.example.com") for m in state.followups if (url := painting_link(m))]
    status, page, _ = await get(f"http://127.0.0.1:{bot.paint_server.port}{path}")
    assert status == 200 and '<html lang="zh-CN">' in page.decode() and "画笔" in page.decode()


@pytest.fixture
async def chromium():
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


def distance_to_segment(x, y, start, end) -> float:
    (x1, y1), (x2, y2) = start, end
    length = (x2 - x1) ** 2 + (y2 - y1) ** 2
    share = max(0.0, min(1.0, ((x - x1) * (x2 - x1) + (y - y1) * (y2 - y1)) / length)) if length else 0.0
    return math.hypot(x - (x1 + share * (x2 - x1)), y - (y1 + share * (y2 - y1)))


def assert_mask_is(alpha: Image.Image, inside) -> None:
    """Transparent within 2 px inside the painted shape, opaque 2 px outside it (the brush's
    anti-aliased rim between is the browser's to round)."""
    for y in range(alpha.height):
        for x in range(alpha.width):
            margin = inside(x + 0.5, y + 0.5)
            if margin > 2:
                assert alpha.getpixel((x, y)) == 0, (x, y)
            elif margin < -2:
                assert alpha.getpixel((x, y)) == 255, (x, y)


async def test_in_a_browser_a_painted_stroke_is_the_masks_transparent_area(
    make_config, start_bot, discord_api, images_api, chromium
):
    bot = await start_bot(web_config(make_config))
    url, _ = await offered_link(discord_api, bot, photo())
    page = await chromium.new_page(viewport={"width": 900, "height": 800})
    await page.goto(url)
    await page.wait_for_selector("body[data-ready=true]")
    canvas = await page.query_selector("#strokes")
    box = await canvas.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (400, 300)  # fitted at 1:1
    start, end = (60, 150), (300, 120)
    await page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    await page.mouse.down()
    await page.mouse.move(box["x"] + end[0], box["y"] + end[1], steps=12)
    await page.mouse.up()
    await page.fill("#prompt", "a river of light")
    await keep_screenshot(page, "paint.png")
    await page.click("#submit")
    await page.locator("#status", has_text="Sent").wait_for()  # no eval: the page's CSP forbids it
    await images_api.wait_for_requests(2)
    edit = images_api.requests[-1]
    assert edit.fields["prompt"] == "a river of light"
    alpha = decode(edit.files["mask"][0]).getchannel("A")
    assert alpha.size == (400, 300)
    assert_mask_is(alpha, lambda x, y: 20 - distance_to_segment(x, y, start, end))  # the brush is 40 px wide
    assert (await usage_rows(bot, 2))[1].via == "paint"
    await page.close()


async def test_in_a_browser_touch_and_undo_paint_what_the_member_kept(
    make_config, start_bot, discord_api, images_api, chromium
):
    bot = await start_bot(web_config(make_config))
    url, _ = await offered_link(discord_api, bot, photo())
    context = await chromium.new_context(viewport={"width": 420, "height": 800}, has_touch=True, is_mobile=True)
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_selector("body[data-ready=true]")
    box = await (await page.query_selector("#strokes")).bounding_box()
    scale = 400 / box["width"]  # a phone's screen: the image is fitted smaller
    await page.mouse.move(box["x"] + 10, box["y"] + 10)
    await page.mouse.down()
    await page.mouse.move(box["x"] + 150, box["y"] + 10, steps=5)
    await page.mouse.up()
    await page.click("#undo")  # that stroke is taken back
    tap = (box["width"] * 0.75, box["height"] * 0.5)
    await page.touchscreen.tap(box["x"] + tap[0], box["y"] + tap[1])
    await page.fill("#prompt", "a lantern")
    await page.click("#submit")
    await page.locator("#status", has_text="Sent").wait_for()  # no eval: the page's CSP forbids it
    await images_api.wait_for_requests(2)
    alpha = decode(images_api.requests[-1].files["mask"][0]).getchannel("A")
    centre = (tap[0] * scale, tap[1] * scale)
    assert_mask_is(alpha, lambda x, y: 20 - math.hypot(x - centre[0], y - centre[1]))
    await context.close()
    assert bot.paint_server is not None


async def test_the_edit_forms_reply_offers_the_link_when_no_area_was_given(
    make_config, start_bot, discord_api, images_api
):
    await start_bot(web_config(make_config))
    message = discord_api.post_message([discord_api.upload("photo.png", photo())])
    menu = await discord_api.send_message_command("Edit image", message)
    await discord_api.wait_for(lambda: menu.modal)
    whole = await discord_api.submit_modal(menu, ["make it night"])
    await discord_api.wait_for(lambda: any(painting_link(followup) for followup in whole.followups))
    menu = await discord_api.send_message_command("Edit image", message)
    await discord_api.wait_for(lambda: menu.modal)
    part = await discord_api.submit_modal(menu, ["make it night"], checked={"area": ["4"]})
    assert (await discord_api.wait_for_reply(part)).attachment_bytes()
    assert not any(painting_link(followup) for followup in part.followups)


async def test_each_address_has_a_rate_and_a_send_has_a_size_cap(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(web_config(make_config, requests_per_minute=4, max_body_mb=0.05))
    url, _ = await offered_link(discord_api, bot, photo())
    status, _, _ = await post(url, "a moon", b"\x89PNG" + bytes(100_000))
    assert status == 413  # refused unread, the link still unused
    assert (await get(url))[0] == 200
    statuses = [(await get(f"{url}/image"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(("model", "offered"), [(NOTES_MODEL, True), ("gpt-image-2", False)])
async def test_the_page_has_a_notes_mode_only_when_the_model_takes_markup(
    make_config, start_bot, discord_api, images_api, model, offered
):
    bot = await start_bot(web_config(make_config, model=model))
    url, _ = await offered_link(discord_api, bot, photo())
    status, body, _ = await get(url)
    assert status == 200 and b'<canvas id="strokes">' in body
    assert (b'<canvas id="notes">' in body, b'id="mode-notes"' in body, b'id="note-text"' in body) == (offered,) * 3


async def test_a_scripted_markup_send_sends_markup_fitted_to_the_image_and_no_mask(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config, model=NOTES_MODEL))
    url, state = await offered_link(discord_api, bot, photo())
    before = len(state.followups)
    status, text, _ = await post(url, "a hat here", markup_png((200, 150), (10, 10, 60, 40)), fields=("markup",))
    assert status == 200 and "Sent" in text
    await discord_api.wait_for(lambda: any(m.payload["attachments"] for m in state.followups[before:]))
    edit = images_api.requests[-1]
    assert (edit.fields["model"], edit.fields["prompt"]) == (NOTES_MODEL, "a hat here")
    assert "mask" not in edit.files and len(edit.files["markup"]) == 1
    markup = decode(edit.files["markup"][0])
    assert (markup.format, markup.mode, markup.size) == ("PNG", "RGBA", (400, 300))  # fitted: drawn at half size
    assert markup.getpixel((70, 50)) == (255, 59, 48, 255) and markup.getpixel((300, 200))[3] == 0
    rows = await usage_rows(bot, 2, delivered=True)
    assert (rows[1].via, rows[1].status, rows[1].model) == ("paint", "ok", NOTES_MODEL)


async def test_a_send_with_a_mask_and_a_markup_is_refused_and_the_link_kept(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config, model=NOTES_MODEL))
    url, _ = await offered_link(discord_api, bot, photo())
    drawn = markup_png((400, 300), (0, 0, 50, 50))
    for fields in (("mask", "markup"), ("markup", "mask"), ("markup", "markup"), ()):
        status, text, _ = await post(url, "a hat", drawn, fields=fields)
        assert status == 400 and "either a mask or a markup" in text, fields
    await usage_rows(bot)  # the /edit that offered the link finished: its call was made
    assert len(images_api.requests) == 1  # that call alone
    status, _, _ = await post(url, "a hat", drawn, fields=("markup",))
    assert status == 200
    await images_api.wait_for_requests(2)
    assert "markup" in images_api.requests[-1].files


async def test_a_markup_for_a_model_without_markup_is_refused_before_any_call(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config))  # gpt-image-2: masks, no markup
    url, _ = await offered_link(discord_api, bot, photo())
    status, text, _ = await post(url, "a hat", markup_png((400, 300), (0, 0, 50, 50)), fields=("markup",))
    assert status == 400 and "`gpt-image-2` doesn't take markup" in text
    rows = await usage_rows(bot, 2)  # the /edit's finished too: its call was made
    assert (rows[1].via, rows[1].status) == ("paint", "invalid")
    assert len(images_api.requests) == 1  # the /edit's alone


async def test_in_a_browser_a_pen_stroke_and_a_text_note_are_the_markup(
    make_config, start_bot, discord_api, images_api, chromium
):
    bot = await start_bot(web_config(make_config, model=NOTES_MODEL))
    url, _ = await offered_link(discord_api, bot, photo())
    page = await chromium.new_page(viewport={"width": 900, "height": 800})
    await page.goto(url)
    await page.wait_for_selector("body[data-ready=true]")
    assert not await page.is_visible("#pen")  # the area's tools first
    await page.click("#mode-notes")
    assert await page.is_visible("#pen") and not await page.is_visible("#brush")
    await page.click('.swatch[data-colour="#0a84ff"]')
    box = await (await page.query_selector("#notes")).bounding_box()
    assert (round(box["width"]), round(box["height"])) == (400, 300)
    start, end = (40, 60), (220, 90)
    await page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    await page.mouse.down()
    await page.mouse.move(box["x"] + end[0], box["y"] + end[1], steps=12)
    await page.mouse.up()
    await page.click("#text")
    await page.fill("#note-text", "hat")
    await page.mouse.click(box["x"] + 260, box["y"] + 220)
    await page.fill("#prompt", "a blue scarf along the line, and a hat")
    await keep_screenshot(page, "paint-notes.png")
    await page.click("#submit")
    await page.locator("#status", has_text="Sent").wait_for()  # no eval: the page's CSP forbids it
    await images_api.wait_for_requests(2)
    edit = images_api.requests[-1]
    assert "mask" not in edit.files
    markup = decode(edit.files["markup"][0])
    assert (markup.mode, markup.size) == ("RGBA", (400, 300))
    text_area = (250, 196, 400, 244)  # "hat", 32 px bold, its left end at the click, centred on its height
    opaque_in_text = 0
    for y in range(markup.height):
        for x in range(markup.width):
            red, green, blue, alpha = markup.getpixel((x, y))
            in_text = text_area[0] <= x < text_area[2] and text_area[1] <= y < text_area[3]
            opaque_in_text += in_text and alpha == 255
            distance = distance_to_segment(x + 0.5, y + 0.5, start, end)
            if distance < 2:  # the pen is 8 px wide; the browser may round its colour by a step
                assert alpha == 255 and max(map(abs, (red - BLUE[0], green - BLUE[1], blue - BLUE[2]))) <= 2, (x, y)
            elif distance > 6 and not in_text:
                assert alpha == 0, (x, y)
    assert opaque_in_text > 30
    assert (await usage_rows(bot, 2))[1].via == "paint"
    await page.close()
