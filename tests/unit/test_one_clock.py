"""Every "now" comes from the injected clock: no module reads the machine's date or hour on its own.

A direct read would make the suite depend on the day it runs (it once broke when a fixed test date passed) and
would stamp rows with a time that tests and drills cannot set.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.config import PROJECT_ROOT

# The only places allowed to read the machine's clock, and why.
ALLOWED = {
    "bot/clock.py": "the system clock itself",
    "bot/scheduler.py": "APScheduler's wake-up times are on its own (wall) clock; it only wakes, never decides",
    "tests/emulator/server.py": "Telegram's message dates, as the real server stamps them",
}
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
WALL_CLOCK_CALLS |= {("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}


def wall_clock_reads(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in WALL_CLOCK_CALLS:
                lines.append(node.lineno)
    return lines


def test_no_module_reads_the_wall_clock_but_the_clock_itself():
    found = {}
    for folder in ("bot", "tests", "alembic"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative not in ALLOWED and (lines := wall_clock_reads(path)):
                found[relative] = lines
    assert not found, f"read the injected clock instead of the machine's: {found}"


def test_the_check_finds_a_wall_clock_read(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("from datetime import datetime\nstamp = datetime.now()\n", encoding="utf-8")
    assert wall_clock_reads(sample) == [2]
