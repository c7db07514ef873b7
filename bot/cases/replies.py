"""A caregiver answers the counselling room: the reply joins the case and reaches its counsellor.

The caregiver sees only the messages sent to them; the press on "Reply" is checked against their own links to
the child, so an old or forged button cannot attach words to someone else's case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import routing
from bot.cases import screens as cx
from bot.cases.models import Case, CaseStatus, EventKind
from bot.cases.timeline import add_event
from bot.clock import Clock
from bot.conversations import store
from bot.families import service as families
from bot.families.models import Child
from bot.onboarding import screens as s
from bot.outbox.enqueue import enqueue
from bot.outbox.models import Priority
from bot.people.models import Person
from bot.schools.models import School

FLOW = "case_reply"
REPLY_MAX = 2000


class Replies:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def start(self, session: AsyncSession, person: Person, case_id: int) -> list:
        case = await self._case(session, person, case_id)
        if case is None:
            return [s.StaleButton()]
        await store.begin(session, person.id, FLOW, "reply", case_id=case.id)
        school = await session.get(School, case.school_id)
        return [cx.ReplyPrompt(school.name)]

    async def reply(
        self, session: AsyncSession, person: Person, *, text: str | None = None, voice_file_id: str | None = None
    ) -> list | None:
        """The caregiver's words or voice note for the counselling room; None when no reply is awaited."""
        conversation = await store.current(session, person.id)
        if conversation is None or conversation.flow != FLOW:
            return None
        case = await self._case(session, person, conversation.data["case_id"])
        await store.end(session, conversation)
        if case is None:
            return [s.StaleButton()]
        return await add_reply(session, person, case, text=text, voice_file_id=voice_file_id, now=self.clock())

    async def _case(self, session: AsyncSession, person: Person, case_id: int) -> Case | None:
        case = await session.get(Case, case_id)
        if case is None or case.status is CaseStatus.CLOSED:
            return None
        if await families.child_for_caregiver(session, person.id, case.child_id) is None:
            return None
        return case


async def add_reply(
    session: AsyncSession,
    person: Person,
    case: Case,
    *,
    text: str | None = None,
    voice_file_id: str | None = None,
    now: datetime,
) -> list:
    """Words or a voice note from the family join the case's timeline and reach its counsellor."""
    words = (text or "").strip()[:REPLY_MAX]
    add_event(
        session,
        case,
        EventKind.CAREGIVER_REPLY,
        actor_id=person.id,
        now=now,
        text=voice_file_id or words,
        voice=voice_file_id is not None,
    )
    if case.status is CaseStatus.TAKEN:
        case.status = CaseStatus.IN_CONTACT
        add_event(session, case, EventKind.IN_CONTACT, actor_id=None, now=now)
    await tell_counsellors(session, case, words=words, voice=voice_file_id is not None)
    school = await session.get(School, case.school_id)
    return [cx.ReplySent(school.name)]


async def tell_counsellors(session: AsyncSession, case: Case, *, words: str, voice: bool) -> None:
    """The case's counsellor, or else the school's reachable room (routing.py), hear at once that the family sent
    something."""
    child = await session.get(Child, case.child_id)
    school = await session.get(School, case.school_id)
    recipients, _audience = await routing.recipients_for(session, case, school, only_assignee=True)
    for counsellor_id in recipients:
        await enqueue(
            session,
            counsellor_id,
            "caregiver_reply",
            {"case_id": case.id, "nickname": child.nickname, "voice": voice},
            private={"text": words},
            priority=Priority.URGENT if case.severity.value == "urgent" else Priority.NORMAL,
        )
