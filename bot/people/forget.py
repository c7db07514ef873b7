"""Deleting a person's data on request, as the consent text promises: the person, their links and everything
written by or about them through the bot, and any child left with nobody linked, with that child's check-ins
and cases.

The database's ON DELETE rules do the fan-out (links, check-ins, schedules, messages queued for them,
conversations, relays cascade; authorship on cases and events becomes "someone who left"). What those rules
cannot reach is done here first: what they wrote that stays on a child's case (notes, words, voice references)
is cleared, messages queued for others that carry their words or their relayed messages are dropped, invites
they handed out stop working, and audit rows and case events name a pseudonym instead of their id. Counsellors
leave their schools first, so their open cases go back to Unassigned and the other counsellors are told rather
than the cases quietly losing their owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.cases import staff
from bot.cases.models import Case, CaseEvent, EventKind, Flag, Referral
from bot.contact.models import Relay
from bot.families.models import CaregiverLink, Child, Household, ParentLink
from bot.invites.models import Invite
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.people.models import Person
from bot.privacy.pseudonymise import new_pseudonym, pseudonymise
from bot.schools.models import RegionSupervisor, SchoolCounsellor


@dataclass(frozen=True)
class Forgotten:
    person_id: int
    children_deleted: int
    cases_returned: int
    words_cleared: int  # notes, replies, flag notes and voice references they left on cases that stay
    messages_dropped: int  # queued for others, carrying their words or what they relayed
    invites_deleted: int
    audit_rows_pseudonymised: int


async def forget(session: AsyncSession, telegram_user_id: int, now: datetime) -> Forgotten | None:
    """None when nobody with that Telegram id uses Shouhu."""
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if person is None:
        return None
    returned = 0
    schools = await session.scalars(select(SchoolCounsellor.school_id).where(SchoolCounsellor.person_id == person.id))
    for school_id in schools.all():
        removal = await staff.remove_counsellor(
            session, school_id=school_id, telegram_user_id=telegram_user_id, now=now
        )
        returned += len(removal.returned_case_ids)
    regions = await session.scalars(select(RegionSupervisor.region).where(RegionSupervisor.person_id == person.id))
    for region in regions.all():
        await staff.remove_supervisor(session, region=region, telegram_user_id=telegram_user_id)
    child_ids = set(
        (await session.scalars(select(CaregiverLink.child_id).where(CaregiverLink.person_id == person.id))).all()
    ) | set((await session.scalars(select(ParentLink.child_id).where(ParentLink.person_id == person.id))).all())
    person_id = person.id
    dropped = await _drop_messages_carrying(session, person)
    cleared = await _clear_words(session, person_id)
    invites = await session.execute(delete(Invite).where(Invite.created_by_id == person_id))
    pseudonym = new_pseudonym()
    pseudonymised = await pseudonymise(session, person_id, pseudonym)
    await session.delete(person)
    await session.flush()
    deleted = 0
    for child_id in sorted(child_ids):
        linked = exists().where(CaregiverLink.child_id == child_id) | exists().where(ParentLink.child_id == child_id)
        if await session.scalar(select(linked)):
            continue
        child = await session.get(Child, child_id)
        household_id = child.household_id
        await session.delete(child)
        await session.flush()
        deleted += 1
        if not await session.scalar(select(exists().where(Child.household_id == household_id))):
            await session.execute(delete(Household).where(Household.id == household_id))
    audit.record(session, "person.forgotten", "person", None, actor="cli", subject=pseudonym, children_deleted=deleted)
    return Forgotten(person_id, deleted, returned, cleared, dropped, invites.rowcount, pseudonymised)


async def _clear_words(session: AsyncSession, person_id: int) -> int:
    """Their words and voice references on cases that stay (other people's children, or shared ones)."""
    flags = await session.execute(
        update(Flag)
        .where(Flag.raised_by_id == person_id, or_(Flag.note.is_not(None), Flag.voice_file_id.is_not(None)))
        .values(note=None, voice_file_id=None)
    )
    referrals = await session.execute(
        update(Referral).where(Referral.created_by_id == person_id, Referral.note.is_not(None)).values(note=None)
    )
    events = (
        await session.scalars(select(CaseEvent).where(CaseEvent.actor_id == person_id, CaseEvent.text.is_not(None)))
    ).all()
    for event in events:
        event.text = None
        if event.kind is EventKind.CLOSED:
            await session.execute(update(Case).where(Case.id == event.case_id).values(closure_note=None))
    return flags.rowcount + referrals.rowcount + len(events)


async def _drop_messages_carrying(session: AsyncSession, person: Person) -> int:
    """Messages still waiting for someone else that carry this person's words or relayed messages: their relays
    (a copy is made from their chat at send time), their replies to a counsellor, the words of their flags.
    An alert about their flag still goes, without their words: the counsellors must still hear of the child."""
    relay_ids = set(
        (
            await session.scalars(
                select(Relay.id).where(or_(Relay.sender_id == person.id, Relay.recipient_id == person.id))
            )
        ).all()
    )
    flag_ids = set((await session.scalars(select(Flag.id).where(Flag.raised_by_id == person.id))).all())
    replied_cases = set(
        (
            await session.scalars(
                select(CaseEvent.case_id).where(
                    CaseEvent.actor_id == person.id, CaseEvent.kind == EventKind.CAREGIVER_REPLY
                )
            )
        ).all()
    )
    waiting = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.person_id != person.id, OutboxMessage.status == OutboxStatus.PENDING)
        .with_for_update()
    )
    dropped = 0
    for message in waiting.all():
        params = message.params
        if (
            params.get("relay_id") in relay_ids
            or params.get("from_chat_id") == person.chat_id
            or (message.kind == "caregiver_reply" and params.get("case_id") in replied_cases)
        ):
            await session.delete(message)
            dropped += 1
        elif message.kind == "case_alert" and params.get("flag_id") in flag_ids:
            message.private_params = None
            message.params = {**params, "has_voice": False}
            dropped += 1
    return dropped
