"""What the runner runs and reports: the work a job is (the request flow provides it), a job's
place in line, and the provider's request to wait in the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.db.models import Job
from bot.i18n import Text


@dataclass(frozen=True)
class RetryLater:
    """The provider asked for a longer wait than a retry makes: the job waits in the queue."""

    seconds: float


class JobWork(Protocol):
    """What running a job means; the request flow provides it."""

    def answerable(self, job: Job) -> bool:
        """Whether the job's interaction can still be answered."""
        ...

    async def run(self, job: Job, provider_done: Callable[[], None]) -> bool | RetryLater:
        """Run the job to its end, the member told either way; True when its result was delivered,
        or RetryLater to wait in the queue. `provider_done()` is called once the provider's part
        is over, success or not."""
        ...

    async def redeliver(self, job: Job) -> bool:
        """Deliver a settled job's held results, making nothing; True when they reached the member."""
        ...

    async def tell(self, job: Job, message: Text) -> None:
        """Tell the member about their job, in place of any status."""
        ...

    async def stop_updates(self, job: Job) -> None:
        """Stop showing the job's status: it is about to end without running."""
        ...


@dataclass(frozen=True)
class Waiting:
    """A queued job and its place in line."""

    job: Job
    position: int
    recovered: bool = False
