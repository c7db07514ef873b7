"""How worrying a flag or a case is. The order matters: a case takes the most severe level of its flags."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    ROUTINE = "routine"
    NONE = "none"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _RANK[self]


_RANK = {Level.NONE: 0, Level.ROUTINE: 1, Level.HIGH: 2, Level.URGENT: 3}


def most_severe(*levels: Level) -> Level:
    return max(levels, key=lambda level: level.rank, default=Level.NONE)
