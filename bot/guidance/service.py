"""Guidance for one person: browsing tips, feedback, "did you try it?", their schedule, and tips a check-in calls for.

Every id that arrives from a button is checked here: a tip must suit the presser's own children, and a delivery
must be the presser's own. Anything else is a stale button.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import Checkin
from bot.clock import Clock
from bot.families.models import Child
from bot.guidance import screens as gs
from bot.guidance.content import GuidanceContent
from bot.guidance.models import (
    MAX_PER_WEEK,
    WEEKDAYS_FOR,
    DeliveryOrigin,
    DeliveryStatus,
    Feedback,
    GuidanceDelivery,
    GuidanceSchedule,
    Tried,
)
from bot.guidance.planning import family_of, replan, schedule_of
from bot.onboarding import screens as s
from bot.people.models import Person

PAGE_SIZE = 6
# Hours a person can pick: daytime and evening, all before quiet hours begin at 21:30.
HOURS = (8, 10, 12, 15, 17, 19, 20, 21)


class Guidance:
    def __init__(self, content: GuidanceContent, clock: Clock) -> None:
        self.content = content
        self.clock = clock

    # -- browsing ---------------------------------------------------------------------------------------------

    async def menu(self, session: AsyncSession, person: Person) -> list:
        family = await family_of(session, person.id)
        if family is None:
            return [s.StaleButton()]
        candidates = family.candidates(self.content, self.clock())
        topics = tuple(topic for topic in self.content.topics if any(topic.id in tip.topics for tip in candidates))
        return [gs.TipsMenu(topics)]

    async def topic_page(self, session: AsyncSession, person: Person, topic_id: str, page: int) -> list:
        family = await family_of(session, person.id)
        topic = self.content.topic(topic_id)
        if family is None or topic is None:
            return [s.StaleButton()]
        tips = family.candidates(self.content, self.clock(), topic_id)
        pages = -(-len(tips) // PAGE_SIZE)
        if not 0 <= page < pages:
            return [s.StaleButton()]
        return [gs.TopicTips(topic, tuple(tips[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]), page, pages)]

    async def view(self, session: AsyncSession, person: Person, tip_id: str) -> list:
        """One tip opened from the menu; it counts as sent, so the schedule will not bring it again soon."""
        family = await family_of(session, person.id)
        now = self.clock()
        if family is None or tip_id not in {tip.id for tip in family.candidates(self.content, now)}:
            return [s.StaleButton()]
        tip = self.content.tip(tip_id)
        key = f"browse:{person.id}:{tip.id}"
        delivery = await session.scalar(select(GuidanceDelivery).where(GuidanceDelivery.source_key == key))
        if delivery is None:
            delivery = GuidanceDelivery(
                person_id=person.id,
                source_key=key,
                origin=DeliveryOrigin.BROWSED,
                status=DeliveryStatus.SENT,
                tip_id=tip.id,
                topic_id=tip.topics[0],
                due_at=now,
            )
            session.add(delivery)
        delivery.sent_at = now
        await session.flush()
        return [gs.ShowTip(delivery.id, tip, self.content.topic(tip.topics[0]))]

    # -- what the person says about a tip ---------------------------------------------------------------------

    async def give_feedback(self, session: AsyncSession, person: Person, delivery_id: int, feedback: Feedback):
        delivery = await self._own(session, person, delivery_id)
        if delivery is None:
            return [s.StaleButton()]
        delivery.feedback, delivery.feedback_at = feedback, self.clock()
        return [gs.FeedbackSaved(feedback)]

    async def tried(self, session: AsyncSession, person: Person, delivery_id: int, tried: Tried) -> list:
        """The answer to "did you try it?"; the first answer stands, and "it was hard" brings one more tip."""
        delivery = await self._own(session, person, delivery_id, lock=True)
        if delivery is None or delivery.asked_at is None:
            return [s.StaleButton()]
        if delivery.tried is not None:
            return [gs.AlreadyTold()]
        now = self.clock()
        delivery.tried, delivery.tried_at = tried, now
        tip = self.content.tip(delivery.tip_id)
        if tried is Tried.HARD and tip is not None:
            session.add(
                GuidanceDelivery(
                    person_id=person.id,
                    source_key=f"hard:{delivery.id}",
                    origin=DeliveryOrigin.FOLLOW_UP,
                    topic_id=tip.topics[0],
                    child_id=delivery.child_id,
                    due_at=now,
                )
            )
        return [gs.TriedSaved(tried)]

    async def _own(
        self, session: AsyncSession, person: Person, delivery_id: int, lock: bool = False
    ) -> GuidanceDelivery | None:
        statement = select(GuidanceDelivery).where(GuidanceDelivery.id == delivery_id)
        delivery = await session.scalar(statement.with_for_update() if lock else statement)
        if delivery is None or delivery.person_id != person.id or delivery.status is not DeliveryStatus.SENT:
            return None
        return delivery

    # -- the schedule -----------------------------------------------------------------------------------------

    async def settings(self, session: AsyncSession, person: Person) -> list:
        schedule = await self._schedule(session, person)
        return [s.StaleButton()] if schedule is None else [self._settings_screen(schedule)]

    async def set_frequency(self, session: AsyncSession, person: Person, per_week: int) -> list:
        schedule = await self._schedule(session, person)
        if schedule is None or per_week not in WEEKDAYS_FOR:
            return [s.StaleButton()]
        return await self._change(session, schedule, weekdays=list(WEEKDAYS_FOR[per_week]))

    async def toggle_day(self, session: AsyncSession, person: Person, weekday: int) -> list:
        schedule = await self._schedule(session, person)
        if schedule is None or weekday not in range(7):
            return [s.StaleButton()]
        days = set(schedule.weekdays)
        if weekday in days:
            days.discard(weekday)
        elif len(days) >= MAX_PER_WEEK:
            return [gs.TooManyDays(MAX_PER_WEEK)]
        else:
            days.add(weekday)
        return await self._change(session, schedule, weekdays=sorted(days))

    async def set_hour(self, session: AsyncSession, person: Person, hour: int) -> list:
        schedule = await self._schedule(session, person)
        if schedule is None or hour not in HOURS:
            return [s.StaleButton()]
        return await self._change(session, schedule, hour=hour)

    async def _change(self, session: AsyncSession, schedule: GuidanceSchedule, **values) -> list:
        for name, value in values.items():
            setattr(schedule, name, value)
        await replan(session, schedule, self.clock())
        return [self._settings_screen(schedule)]

    async def _schedule(self, session: AsyncSession, person: Person) -> GuidanceSchedule | None:
        family = await family_of(session, person.id)
        return None if family is None else await schedule_of(session, person.id, family.timezone)

    def _settings_screen(self, schedule: GuidanceSchedule) -> gs.GuidanceSettings:
        return gs.GuidanceSettings(tuple(schedule.weekdays), schedule.hour, HOURS)

    # -- check-ins --------------------------------------------------------------------------------------------

    async def after_checkin(self, session: AsyncSession, checkin: Checkin, child: Child) -> None:
        """A finished check-in whose answers call for a tip (the pack's `targeted` rules) plans one, due now."""
        rule = self.content.rule_for(checkin.answers)
        if rule is None:
            return
        schedule = await session.get(GuidanceSchedule, checkin.caregiver_id)
        if schedule is not None and not schedule.weekdays:
            return  # they asked for no tips
        key = f"checkin:{checkin.id}"
        if await session.scalar(select(GuidanceDelivery.id).where(GuidanceDelivery.source_key == key)):
            return
        session.add(
            GuidanceDelivery(
                person_id=checkin.caregiver_id,
                source_key=key,
                origin=DeliveryOrigin.TARGETED,
                topic_id=rule.topic,
                tip_choices=list(rule.tips) or None,
                child_id=child.id,
                due_at=self.clock(),
            )
        )
