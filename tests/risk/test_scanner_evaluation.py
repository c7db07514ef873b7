"""The scanner on the labelled set in eval_set.tsv: prints recall per level and false alarms, and holds the line.

Every urgent line must come out urgent; run with `-s` to see the figures.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.risk import RiskLevel, Scanner

EVAL_SET = Path(__file__).with_name("eval_set.tsv")


def labelled_lines() -> list[tuple[RiskLevel, str]]:
    rows = EVAL_SET.read_text(encoding="utf-8").splitlines()
    return [(RiskLevel(label), text) for label, text in (row.split("\t", 1) for row in rows if row and row[0] != "#")]


def test_scanner_finds_every_urgent_line_and_rarely_raises_a_false_alarm():
    scanner = Scanner.from_file(PROJECT_ROOT / "content" / "risk" / "lexicon.yaml")
    results = [(want, scanner.scan(text).level, text) for want, text in labelled_lines()]
    total = Counter(want for want, _, _ in results)
    assert total[RiskLevel.URGENT] >= 40 and total[RiskLevel.CONCERN] >= 40 and total[RiskLevel.NONE] >= 60

    def share(want: RiskLevel, accept: set[RiskLevel]) -> float:
        return sum(1 for w, got, _ in results if w is want and got in accept) / total[want]

    urgent_recall = share(RiskLevel.URGENT, {RiskLevel.URGENT})
    concern_recall = share(RiskLevel.CONCERN, {RiskLevel.CONCERN, RiskLevel.URGENT})
    concern_exact = share(RiskLevel.CONCERN, {RiskLevel.CONCERN})
    none_kept = share(RiskLevel.NONE, {RiskLevel.NONE})
    none_urgent = share(RiskLevel.NONE, {RiskLevel.URGENT})
    none_any = 1 - none_kept
    figures = (
        f"{len(results)} lines ({total[RiskLevel.URGENT]} urgent, {total[RiskLevel.CONCERN]} concern, "
        f"{total[RiskLevel.NONE]} none)\n"
        f"urgent recall (urgent): {urgent_recall:.1%}\n"
        f"concern recall (concern or urgent): {concern_recall:.1%}; exactly concern: {concern_exact:.1%}\n"
        f"none kept none: {none_kept:.1%}\n"
        f"false alarms on none lines: {none_any:.1%} any level, {none_urgent:.1%} urgent"
    )
    wrong = "\n".join(f"  {want} -> {got}: {text}" for want, got, text in results if got is not want)
    print(f"\nRisk scanner evaluation\n{figures}\nlines with another level:\n{wrong}")

    missed_urgent = [text for want, got, text in results if want is RiskLevel.URGENT and got is not RiskLevel.URGENT]
    assert not missed_urgent, f"{figures}\nurgent lines not found urgent: {missed_urgent}"
    assert none_urgent <= 0.05, figures
    assert concern_recall >= 0.90, figures
    assert none_any <= 0.10, figures
