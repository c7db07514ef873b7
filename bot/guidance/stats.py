"""Which tips people find helpful: counts of sends and feedback per tip, for `python -m bot content stats`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.guidance.models import DeliveryStatus, Feedback, GuidanceDelivery


@dataclass(frozen=True)
class TipStats:
    tip_id: str
    shown: int  # sent by the schedule or a check-in, or opened from the menu
    helpful: int
    not_for_me: int

    @property
    def rated(self) -> int:
        return self.helpful + self.not_for_me

    @property
    def helpful_share(self) -> float:
        return self.helpful / self.rated if self.rated else 0.0


async def tip_stats(session: AsyncSession) -> list[TipStats]:
    """Every tip shown at least once, most helpful first (share of "helpful" among ratings, then more ratings)."""
    rows = await session.execute(
        select(
            GuidanceDelivery.tip_id,
            func.count(),
            func.sum(case((GuidanceDelivery.feedback == Feedback.HELPFUL, 1), else_=0)),
            func.sum(case((GuidanceDelivery.feedback == Feedback.NOT_FOR_ME, 1), else_=0)),
        )
        .where(GuidanceDelivery.status == DeliveryStatus.SENT, GuidanceDelivery.tip_id.is_not(None))
        .group_by(GuidanceDelivery.tip_id)
    )
    stats = [
        TipStats(tip_id, shown, int(helpful or 0), int(not_for_me or 0)) for tip_id, shown, helpful, not_for_me in rows
    ]
    return sorted(stats, key=lambda item: (-item.helpful_share, -item.rated, item.tip_id))
