"""How well the scanner reads labelled lines: the four figures issue 10 sets targets for, and the lines it got wrong.

Used by the tests on the project's own sets and by `python -m bot risk evaluate`, so that a deployer can measure the
scanner on labelled lines from their own region before trusting it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.risk.scanner import RiskLevel, Scanner

URGENT, CONCERN, NONE = RiskLevel.URGENT, RiskLevel.CONCERN, RiskLevel.NONE


@dataclass(frozen=True)
class Targets:
    flagged: float = 0.95
    urgent: float = 0.90
    false_urgent: float = 0.05
    everyday_flagged: float = 0.10


TARGETS = Targets()  # issue 10's, on text the scanner was never tuned on


@dataclass(frozen=True)
class Figures:
    lines: Counter[RiskLevel]
    flagged: float  # lines needing a counsellor (urgent or concern) that got any flag
    urgent: float  # urgent lines that came out urgent
    false_urgent: float  # everyday lines that came out urgent
    concern_urgent: float  # concern lines that came out urgent (not an error for safety, but it costs attention)
    everyday_flagged: float  # everyday lines that got any flag
    wrong: list[tuple[RiskLevel, RiskLevel, str]]  # (wanted, got, text)

    def meets(self, targets: Targets) -> bool:
        return (
            self.flagged >= targets.flagged
            and self.urgent >= targets.urgent
            and self.false_urgent <= targets.false_urgent
            and self.everyday_flagged <= targets.everyday_flagged
        )

    def __str__(self) -> str:
        return (
            f"{self.lines.total()} lines ({self.lines[URGENT]} urgent, {self.lines[CONCERN]} concern, "
            f"{self.lines[NONE]} everyday)\n"
            f"  needing a counsellor, flagged: {self.flagged:.1%} (target >= {TARGETS.flagged:.0%})\n"
            f"  urgent lines urgent:           {self.urgent:.1%} (target >= {TARGETS.urgent:.0%})\n"
            f"  everyday lines urgent:         {self.false_urgent:.1%} (target <= {TARGETS.false_urgent:.0%})\n"
            f"  everyday lines flagged:        {self.everyday_flagged:.1%} (target <= {TARGETS.everyday_flagged:.0%})\n"
            f"  concern lines urgent:          {self.concern_urgent:.1%}"
        )


def evaluate(scanner: Scanner, examples: Iterable[tuple[str, str]]) -> Figures:
    """`examples` are (level, text) as `load_examples` gives them; a level with no line gives a share of 0."""
    results = [(RiskLevel(want), scanner.scan(text).level, text) for want, text in examples]

    def share(wanted: set[RiskLevel], accept: set[RiskLevel]) -> float:
        got = [level for want, level, _ in results if want in wanted]
        return sum(level in accept for level in got) / len(got) if got else 0.0

    return Figures(
        lines=Counter(want for want, _, _ in results),
        flagged=share({URGENT, CONCERN}, {URGENT, CONCERN}),
        urgent=share({URGENT}, {URGENT}),
        false_urgent=share({NONE}, {URGENT}),
        concern_urgent=share({CONCERN}, {URGENT}),
        everyday_flagged=share({NONE}, {URGENT, CONCERN}),
        wrong=[(want, got, text) for want, got, text in results if got is not want],
    )
