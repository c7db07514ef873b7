"""How a risk scan of free text translates into a flag level."""

from __future__ import annotations

from bot.cases.severity import Level
from bot.risk import RiskLevel, ScanResult

LEVEL_OF_SCAN = {RiskLevel.URGENT: Level.URGENT, RiskLevel.CONCERN: Level.HIGH, RiskLevel.NONE: Level.NONE}


def level_of_scan(result: ScanResult) -> Level:
    return LEVEL_OF_SCAN[result.level]
