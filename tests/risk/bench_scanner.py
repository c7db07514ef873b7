"""Prints how many lines a second the risk scanner reads: `.venv/bin/python tests/risk/bench_scanner.py`.

A script, not a test: every inbound message is scanned, so this number should stay in the thousands.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.risk import Scanner

HERE = Path(__file__).parent
LEXICON = HERE.parents[1] / "content" / "risk" / "lexicon.yaml"


def main() -> None:
    scanner = Scanner.from_file(LEXICON)
    rows = (HERE / "eval_set.tsv").read_text(encoding="utf-8").splitlines()
    lines = [row.split("\t", 1)[1] for row in rows if row and not row.startswith("#")]
    rounds = max(1, 20_000 // len(lines))
    started = time.perf_counter()
    for _ in range(rounds):
        for line in lines:
            scanner.scan(line)
    elapsed = time.perf_counter() - started
    average = sum(map(len, lines)) / len(lines)
    speed = rounds * len(lines) / elapsed
    print(f"{speed:,.0f} lines/second ({len(lines)} lines, {average:.0f} characters on average)")


if __name__ == "__main__":
    main()
