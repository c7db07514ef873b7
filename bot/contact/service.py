"""Family contact as people use it: planning calls, answering "how did it go?", relaying messages, consent.

Every id that arrives from a button is checked against the acting person's own links to the child, so an old
or forged button changes nothing and gets the standard "no longer active" answer.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.timing import in_quiet_hours, next_slot
from bot.clock import Clock
from bot.contact import screens as ct
from bot.contact.calls import (
    CALL_MINUTES,
    PLANS_PER_CHILD,
    caregiver_link,
    caregivers,
    home_timezone,
    parent_link,
    parents,
    plan_next_call,
    zone_choices,
)
from bot.contact.models import (
    Call,
    CallOutcome,
    CallPlan,
    CallProposal,
    CallStatus,
    ChildBirthday,
    ContactEvent,
    ContactKind,
    ProposalStatus,
    Relay,
    SummaryConsent,
)
from bot.conversations import store
from bot.families import service as families
from bot.families.models import Child, ParentLink
from bot.onboarding import screens as s
from bot.outbox.enqueue import enqueue
from bot.people.models import Person

RELAY_FLOW = "contact_relay"
RELAY_STEP = "message"
LEAP_YEAR = 2024  # so that 29 February can be chosen


@dataclass(frozen=True)
class Incoming:
    """A message a person sent the bot, by its Telegram coordinates: the relay copies it, it never reads it."""

    chat_id: int
    message_id: int


class Contact:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    # -- call plans (parents) ---------------------------------------------------------------------------------

    async def overview(self, session: AsyncSession, person: Person) -> list:
        children = await families.children_of_parent(session, person.id)
        if not children:
            return [s.StaleButton()]
        views = []
        for child in children:
            plans = await session.scalars(
                select(CallPlan)
                .where(CallPlan.parent_id == person.id, CallPlan.child_id == child.id)
                .order_by(CallPlan.weekday, CallPlan.minute_of_day)
            )
            views.append(ct.ChildCalls(child.id, child.nickname, tuple(_view(plan) for plan in plans)))
        return [ct.CallsOverview(tuple(views))]

    async def choose_zone(self, session: AsyncSession, person: Person, child_id: int) -> list:
        child = await self._parents_child(session, person, child_id)
        if child is None:
            return [s.StaleButton()]
        return [ct.ChooseZone(child.id, child.nickname, zone_choices(await home_timezone(session, child)))]

    async def choose_day(self, session: AsyncSession, person: Person, child_id: int, zone_index: int) -> list:
        child = await self._parents_child(session, person, child_id)
        zone = await self._zone(session, child, zone_index)
        if zone is None:
            return [s.StaleButton()]
        return [ct.ChooseCallDay(child.id, child.nickname, zone_index, zone)]

    async def choose_time(
        self, session: AsyncSession, person: Person, child_id: int, zone_index: int, weekday: int
    ) -> list:
        child = await self._parents_child(session, person, child_id)
        if await self._zone(session, child, zone_index) is None or not 0 <= weekday <= 6:
            return [s.StaleButton()]
        return [ct.ChooseCallTime(child.id, child.nickname, zone_index, weekday, CALL_MINUTES)]

    async def plan(
        self, session: AsyncSession, person: Person, child_id: int, zone_index: int, weekday: int, minute: int
    ) -> list:
        child = await self._parents_child(session, person, child_id)
        zone = await self._zone(session, child, zone_index)
        if zone is None or not 0 <= weekday <= 6 or minute not in CALL_MINUTES:
            return [s.StaleButton()]
        existing = await session.scalar(
            select(CallPlan).where(
                CallPlan.parent_id == person.id,
                CallPlan.child_id == child.id,
                CallPlan.weekday == weekday,
                CallPlan.minute_of_day == minute,
            )
        )
        if existing is None:
            count = await session.scalar(
                select(func.count()).where(CallPlan.parent_id == person.id, CallPlan.child_id == child.id)
            )
            if count >= PLANS_PER_CHILD:
                return await self.overview(session, person)
            existing = CallPlan(
                parent_id=person.id, child_id=child.id, weekday=weekday, minute_of_day=minute, timezone=zone
            )
            session.add(existing)
            await session.flush()
        call = await plan_next_call(session, existing, self.clock())
        return [ct.CallPlanned(child.nickname, _view(existing), await home_timezone(session, child), call.at)]

    async def remove(self, session: AsyncSession, person: Person, plan_id: int) -> list:
        plan = await session.get(CallPlan, plan_id)
        if plan is None or plan.parent_id != person.id:
            return [s.StaleButton()]
        child = await session.get(Child, plan.child_id)
        await drop_plan(session, plan)
        return [ct.PlanRemoved(child.nickname)]

    async def outcome(self, session: AsyncSession, person: Person, call_id: int, outcome: CallOutcome) -> list:
        """The first answer from the family wins; the parent's or a caregiver's, whoever is first."""
        call = await session.get(Call, call_id)
        if call is None or not await self._in_call(session, person, call):
            return [s.StaleButton()]
        now = self.clock()
        moved = await session.execute(
            update(Call)
            .where(Call.id == call.id, Call.outcome.is_(None), Call.status.in_([CallStatus.REMINDED, CallStatus.ASKED]))
            .values(status=CallStatus.DONE, outcome=outcome, outcome_by_id=person.id, outcome_at=now)
        )
        if moved.rowcount != 1:
            return [ct.OutcomeAlreadyNoted()]
        child = await session.get(Child, call.child_id)
        if outcome is CallOutcome.TALKED:
            session.add(
                ContactEvent(
                    parent_id=call.parent_id, child_id=call.child_id, kind=ContactKind.CALL, call_id=call.id, at=now
                )
            )
        by_parent = person.id == call.parent_id
        if outcome is CallOutcome.RESCHEDULE and not by_parent:
            link = await caregiver_link(session, person.id, call.child_id)
            await enqueue(
                session,
                call.parent_id,
                "call_reschedule_asked",
                {"nickname": child.nickname, "child_id": child.id, "who": link.relation.value},
                dedupe_key=f"call:{call.id}:reschedule",
            )
        return [
            ct.OutcomeNoted(child.nickname, outcome, child.id, replan=by_parent and outcome is CallOutcome.RESCHEDULE)
        ]

    # -- moving a plan: proposed by one side, confirmed by the other -------------------------------------------

    async def move_day(self, session: AsyncSession, person: Person, plan_id: int) -> list:
        found = await self._plan_side(session, person, plan_id)
        if found is None:
            return [s.StaleButton()]
        plan, child, zone = found
        return [ct.ChooseMoveDay(plan.id, child.nickname, zone)]

    async def move_time(self, session: AsyncSession, person: Person, plan_id: int, weekday: int) -> list:
        found = await self._plan_side(session, person, plan_id)
        if found is None or not 0 <= weekday <= 6:
            return [s.StaleButton()]
        return [ct.ChooseMoveTime(plan_id, found[1].nickname, weekday, CALL_MINUTES)]

    async def propose(self, session: AsyncSession, person: Person, plan_id: int, weekday: int, minute: int) -> list:
        """A new slot, chosen in the proposer's own zone, kept in the plan's; the other side is asked to agree."""
        found = await self._plan_side(session, person, plan_id)
        if found is None or not 0 <= weekday <= 6 or minute not in CALL_MINUTES:
            return [s.StaleButton()]
        plan, child, zone = found
        at = next_slot(self.clock(), weekday, minute, zone)
        in_plan_zone = at.astimezone(ZoneInfo(plan.timezone))
        await session.execute(
            update(CallProposal)
            .where(CallProposal.plan_id == plan.id, CallProposal.status == ProposalStatus.PENDING)
            .values(status=ProposalStatus.SUPERSEDED)
        )
        proposal = CallProposal(
            plan_id=plan.id,
            proposer_id=person.id,
            weekday=in_plan_zone.weekday(),
            minute_of_day=in_plan_zone.hour * 60 + in_plan_zone.minute,
            created_at=self.clock(),
        )
        session.add(proposal)
        await session.flush()
        by_parent = person.id == plan.parent_id
        home = await home_timezone(session, child)
        if by_parent:
            recipients = [(member.person_id, member.relation, home) for member in await caregivers(session, child.id)]
        else:
            link = await parent_link(session, plan.parent_id, child.id)
            recipients = [(plan.parent_id, link.relation.value, plan.timezone)]
        proposer = await self._relation(session, person, child)
        for recipient_id, _relation, recipient_zone in recipients:
            await enqueue(
                session,
                recipient_id,
                "call_proposal",
                {
                    "proposal_id": proposal.id,
                    "nickname": child.nickname,
                    "who": proposer,
                    "at": at.isoformat(),
                    "timezone": recipient_zone,
                },
                dedupe_key=f"proposal:{proposal.id}:{recipient_id}",
            )
        return [ct.ProposalSent(child.nickname, tuple(relation for _id, relation, _zone in recipients))]

    async def answer_proposal(self, session: AsyncSession, person: Person, proposal_id: int, accept: bool) -> list:
        proposal = await session.get(CallProposal, proposal_id)
        plan = await session.get(CallPlan, proposal.plan_id) if proposal is not None else None
        if plan is None or not await self._answers_for_other_side(session, person, plan, proposal.proposer_id):
            return [s.StaleButton()]
        now = self.clock()
        status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
        answered = await session.execute(
            update(CallProposal)
            .where(CallProposal.id == proposal.id, CallProposal.status == ProposalStatus.PENDING)
            .values(status=status, answered_by_id=person.id, answered_at=now)
        )
        if answered.rowcount != 1:
            return [ct.ProposalClosed()]
        child = await session.get(Child, plan.child_id)
        proposer_zone = plan.timezone if proposal.proposer_id == plan.parent_id else await home_timezone(session, child)
        at = next_slot(now, proposal.weekday, proposal.minute_of_day, plan.timezone)
        answerer = await self._relation(session, person, child)
        if accept:
            await self._move_plan(session, plan, proposal.weekday, proposal.minute_of_day, now)
        await enqueue(
            session,
            proposal.proposer_id,
            "call_proposal_answer",
            {
                "nickname": child.nickname,
                "who": answerer,
                "accepted": accept,
                "at": at.isoformat(),
                "timezone": proposer_zone,
            },
            dedupe_key=f"proposal:{proposal.id}:answer",
        )
        return [ct.ProposalAnswered(child.nickname, accept)]

    async def _move_plan(self, session: AsyncSession, plan: CallPlan, weekday: int, minute: int, now: datetime) -> None:
        """The plan and its next call move; a call already reminded keeps its time."""
        clash = await session.scalar(
            select(CallPlan.id).where(
                CallPlan.parent_id == plan.parent_id,
                CallPlan.child_id == plan.child_id,
                CallPlan.weekday == weekday,
                CallPlan.minute_of_day == minute,
                CallPlan.id != plan.id,
            )
        )
        if clash is not None:
            # The parent already has a call at that slot: this plan simply ends in it.
            await drop_plan(session, plan)
            return
        plan.weekday, plan.minute_of_day = weekday, minute
        await session.execute(
            update(Call)
            .where(Call.plan_id == plan.id, Call.status == CallStatus.SCHEDULED)
            .values(at=next_slot(now, weekday, minute, plan.timezone))
        )

    async def _plan_side(self, session: AsyncSession, person: Person, plan_id: int):
        """(plan, child, the person's zone) when the person is the plan's parent or a caregiver of its child."""
        plan = await session.get(CallPlan, plan_id)
        if plan is None:
            return None
        child = await session.get(Child, plan.child_id)
        if person.id == plan.parent_id and await parent_link(session, person.id, child.id) is not None:
            return plan, child, plan.timezone
        if await caregiver_link(session, person.id, child.id) is not None:
            return plan, child, await home_timezone(session, child)
        return None

    async def _answers_for_other_side(self, session: AsyncSession, person: Person, plan: CallPlan, proposer_id: int):
        """A parent's proposal is confirmed by a caregiver of the child; a caregiver's by the plan's parent."""
        if proposer_id == plan.parent_id:
            return await caregiver_link(session, person.id, plan.child_id) is not None
        return person.id == plan.parent_id and await parent_link(session, person.id, plan.child_id) is not None

    # -- birthdays ----------------------------------------------------------------------------------------------

    async def choose_birthday(self, session: AsyncSession, person: Person, child_id: int) -> list:
        child = await session.get(Child, child_id)
        if child is None or await self._other_side(session, person, child) is None:
            return [s.StaleButton()]
        if child.birth_month is None:
            return [ct.BirthdayMonthUnknown(child.nickname)]
        days = monthrange(LEAP_YEAR, child.birth_month)[1]
        return [ct.ChooseBirthday(child.id, child.nickname, child.birth_month, tuple(range(1, days + 1)))]

    async def set_birthday(self, session: AsyncSession, person: Person, child_id: int, day: int) -> list:
        child = await session.get(Child, child_id)
        if child is None or child.birth_month is None or await self._other_side(session, person, child) is None:
            return [s.StaleButton()]
        if not 1 <= day <= monthrange(LEAP_YEAR, child.birth_month)[1]:
            return [s.StaleButton()]
        birthday = await session.get(ChildBirthday, child.id)
        if birthday is None:
            birthday = ChildBirthday(child_id=child.id, day=day)
            session.add(birthday)
        birthday.day, birthday.updated_at = day, self.clock()
        return [ct.BirthdaySaved(child.nickname, child.birth_month, day)]

    # -- summaries consent (caregivers) -------------------------------------------------------------------------

    async def family_contact(self, session: AsyncSession, person: Person) -> ct.FamilyContact | None:
        """The caregiver's contact settings for the Family menu; None for someone who cares for no child."""
        cared_for = await families.children_of_caregiver(session, person.id)
        if not cared_for:
            return None
        consent = await session.get(SummaryConsent, person.id)
        with_parents = tuple((c.child.id, c.child.nickname) for c in cared_for if c.parents)
        plans = []
        for entry in cared_for:
            home = await home_timezone(session, entry.child)
            rows = await session.execute(
                select(CallPlan, ParentLink.relation)
                .join(
                    ParentLink,
                    (ParentLink.person_id == CallPlan.parent_id) & (ParentLink.child_id == CallPlan.child_id),
                )
                .where(CallPlan.child_id == entry.child.id)
                .order_by(CallPlan.id)
            )
            for plan, relation in rows:
                at = next_slot(self.clock(), plan.weekday, plan.minute_of_day, plan.timezone).astimezone(ZoneInfo(home))
                minute = at.hour * 60 + at.minute
                plans.append(ct.HomePlan(plan.id, entry.child.nickname, relation.value, at.weekday(), minute))
        return ct.FamilyContact(consent is not None and consent.share, with_parents, tuple(plans))

    async def set_consent(self, session: AsyncSession, person: Person, share: bool) -> list:
        if not await families.children_of_caregiver(session, person.id):
            return [s.StaleButton()]
        consent = await session.get(SummaryConsent, person.id)
        if consent is None:
            consent = SummaryConsent(person_id=person.id)
            session.add(consent)
        consent.share, consent.updated_at = share, self.clock()
        return [ct.SummaryConsentChanged(share)]

    # -- the relay ----------------------------------------------------------------------------------------------

    async def ask_relay(self, session: AsyncSession, person: Person, child_id: int) -> list:
        """ "✉️ Message the family": the next message the person sends goes to the other side of the child."""
        child = await session.get(Child, child_id)
        side = await self._other_side(session, person, child) if child is not None else None
        if side is None:
            return [s.StaleButton()]
        if not side:
            return [ct.RelayImpossible(child.nickname, ())]
        await store.begin(session, person.id, RELAY_FLOW, RELAY_STEP, child_id=child.id)
        return [ct.AskRelay(child.nickname, tuple(member.relation for member in side))]

    async def ask_reply(self, session: AsyncSession, person: Person, relay_id: int) -> list:
        """The reply button under a relayed message: only its recipient, and only while still linked."""
        relay = await session.get(Relay, relay_id)
        if relay is None or relay.recipient_id != person.id:
            return [s.StaleButton()]
        return await self.ask_relay(session, person, relay.child_id)

    async def relay(self, session: AsyncSession, person: Person, message: Incoming) -> list | None:
        """Pass the message on; None when the person did not ask to message the family."""
        conversation = await store.current(session, person.id)
        if conversation is None or conversation.flow != RELAY_FLOW:
            return None
        await store.end(session, conversation)
        return await self.relay_offered(session, person, conversation.data["child_id"], message)

    async def offer_relay(
        self, session: AsyncSession, person: Person, message: Incoming, *, as_caregiver: bool = False
    ) -> list | None:
        """A message sent without "✉️ Message the family" first: offer to pass it on with one tap, rather than
        drop it or pass it on by accident. Parents are offered their children's caregivers; with `as_caregiver`,
        caregivers are offered the parents. None when there is nobody to offer it to."""
        if as_caregiver:
            children = [link.child for link in await families.children_of_caregiver(session, person.id)]
        else:
            children = await families.children_of_parent(session, person.id)
        offers = []
        for child in children:
            side = [member for member in await self._other_side(session, person, child) or [] if member.reachable]
            if side:
                offers.append(ct.RelayOffer(child.id, child.nickname, tuple(member.relation for member in side)))
        return [ct.OfferRelay(message.message_id, tuple(offers))] if offers else None

    async def relay_offered(self, session: AsyncSession, person: Person, child_id: int, message: Incoming) -> list:
        """Pass the message on to the other side of the child, checked against the person's own links. A message
        already passed on is not sent twice (a second tap on an offer)."""
        child = await session.get(Child, child_id)
        side = await self._other_side(session, person, child) if child is not None else None
        passed_on = await session.scalar(
            select(Relay.id).where(
                Relay.sender_id == person.id,
                Relay.source_chat_id == message.chat_id,
                Relay.source_message_id == message.message_id,
            )
        )
        if side is None or passed_on is not None:
            return [s.StaleButton()]
        reachable = [member for member in side if member.reachable]
        unreachable = tuple(member.relation for member in side if not member.reachable)
        if not reachable:
            return [ct.RelayImpossible(child.nickname, unreachable)]
        sender_relation = await self._relation(session, person, child)
        now = self.clock()
        home = await home_timezone(session, child)
        for member in reachable:
            # Passed on at once, day and night, but without a sound at night in the recipient's own time.
            zone = await self._zone_of(session, member.person_id, child.id) or home
            silent = in_quiet_hours(now, zone)
            relay = Relay(
                child_id=child.id,
                sender_id=person.id,
                recipient_id=member.person_id,
                source_chat_id=message.chat_id,
                source_message_id=message.message_id,
                created_at=now,
            )
            session.add(relay)
            await session.flush()
            # Two rows, label then copy: Telegram cannot put a label on a copied text or video note.
            await enqueue(
                session,
                member.person_id,
                "relay_label",
                {"relay_id": relay.id, "who": sender_relation, "nickname": child.nickname, "silent": silent},
                dedupe_key=f"relay:{relay.id}:label",
            )
            await enqueue(
                session,
                member.person_id,
                "relay_copy",
                {"from_chat_id": message.chat_id, "message_id": message.message_id, "silent": silent},
                dedupe_key=f"relay:{relay.id}:copy",
            )
        if await parent_link(session, person.id, child.id) is not None:
            session.add(ContactEvent(parent_id=person.id, child_id=child.id, kind=ContactKind.MESSAGE, at=now))
        return [ct.RelaySent(child.nickname, tuple(member.relation for member in reachable), unreachable)]

    # -- checks -------------------------------------------------------------------------------------------------

    async def _parents_child(self, session: AsyncSession, person: Person, child_id: int) -> Child | None:
        if await parent_link(session, person.id, child_id) is None:
            return None
        return await session.get(Child, child_id)

    async def _zone(self, session: AsyncSession, child: Child | None, zone_index: int) -> str | None:
        if child is None:
            return None
        zones = zone_choices(await home_timezone(session, child))
        return zones[zone_index] if 0 <= zone_index < len(zones) else None

    async def _in_call(self, session: AsyncSession, person: Person, call: Call) -> bool:
        if person.id == call.parent_id:
            return await parent_link(session, person.id, call.child_id) is not None
        return await caregiver_link(session, person.id, call.child_id) is not None

    async def _other_side(self, session: AsyncSession, person: Person, child: Child):
        """Whom a message from this person about the child goes to: a caregiver writes to the parents, a parent
        to the caregivers; None when the person is linked to the child in neither way."""
        if await caregiver_link(session, person.id, child.id) is not None:
            return [member for member in await parents(session, child.id) if member.person_id != person.id]
        if await parent_link(session, person.id, child.id) is not None:
            return await caregivers(session, child.id)
        return None

    async def _zone_of(self, session: AsyncSession, person_id: int, child_id: int) -> str | None:
        """A parent's own time zone, from their call plan for the child; None for a caregiver (at home)."""
        return await session.scalar(
            select(CallPlan.timezone)
            .where(CallPlan.parent_id == person_id, CallPlan.child_id == child_id)
            .order_by(CallPlan.id.desc())
            .limit(1)
        )

    async def _relation(self, session: AsyncSession, person: Person, child: Child) -> str:
        link = await caregiver_link(session, person.id, child.id) or await parent_link(session, person.id, child.id)
        return link.relation.value


def _view(plan: CallPlan) -> ct.PlanView:
    return ct.PlanView(plan.id, plan.weekday, plan.minute_of_day, plan.timezone)


async def drop_plan(session: AsyncSession, plan: CallPlan) -> None:
    await session.execute(
        update(Call)
        .where(Call.plan_id == plan.id, Call.status == CallStatus.SCHEDULED)
        .values(status=CallStatus.CANCELLED)
    )
    # Calls already under way keep their question afterwards; they only lose the link to the plan.
    await session.execute(update(Call).where(Call.plan_id == plan.id).values(plan_id=None))
    await session.delete(plan)
    await session.flush()
