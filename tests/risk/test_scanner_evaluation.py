"""The scanner on three labelled sets: prints its figures on each, holds the issue's targets on the tuning set and
floors on the two held-out sets. Run with `-s` to see the figures.

The tuning set (`content/risk/examples.tsv`) is what the phrases were written against and what the n-gram layer learns
from, so its figures flatter the scanner. The held-out sets (`heldout_set.tsv`, `heldout_set_b.tsv`) were each written
before a round of tuning and are never tuned on: only their figures are printed, not their lines, so that nobody fixes
a rule for one of them. If a change drops a held-out figure below its floor, the change generalises worse: rethink it
rather than lower the floor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.risk import RiskLevel, Scanner
from bot.risk.lexicon import load_examples

LEXICON = PROJECT_ROOT / "content" / "risk" / "lexicon.yaml"
TUNING_SET = PROJECT_ROOT / "content" / "risk" / "examples.tsv"
HELDOUT_SET = Path(__file__).with_name("heldout_set.tsv")
HELDOUT_SET_B = Path(__file__).with_name("heldout_set_b.tsv")
URGENT, CONCERN, NONE = RiskLevel.URGENT, RiskLevel.CONCERN, RiskLevel.NONE


@dataclass(frozen=True)
class Figures:
    lines: Counter[RiskLevel]
    flagged: float  # lines needing a counsellor (urgent or concern) that got any flag
    urgent: float  # urgent lines that came out urgent
    false_urgent: float  # everyday lines that came out urgent
    concern_urgent: float  # concern lines that came out urgent (not an error for safety, but it costs attention)
    everyday_flagged: float  # everyday lines that got any flag
    wrong: list[str]

    def __str__(self) -> str:
        return (
            f"{self.lines.total()} lines ({self.lines[URGENT]} urgent, {self.lines[CONCERN]} concern, "
            f"{self.lines[NONE]} everyday)\n"
            f"  needing a counsellor, flagged: {self.flagged:.1%} (target >= 95%)\n"
            f"  urgent lines urgent:           {self.urgent:.1%} (target >= 90%)\n"
            f"  everyday lines urgent:         {self.false_urgent:.1%} (target <= 5%)\n"
            f"  everyday lines flagged:        {self.everyday_flagged:.1%} (target <= 10%)\n"
            f"  concern lines urgent:          {self.concern_urgent:.1%}"
        )


def evaluate(scanner: Scanner, path: Path) -> Figures:
    results = [(RiskLevel(want), scanner.scan(text).level, text) for want, text in load_examples(path)]
    lines = Counter(want for want, _, _ in results)

    def share(wanted: set[RiskLevel], accept: set[RiskLevel]) -> float:
        got = [level for want, level, _ in results if want in wanted]
        return sum(level in accept for level in got) / len(got)

    return Figures(
        lines=lines,
        flagged=share({URGENT, CONCERN}, {URGENT, CONCERN}),
        urgent=share({URGENT}, {URGENT}),
        false_urgent=share({NONE}, {URGENT}),
        concern_urgent=share({CONCERN}, {URGENT}),
        everyday_flagged=share({NONE}, {URGENT, CONCERN}),
        wrong=[f"  {want} -> {got}: {text}" for want, got, text in results if got is not want],
    )


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.from_file(LEXICON)


def test_the_scanner_meets_the_targets_on_the_tuning_set(scanner):
    figures = evaluate(scanner, TUNING_SET)
    print(
        "\nRisk scanner on the tuning set\n" + str(figures) + "\nlines with another level:\n" + "\n".join(figures.wrong)
    )

    assert min(figures.lines[URGENT], figures.lines[CONCERN], figures.lines[NONE]) >= 150, figures
    assert figures.flagged >= 0.95, figures
    assert figures.urgent >= 0.90, figures
    assert figures.false_urgent <= 0.05, figures
    assert figures.everyday_flagged <= 0.10, figures


@dataclass(frozen=True)
class Floors:
    flagged: float
    urgent: float
    false_urgent: float
    everyday_flagged: float


# Floors a little under the figures measured after the second round of tuning (see the README). Any change to the
# examples moves a held-out figure by a line or two (A's false urgent went from 4.3% to 5.2% when two duplicate
# examples were removed), hence the margin; on A that margin passes the 5% target.
@pytest.mark.parametrize(
    ("path", "floors"),
    [
        pytest.param(HELDOUT_SET, Floors(0.87, 0.80, 0.06, 0.10), id="A"),
        pytest.param(HELDOUT_SET_B, Floors(0.86, 0.73, 0.03, 0.08), id="B"),
    ],
)
def test_the_scanner_holds_floors_on_the_held_out_sets(scanner, path, floors):
    figures = evaluate(scanner, path)
    print(f"\nRisk scanner on the held-out set {path.name} (never tuned on)\n" + str(figures))

    assert figures.lines.total() >= 300, figures
    assert min(figures.lines.values()) >= 90, figures
    assert figures.flagged >= floors.flagged, figures
    assert figures.urgent >= floors.urgent, figures
    assert figures.false_urgent <= floors.false_urgent, figures
    assert figures.everyday_flagged <= floors.everyday_flagged, figures
