"""Usage rows: finished as ok, partial or failed, with tokens, latency and redacted details."""

from datetime import timedelta

from bot.billing.usage import UsageLog, finish_failed, finish_ok
from bot.clock import utcnow
from bot.db.models import UsageRecord
from bot.images import GeneratedImage, ImagesResult, TokenUsage
from bot.images.errors import RateLimitError
from bot.logs import REDACTED, register_secrets


def pending(**fields) -> UsageRecord:
    return UsageRecord(
        user_id=1, command="imagine", status="pending", n=2, created_at=utcnow() - timedelta(seconds=2), **fields
    )


def test_an_ok_row_keeps_the_tokens_the_revised_prompt_and_the_latency():
    record = pending()
    usage = TokenUsage(input_tokens=10, output_tokens=20, total_tokens=30)
    finish_ok(record, ImagesResult([GeneratedImage(b"1", "better"), GeneratedImage(b"2")], usage))
    assert (record.status, record.image_count, record.revised_prompt) == ("ok", 2, "better")
    assert (record.input_tokens, record.output_tokens, record.total_tokens) == (10, 20, 30)
    assert record.latency_ms >= 2000 and record.completed_at is not None


def test_a_partial_row_says_why_images_are_missing_without_secrets():
    register_secrets(["sk-partial-secret-123"])
    record = pending()
    failure = RateLimitError("slow down sk-partial-secret-123", status=429)
    finish_ok(record, ImagesResult([GeneratedImage(b"1")], failures=[failure]))
    assert (record.status, record.error_code) == ("partial", "rate_limited")
    assert "sk-partial-secret-123" not in record.error_detail and REDACTED in record.error_detail


def test_a_failed_row_keeps_a_short_redacted_detail():
    register_secrets(["sk-failed-secret-456"])
    record = pending()
    finish_failed(record, status="failed", code="crash", detail="sk-failed-secret-456 " + "x" * 1000)
    assert (record.status, record.error_code, len(record.error_detail)) == ("failed", "crash", 500)
    assert record.error_detail.startswith(REDACTED)


async def test_the_log_saves_a_row_in_its_own_unit_of_work(sessions):
    record = pending(guild_id=5)
    await UsageLog(sessions).save(record)
    record.status = "ok"
    await UsageLog(sessions).save(record)
    async with sessions() as session:
        saved = await session.get(UsageRecord, record.id)
    assert saved.status == "ok" and saved.guild_id == 5
