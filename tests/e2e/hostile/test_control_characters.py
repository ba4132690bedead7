"""A prompt holding a control character (NUL, ESC, DEL...), through the real bot, every way a
prompt comes in: /imagine, the Edit form, a reply, the painting page. Each is refused with a
short private message that says what to do and a finished usage row, before anything is paid
or a painting link is spent; tab and newline pass. (On PostgreSQL, a NUL once crashed the
request: its text columns hold no NUL.)"""

import pytest
from sqlalchemy import select

from bot.db.models import PaintTicket
from tests.helpers import (
    answer_to,
    imagine,
    mask_png,
    offered_link,
    open_edit_form,
    photo,
    post,
    usage_rows,
    web_config,
)

SAYS = "control character"


@pytest.mark.parametrize(("prompt", "code"), [("a fox\x00 in the snow", "U+0000"), ("a fox\x1b[31m", "U+001B")])
async def test_imagine_refuses_a_control_character_privately_with_a_row(
    make_config, start_bot, discord_api, images_api, prompt, code
):
    bot = await start_bot(make_config())
    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": prompt}))
    assert reply.ephemeral and f"{SAYS} ({code})" in reply.text and "Type the prompt again" in reply.text
    assert len(reply.text) < 200 and not images_api.requests
    [row] = await usage_rows(bot)
    assert (row.command, row.status, row.error_code) == ("imagine", "invalid", "invalid_request")
    assert row.prompt == prompt.replace("\x00", "␀")


async def test_tab_and_newline_pass_and_del_is_refused_in_the_edit_form(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    made = await imagine(discord_api, prompt="a fox\tin the snow\nat dusk")
    assert made.attachment_bytes() and images_api.requests[0].fields["prompt"] == "a fox\tin the snow\nat dusk"
    form = await open_edit_form(discord_api, photo())
    reply = await discord_api.wait_for_reply(await discord_api.submit_modal(form, ["make it night\x7f"]))
    assert reply.ephemeral and f"{SAYS} (U+007F)" in reply.text
    rows = await usage_rows(bot, 2)
    assert [(row.command, row.status) for row in rows] == [("imagine", "ok"), ("edit", "invalid")]
    assert len(images_api.requests) == 1


async def test_a_reply_with_a_nul_is_refused_before_anything_is_posted_or_paid(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config())
    result = await imagine(discord_api)
    before = len(discord_api.calls)
    asked = await discord_api.send_member_message("make it\x00 night", reply_to=result, mention_bot=True)
    refusal = await answer_to(discord_api, asked, done=False)
    assert f"{SAYS} (U+0000)" in refusal.text and refusal.pings == {f"user:{discord_api.member['id']}"}
    rows = await usage_rows(bot, 2)
    assert [(row.command, row.status, row.prompt) for row in rows[1:]] == [("reply", "invalid", "make it␀ night")]
    assert len(images_api.requests) == 1
    assert [call.operation_id for call in discord_api.calls[before:]] == ["create_message"]  # the refusal alone


async def test_the_painting_page_refuses_a_nul_and_the_link_stays_unused(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config))
    url, state = await offered_link(discord_api, bot, photo())
    mask = mask_png((400, 300), (300, 0, 400, 100))
    status, text, headers = await post(url, "a full\x00 moon", mask)
    assert status == 400 and f"{SAYS} (U+0000)" in text and "Content-Security-Policy" in headers
    async with bot.sessions() as session:
        [ticket] = (await session.scalars(select(PaintTicket))).all()
    assert ticket.used_at is None

    before = len(state.followups)
    status, text, _ = await post(url, "a full moon", mask)  # the same link, then, works
    assert status == 200 and "Sent" in text
    await discord_api.wait_for(lambda: any(m.payload["attachments"] for m in state.followups[before:]))
    assert images_api.requests[-1].fields["prompt"] == "a full moon"
