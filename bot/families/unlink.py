"""Unlinking a parent from a child (`parent unlink`), e.g. when the family asks: the link goes, their call plans
with the child stop, and what still waits to be sent is taken back: messages to them about the child, and the
reminders and questions about their calls and the relays they sent or were sent. What they already shared
stays in the child's record; `data forget` deletes a person entirely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.contact.models import Call, CallPlan, CallStatus, Relay
from bot.contact.service import drop_plan
from bot.errors import InvalidInput
from bot.families.models import Child, ParentLink
from bot.outbox.cancel import cancel_keyed, cancel_pending
from bot.people.models import Person

UNDER_WAY = (CallStatus.SCHEDULED, CallStatus.REMINDED, CallStatus.ASKED)


@dataclass(frozen=True)
class Unlinked:
    person_id: int
    child_id: int
    relation: str
    plans_removed: int
    cancelled_messages: int


async def unlink_parent(
    session: AsyncSession, *, telegram_user_id: int, child_id: int | None, now: datetime
) -> Unlinked:
    """`child_id` may be left out when the person is the parent of one child only."""
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if person is None:
        raise InvalidInput("unknown_person", f"nobody with Telegram id {telegram_user_id} uses Shouhu")
    links = (await session.scalars(select(ParentLink).where(ParentLink.person_id == person.id))).all()
    if child_id is not None:
        links = [link for link in links if link.child_id == child_id]
    if not links:
        which = f"child {child_id}" if child_id is not None else "any child"
        raise InvalidInput("not_a_parent", f"Telegram id {telegram_user_id} is not a linked parent of {which}")
    if len(links) > 1:
        children = ", ".join(str(link.child_id) for link in links)
        raise InvalidInput("which_child", f"they are a parent of children {children}: say which with --child ID")
    link = links[0]
    child = await session.get(Child, link.child_id)
    plans = (
        await session.scalars(select(CallPlan).where(CallPlan.parent_id == person.id, CallPlan.child_id == child.id))
    ).all()
    for plan in plans:
        await drop_plan(session, plan)
    calls = (
        await session.scalars(
            select(Call.id).where(Call.parent_id == person.id, Call.child_id == child.id, Call.status.in_(UNDER_WAY))
        )
    ).all()
    await session.execute(update(Call).where(Call.id.in_(calls)).values(status=CallStatus.CANCELLED))
    relays = (
        await session.scalars(
            select(Relay.id).where(
                Relay.child_id == child.id, or_(Relay.sender_id == person.id, Relay.recipient_id == person.id)
            )
        )
    ).all()
    cancelled = await cancel_keyed(session, [f"call:{id_}:" for id_ in calls] + [f"relay:{id_}:" for id_ in relays])
    # Messages for parents name the child by nickname; some carry its id too.
    cancelled += await cancel_pending(
        session,
        person.id,
        lambda params: params.get("child_id") == child.id or params.get("nickname") == child.nickname,
    )
    relation = link.relation.value
    await session.delete(link)
    audit.record(session, "parent.unlinked", "child", child.id, actor="cli", person_id=person.id, relation=relation)
    return Unlinked(person.id, child.id, relation, len(plans), cancelled)
