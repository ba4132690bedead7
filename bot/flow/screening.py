"""Screening a job's final prompt and input images before any paid call, and deciding what
refuses: the operator's categories (all the endpoint flags, by default), less `sexual` for a
request at the guild's `low` level in an age-restricted channel; `sexual/minors` refuses always.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.errors import Flagged
from bot.i18n import _
from bot.images.moderation import Moderation, Screening
from bot.imaging import screening_copy
from bot.threads import BoundedThreads

ALWAYS_REFUSED = frozenset({"sexual/minors"})
ALLOWED_WHEN_LOW = frozenset({"sexual"})


def refusing(flagged: frozenset[str], categories: frozenset[str], *, relaxed: bool) -> tuple[str, ...]:
    """The flagged categories that refuse the request, in a stable order."""
    chosen = flagged & categories if categories else flagged
    if relaxed:
        chosen -= ALLOWED_WHEN_LOW
    return tuple(sorted(chosen | (flagged & ALWAYS_REFUSED)))


class Screener:
    def __init__(
        self, moderation: Moderation, *, categories: Sequence[str], threads: BoundedThreads, check_results: bool
    ) -> None:
        """`categories` refuse when flagged; empty: every category the endpoint flags.
        `check_results`: made images are screened too, before they are posted."""
        self._moderation = moderation
        self._categories = frozenset(categories)
        self._threads = threads
        self.check_results = check_results

    async def _screen(
        self, prompt: str | None, images: Sequence[bytes], *, relaxed: bool
    ) -> tuple[Screening, tuple[str, ...]]:
        copies = await asyncio.gather(*(self._threads.run(screening_copy, image) for image in images))
        screening = await self._moderation.screen(prompt, [(copy, "image/jpeg") for copy in copies])
        return screening, refusing(screening.flagged, self._categories, relaxed=relaxed)

    async def check_result(self, images: Sequence[bytes], *, relaxed: bool) -> tuple[str, ...]:
        """The refusing categories the made images are flagged for (none: post them); `relaxed`
        for a job at the `low` moderation level."""
        return (await self._screen(None, images, relaxed=relaxed))[1]

    async def check_inputs(self, prompt: str | None, images: Sequence[bytes], *, relaxed: bool) -> Screening:
        """Screen a request's inputs, `relaxed` at the guild's `low` level in an age-restricted
        channel; raises Flagged when a refusing category is flagged. Returns the screening (which
        says whether it could be done at all)."""
        screening, refused = await self._screen(prompt, images, relaxed=relaxed)
        if refused:
            raise Flagged(
                _(
                    "The safety check flagged this request ({categories}), so nothing was made and nothing was "
                    "charged. Try a different prompt or image.",
                    categories=", ".join(refused),
                ),
                refused,
                in_image=bool(screening.in_images & set(refused)),
            )
        return screening
