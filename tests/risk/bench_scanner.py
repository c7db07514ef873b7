"""Prints how many lines a second the risk scanner reads: `.venv/bin/python tests/risk/bench_scanner.py`.

A script, not a test: every inbound message is scanned, so this number should stay in the thousands; the build
runs once at the bot's start. It counts CPU
time, best of five rounds, so that other work on a shared machine does not move the figure much.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.risk import Scanner

RISK = Path(__file__).parents[2] / "content" / "risk"


def main() -> None:
    started = time.perf_counter()
    scanner = Scanner.from_file(RISK / "lexicon.yaml")
    print(
        f"built in {time.perf_counter() - started:.1f} s (wall clock: start-up, most of it training the n-gram layer)"
    )
    rows = (RISK / "examples.tsv").read_text(encoding="utf-8").splitlines()
    lines = [row.split("\t", 1)[1] for row in rows if row and not row.startswith("#")]
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for line in lines:
            scanner.scan(line)
        best = min(best, time.process_time() - started)
    average = sum(map(len, lines)) / len(lines)
    print(f"{len(lines) / best:,.0f} lines/second ({len(lines)} lines, {average:.0f} characters on average)")


if __name__ == "__main__":
    main()
