"""The per-process waker: APScheduler ticks call domain functions that ask the database what is due.

Jobs live in memory only. Schedules belong in our own tables; a job store shared between processes would run
each job once per process anyway, and a restart must not depend on what the last process remembered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox.sender import Sender

SEND_OUTBOX = "send-outbox"
CHECKINS_DUE = "checkins-due"
GUIDANCE_DUE = "guidance-due"
CASE_DEADLINES = "case-deadlines"
WEEKLY_DIGESTS = "weekly-digests"
CONTACT_DUE = "contact-due"
PRUNE = "prune"

Tick = Callable[[], Awaitable[Any]]


def build_scheduler(sender: Sender, *, interval_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    add_tick(scheduler, SEND_OUTBOX, sender.run_once, interval_seconds)
    sender.on_wake = lambda: run_soon(scheduler, SEND_OUTBOX)
    return scheduler


def add_tick(scheduler: AsyncIOScheduler, job_id: str, tick: Tick, interval_seconds: float) -> None:
    """Run `tick` now and then every `interval_seconds`; a slow tick is never doubled up or replayed."""
    scheduler.add_job(
        tick,
        "interval",
        seconds=interval_seconds,
        id=job_id,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )


def run_soon(scheduler: AsyncIOScheduler, job_id: str) -> None:
    """Bring a tick forward to now, e.g. when a handler has just enqueued something urgent."""
    if scheduler.running:
        scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
