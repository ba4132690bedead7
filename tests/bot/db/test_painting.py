"""The painting page's tickets: claimed once (a second claim, by any process, is refused), and
pruned by age, used or not."""

from datetime import timedelta

from bot.clock import utcnow
from bot.db.models import PaintTicket
from bot.db.painting import claim_ticket, get_ticket, prune_tickets


def ticket(nonce: str, *, age: timedelta = timedelta(0)) -> PaintTicket:
    made = utcnow() - age
    return PaintTicket(
        nonce=nonce,
        user_id=1,
        guild_id=None,
        channel_id=None,
        application_id=2,
        interaction_token="token",
        interaction_at=made,
        attachment_limit=10_000_000,
        locale="en-US",
        source={"url": "https://cdn.example/a.png", "size": 10, "filename": "a.png"},
        created_at=made,
    )


async def test_a_ticket_is_claimed_once(sessions):
    async with sessions() as session:
        session.add_all([ticket("a"), ticket("b")])
        await session.commit()
    now = utcnow()
    async with sessions() as session:
        assert await claim_ticket(session, "a", now)
        await session.commit()
    async with sessions() as session:
        assert not await claim_ticket(session, "a", now + timedelta(seconds=1))
        assert not await claim_ticket(session, "unknown", now)
        assert (await get_ticket(session, "a")).used_at == now
        assert (await get_ticket(session, "b")).used_at is None
        assert await get_ticket(session, "unknown") is None


async def test_old_tickets_are_pruned_used_or_not(sessions):
    async with sessions() as session:
        session.add_all([ticket("old", age=timedelta(days=2)), ticket("used", age=timedelta(days=2)), ticket("new")])
        await session.flush()
        await claim_ticket(session, "used", utcnow())
        await session.commit()
    async with sessions() as session:
        assert await prune_tickets(session, utcnow() - timedelta(days=1)) == 2
        await session.commit()
    async with sessions() as session:
        assert [await get_ticket(session, nonce) is not None for nonce in ("old", "used", "new")] == [
            False,
            False,
            True,
        ]
