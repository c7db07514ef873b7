"""The sender's timing policy: backoff after transient failures, and the pacing of sends overall."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from bot.outbox.sender import Pacer, backoff


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 4), (2, 8), (5, 64), (9, 900), (30, 900)])
def test_backoff_doubles_up_to_fifteen_minutes_with_jitter_in_its_upper_half(attempts: int, ceiling: int) -> None:
    assert backoff(attempts, rand=lambda: 0.0) == timedelta(seconds=ceiling / 2)
    assert backoff(attempts, rand=lambda: 0.999999) <= timedelta(seconds=ceiling)
    assert backoff(attempts, rand=lambda: 0.999999) > timedelta(seconds=ceiling * 0.99)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_pacer_spaces_sends_to_stay_within_the_rate() -> None:
    time = FakeTime()
    pacer = Pacer(25.0, monotonic=time.monotonic, sleep=time.sleep)
    send_times = []
    for _ in range(26):
        await pacer.wait()
        send_times.append(time.now)

    assert send_times[0] == 100.0
    assert send_times[25] - send_times[0] == pytest.approx(1.0)
    assert all(later - earlier == pytest.approx(0.04) for earlier, later in pairwise(send_times))


async def test_pacer_does_not_wait_after_a_quiet_spell() -> None:
    time = FakeTime()
    pacer = Pacer(25.0, monotonic=time.monotonic, sleep=time.sleep)
    await pacer.wait()
    time.now += 5
    await pacer.wait()
    assert time.slept == []
