"""A notice for a guild's moderators is posted in the alert channel it names, in the guild's language."""

from bot.billing.policy import ModeratorNotice
from bot.db.models import GuildSettings
from bot.flow.locales import Locales
from bot.flow.notices import ModeratorNotices
from bot.i18n import _


class RecordedAnswers:
    def __init__(self) -> None:
        self.notices: list[tuple[int, str]] = []

    async def post_notice(self, channel_id, text, *, view=None):
        self.notices.append((channel_id, text))


async def test_a_notice_is_posted_in_its_channel_in_the_guilds_language(sessions):
    async with sessions() as session:
        session.add(GuildSettings(guild_id=1, language="zh-CN"))
        await session.commit()
    answers = RecordedAnswers()
    notices = ModeratorNotices(answers, Locales(sessions, lambda _guild_id: None))  # type: ignore[arg-type]
    notice = ModeratorNotice(channel_id=70, parts=(_("The bot is restarting. Please try again in a minute."),))
    await notices.post(1, notice)
    await notices.post(2, notice)
    assert answers.notices == [(70, notice.render("zh-CN")), (70, notice.render("en-US"))]
    assert notice.render("zh-CN") != notice.render("en-US")
