"""One overall send rate for everything the process sends, and replies that survive Telegram's 429 and 5xx.

`SendRateLimiter` paces every Bot API call but getUpdates through one shared `AsyncLimiter`, so handler replies
and the outbox together stay under Telegram's overall limit. For replies (`retry=True`) it also waits and tries
again: only that request waits, so only that chat's later updates wait with it (bot/telegram/ordering.py). A
timeout is not retried: the message may have arrived, and a second copy of a reply is worse than a late error.
The outbox retries and pauses chats itself (bot/outbox/sender.py), so its bot paces without retrying.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

# Pauses (seconds) before each new try after a 5xx or a network failure.
NETWORK_RETRY_PAUSES = (0.5, 2.0, 5.0)
# A reply that would wait longer than this for a 429 to lift is given up: the person has moved on.
LONGEST_WAIT_SECONDS = 60.0


class SendRateLimiter(BaseRateLimiter[None]):
    def __init__(
        self,
        pacing: AsyncLimiter,
        *,
        retry: bool,
        pauses: Sequence[float] = NETWORK_RETRY_PAUSES,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        self.pacing = pacing
        self.retry = retry
        self.pauses = pauses
        self._sleep = sleep

    async def initialize(self) -> None:
        """Nothing to set up: the limiter is shared and made by the caller."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        failures = 0
        while True:
            try:
                async with self.pacing:
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if not self.retry or wait > LONGEST_WAIT_SECONDS:
                    raise
                log.info("%s: rate-limited, trying again in %.0f s", endpoint, wait)
                await self._sleep(wait)
            except TimedOut:
                raise
            except NetworkError as exc:
                if not self.retry or failures == len(self.pauses):
                    raise
                log.warning("%s: %s, trying again", endpoint, exc.message)
                await self._sleep(self.pauses[failures])
                failures += 1


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 gives an int (deprecated) or a timedelta depending on PTB_TIMEDELTA; both mean seconds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after = exc.retry_after
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
