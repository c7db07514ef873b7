"""Which tip comes next: age-appropriate, topics taken in turn, and never a repeat until every tip has been sent.

Pure functions over the content and what a person has already been sent, so the rules are testable alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.guidance.content import AgeBand, Tip, band_for_age

UNKNOWN_MONTH_AS = 7  # a child born "some time" in a year is taken to be born mid-year


def age_on(birth_year: int, birth_month: int | None, today: date) -> int:
    month = birth_month or UNKNOWN_MONTH_AS
    return today.year - birth_year - (1 if today.month < month else 0)


def band_of(birth_year: int, birth_month: int | None, today: date) -> AgeBand:
    return band_for_age(max(age_on(birth_year, birth_month, today), 0))


def interleaved(tips: Sequence[Tip]) -> list[Tip]:
    """Tips in turn by topic: the first tip of each topic, then the second of each, and so on (pack order)."""
    rank: dict[str, int] = {}
    keyed = []
    for position, tip in enumerate(tips):
        topic = tip.topics[0]
        keyed.append((rank.get(topic, 0), position, tip))
        rank[topic] = rank.get(topic, 0) + 1
    return [tip for _round, _position, tip in sorted(keyed, key=lambda item: item[:2])]


def choose(candidates: Sequence[Tip], last_sent: Mapping[str, datetime]) -> Tip | None:
    """The first unsent tip in turn; once all were sent, the one sent longest ago. `last_sent`: tip id -> when."""
    ordered = interleaved(candidates)
    for tip in ordered:
        if tip.id not in last_sent:
            return tip
    if not ordered:
        return None
    return min(ordered, key=lambda tip: last_sent[tip.id])
