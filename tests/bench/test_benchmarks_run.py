"""The benchmarks still run (a tiny size, figures not checked): they are scripts, so nothing else would notice."""

from __future__ import annotations

import pytest

from tests.bench import answer_latency, outbox_throughput
from tests.conftest import ON_SQLITE

pytestmark = pytest.mark.skipif(not ON_SQLITE, reason="the scripts make their own SQLite database")


async def test_the_answer_latency_benchmark_runs(capsys) -> None:
    await answer_latency.main(users=2, presses=2, round_trip=0.0, url=None, send_rate=25.0)
    assert "answer latency p50" in capsys.readouterr().out


async def test_the_outbox_throughput_benchmark_runs(capsys) -> None:
    await outbox_throughput.main(count=3, round_trip=0.0, send_rate=25.0, url=None)
    assert "messages/s" in capsys.readouterr().out
