"""The transport under the Images API client: one request path, `_send`, and one retry loop,
`_retrying`, that JSON, multipart and streamed requests (and the model list's GET) share (the
same timeout, error mapping and retry policy), as openai-python's base client does. The clients
(images, chat, moderation) hold a transport; a guild's account is a client over a transport of its
own (`for_account`), made by the constructor like any other.

What a provider can do to the bot is bounded here: no redirect is followed, every body is read in
chunks up to `max_response_bytes`, and a guild's account (`for_account`) at a base URL of the
guild's connects only where the operator's address rules permit; each has its own share of
parallel requests. A paid request is sent again only when nothing can have been made: a refused
connection, an answer that says so (429, 5xx, 408, 409, or `x-should-retry: true`); never after
a timeout once it was sent.
A Retry-After longer than `max_retry_wait` is not waited out here: the error goes up, and the
job waits in the queue while the request budget (`wait_for_rate_limit`) holds the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import yarl

from bot.images.errors import (
    AnswerTimeoutError,
    APIConnectionError,
    APITimeoutError,
    BlockedAddressError,
    ImagesError,
    InvalidResponseError,
    error_from_response,
)
from bot.images.ratelimit import RequestBudget, parse_retry_after
from bot.images.results import StreamEvent
from bot.images.sse import server_sent_events
from bot.netguard import AddressRefused, AddressRules

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 200 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 1024 * 1024
MAX_BACKOFF_SECONDS = 8.0
CHUNK = 65536
T = TypeVar("T")


async def read_capped(response: aiohttp.ClientResponse, cap: int, what: str) -> bytes:
    """The whole body, read in chunks; InvalidResponseError as soon as it passes `cap` bytes."""
    too_large = InvalidResponseError(f"{what} is larger than {cap / 2**20:g} MiB", status=response.status)
    if response.content_length is not None and response.content_length > cap:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > cap:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _capped_chunks(chunks: AsyncIterator[bytes], cap: int) -> AsyncIterator[bytes]:
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise InvalidResponseError(f"the image stream is larger than {cap / 2**20:g} MiB")
        yield chunk


async def _error_body(response: aiohttp.ClientResponse) -> Any:
    try:
        return json.loads(await read_capped(response, MAX_ERROR_BODY_BYTES, "the error"))
    except (ValueError, InvalidResponseError):
        return None


def _should_retry(headers: Any) -> bool | None:
    value = (headers.get("x-should-retry") or "").strip().lower()
    return {"true": True, "false": False}.get(value)


@dataclass(frozen=True)
class TransportSettings:
    """How long a request may take, how often it is sent again and how much of an answer is read:
    the same for the bot's account and every guild's."""

    timeout: float = 180.0
    connect_timeout: float = 10.0
    stall_timeout: float = 60.0  # a stream that sends nothing for this long has stalled
    max_retries: int = 3
    retry_base_delay: float = 1.0
    max_retry_wait: float = 30.0  # a longer Retry-After is left to the queue
    max_response_bytes: int = MAX_RESPONSE_BYTES


@contextlib.contextmanager
def typed_errors(what: str, timeout: aiohttp.ClientTimeout) -> Generator[None]:
    """aiohttp's failures while talking to `what` (a request to the Images API, an image link's
    download), as the typed errors: a host the address rules refuse, no connection, no connection
    in time, no answer in time (once sent, a paid request may have been made), anything else."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, AddressRefused):
            raise BlockedAddressError(f"the address rules refuse {exc.os_error}") from None
        raise APIConnectionError(f"could not reach {what} ({type(exc).__name__})") from None
    except aiohttp.ConnectionTimeoutError:
        raise APITimeoutError(f"could not connect to {what} within {timeout.sock_connect:g}s") from None
    except aiohttp.SocketTimeoutError:
        raise AnswerTimeoutError(f"{what} sent nothing for {timeout.sock_read:g}s") from None
    except TimeoutError:
        raise AnswerTimeoutError(f"no answer from {what} within {timeout.total:g}s") from None
    except aiohttp.ClientError as exc:
        raise APIConnectionError(f"could not reach {what} ({type(exc).__name__})") from None


class Transport:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str,
        settings: TransportSettings = TransportSettings(),
        rules: AddressRules | None = None,
        guarded_session: aiohttp.ClientSession | None = None,
        guarded: bool = False,
        max_parallel_requests: int = 4,
        on_error: Callable[[ImagesError], None] = lambda error: None,
    ) -> None:
        """`session` reaches the operator's own `base_url`, unrestricted; `guarded_session`
        connects only where `rules` permit, and serves any image link on another host and, when
        `guarded` (a guild's base URL), every request. `on_error` hears every failed attempt,
        retried or not (the metrics count them)."""
        self._session = session
        self._rules = rules or AddressRules()
        self._guarded_session = guarded_session or session
        self._guarded = guarded
        self._on_error = on_error
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._settings = settings
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout, sock_connect=settings.connect_timeout)
        self._stream_timeout = aiohttp.ClientTimeout(
            total=settings.timeout, sock_connect=settings.connect_timeout, sock_read=settings.stall_timeout
        )
        self.parallel = asyncio.Semaphore(max_parallel_requests)
        """One of the account's parallel requests: the images client holds one for each request
        and its downloads."""
        self._budget = RequestBudget(settings.max_retry_wait)

    @property
    def base_url(self) -> str:
        return self._base_url

    def for_account(self, *, base_url: str | None, api_key: str, max_parallel_requests: int) -> Transport:
        """The transport of a guild's own account: the same settings, address rules and error
        hook; its own request budget and parallel requests, so a slow or hostile provider holds
        only its own guild's. At a `base_url` of the guild's, every request goes through the
        guarded session; without one (None), the key is used at the operator's own base URL,
        which is reached as the bot's own requests reach it."""
        return Transport(
            self._session,
            base_url=base_url or self._base_url,
            api_key=api_key,
            settings=self._settings,
            rules=self._rules,
            guarded_session=self._guarded_session,
            guarded=self._guarded or base_url is not None,
            max_parallel_requests=max_parallel_requests,
            on_error=self._on_error,
        )

    async def wait_for_rate_limit(self) -> None:
        """Sleep until the account's request budget resets, if the last answer said it is spent."""
        await self._budget.wait()

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After, never less, with up to a quarter more so that waiters spread;
        otherwise exponential backoff less up to a quarter (openai-python's jitter)."""
        if retry_after is not None:
            return retry_after + random.uniform(0, min(retry_after / 4, 1.0))
        backoff = min(self._settings.retry_base_delay * 2**attempt, MAX_BACKOFF_SECONDS)
        return backoff * (1 - 0.25 * random.random())

    def _check_host(self, url: str) -> aiohttp.ClientSession:
        """The session that may fetch `url`: the guarded one, after the host check, unless the URL
        is on the operator's own base URL's host."""
        if not self._guarded and yarl.URL(url).host == yarl.URL(self._base_url).host:
            return self._session
        try:
            self._rules.check_host(yarl.URL(url).raw_host or "")
        except AddressRefused as exc:
            raise BlockedAddressError(f"the address rules refuse {exc}") from None
        return self._guarded_session

    # The one request path -----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _send(
        self,
        path: str,
        *,
        method: str = "POST",
        json_body: dict[str, Any] | None = None,
        form: aiohttp.FormData | None = None,
        streamed: bool = False,
    ) -> AsyncGenerator[aiohttp.ClientResponse, None]:
        """One request: a 2xx response to read, or the typed error for whatever went wrong,
        reading included. A plain answer may take the whole timeout to come (the image is made
        first); a stream that sends nothing for the stall timeout has stalled."""
        timeout = self._stream_timeout if streamed else self._timeout
        url = f"{self._base_url}{path}"
        session = self._check_host(url) if self._guarded else self._session
        with typed_errors("the Images API", timeout):
            async with session.request(
                method,
                url,
                json=json_body,
                data=form,
                headers={"Authorization": f"Bearer {self._api_key}", "User-Agent": "imagebot/0.1"},
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                self._budget.note(response.headers)
                if response.status >= 400:
                    retry_after = parse_retry_after(response.headers)
                    if retry_after is not None and response.status == 429:
                        self._budget.hold(retry_after)
                    raise error_from_response(
                        response.status,
                        await _error_body(response),
                        request_id=response.headers.get("x-request-id"),
                        retry_after=retry_after,
                        should_retry=_should_retry(response.headers),
                    )
                if response.status >= 300:
                    raise InvalidResponseError(
                        f"the Images API answered with a redirect (HTTP {response.status}), which is not followed",
                        status=response.status,
                    )
                yield response

    async def _retrying(self, path: str, attempt: Callable[[], AsyncGenerator[T, None]]) -> AsyncGenerator[T, None]:
        """Run `attempt` until it succeeds, retrying what is worth retrying before its first item;
        a Retry-After longer than `max_retry_wait` is left to the queue."""
        settings = self._settings
        for number in range(settings.max_retries + 1):
            started = False
            try:
                async with contextlib.aclosing(attempt()) as items:
                    async for item in items:
                        started = True
                        yield item
                return
            except ImagesError as exc:
                self._on_error(exc)
                too_long = exc.retry_after is not None and exc.retry_after > settings.max_retry_wait
                if too_long and exc.worth_retrying and not started:
                    exc.wait_in_queue = exc.retry_after
                if started or not exc.worth_retrying or too_long or number >= settings.max_retries:
                    raise
                delay = self._retry_delay(number, exc.retry_after)
                log.warning("images %s failed (%s, %s); retry %d in %.1fs", path, exc.kind, exc, number + 1, delay)
                await asyncio.sleep(delay)

    async def request(
        self,
        path: str,
        *,
        method: str = "POST",
        json_body: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """`method` (POST by default) with retries; return the JSON object of a 2xx answer."""

        async def attempt() -> AsyncGenerator[dict[str, Any], None]:
            async with self._send(path, method=method, json_body=json_body, form=form() if form else None) as response:
                raw = await read_capped(response, self._settings.max_response_bytes, "the Images API's answer")
            try:
                body = json.loads(raw)
            except ValueError:
                raise InvalidResponseError("the Images API answered with a body that is not JSON") from None
            if not isinstance(body, dict):
                raise InvalidResponseError("the Images API answered without a JSON object", status=response.status)
            yield body

        async with contextlib.aclosing(self._retrying(path, attempt)) as bodies:
            async for body in bodies:
                return body
        raise InvalidResponseError("the Images API gave no answer")

    async def stream(self, path: str, body: dict[str, Any]) -> AsyncGenerator[StreamEvent, None]:
        """POST a streamed request; its events up to and including the completed one."""

        async def attempt() -> AsyncGenerator[StreamEvent, None]:
            async with self._send(path, json_body=body, streamed=True) as response:
                chunks = _capped_chunks(response.content.iter_any(), self._settings.max_response_bytes)
                events = server_sent_events(chunks, max_event=self._settings.max_response_bytes)
                async with contextlib.aclosing(events):
                    async for payload in events:
                        event = StreamEvent.from_payload(payload)
                        yield event
                        if event.completed:
                            return
            raise InvalidResponseError("the image stream ended before the image was completed")

        async with contextlib.aclosing(self._retrying(path, attempt)) as events:
            async for event in events:
                yield event

    async def download(self, url: str) -> bytes:
        """An image link from the answer: under the address rules unless it is on the operator's
        own host, never redirected, at most `max_response_bytes`."""
        session = self._check_host(url)
        with typed_errors("the image link", self._timeout):
            async with session.get(url, timeout=self._timeout, allow_redirects=False) as response:
                if response.status != 200:
                    raise InvalidResponseError(
                        f"image download answered HTTP {response.status}", status=response.status
                    )
                return await read_capped(response, self._settings.max_response_bytes, "the image to download")
