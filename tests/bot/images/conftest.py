"""The images client both test modules use: at the stand-in, with short retries."""

import aiohttp
import pytest

from bot.images import ImagesClient
from bot.images.transport import Transport, TransportSettings


@pytest.fixture
async def client(images_api):
    async with aiohttp.ClientSession() as session:
        yield ImagesClient(
            Transport(
                session,
                base_url=images_api.base_url,
                api_key=images_api.api_key,
                settings=TransportSettings(timeout=5, max_retries=2, retry_base_delay=0.01, max_retry_wait=0.05),
            )
        )
