"""Words and voice notes sent outside any question that read as no risk: none is a dead end.

An everyday question ("孩子发烧怎么办") gets the content pack's pointer to local help. A voice note, or a whole
message for the counsellor, joins the open case of a child in the person's care, or else reaches the counsellor
as a routine flag. (Risk is read first, in worries.py; the family relay is offered in contact/service.py.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import Case, CaseStatus, FlagSource
from bot.cases.replies import add_reply
from bot.cases.severity import Level
from bot.checkins import screens as cs
from bot.checkins.questionnaire import REASON_FOR_COUNSELLOR, CheckinContent
from bot.clock import Clock
from bot.families import service as families
from bot.people.models import Person

# Typed words go to the counsellor when they are this long, or name the counsellor and are at least
# MENTION_LENGTH long: a whole message, not a "谢谢老师".
LONG_MESSAGE = 30
MENTION_LENGTH = 8


class Unprompted:
    def __init__(self, checkins: CheckinContent, clock: Clock) -> None:
        self.safety = checkins.safety
        self.clock = clock

    def pointer(self, text: str) -> list | None:
        """An everyday question gets the content pack's pointer to local help; None otherwise."""
        pointer = self.safety.pointer_for(text)
        return None if pointer is None else [cs.Pointer(pointer.reply)]

    async def for_counsellor(
        self,
        session: AsyncSession,
        person: Person,
        *,
        text: str | None = None,
        voice_file_id: str | None = None,
        open_case_only: bool = False,
    ) -> list | None:
        """A voice note, or a whole message: it joins the open case of a child in the person's care; with no case
        open (and not `open_case_only`) it reaches the counsellor as a routine flag. None when it is not for the
        counsellor, or the person has no child."""
        if text is not None and not self._addressed(text):
            return None
        children = await families.children_in_care_of(session, person.id)
        if not children:
            return None
        case = await session.scalar(
            select(Case)
            .where(Case.child_id.in_([child.id for child in children]), Case.status != CaseStatus.CLOSED)
            .order_by(Case.updated_at.desc(), Case.id.desc())
        )
        if case is not None:
            return await add_reply(session, person, case, text=text, voice_file_id=voice_file_id, now=self.clock())
        if open_case_only:
            return None
        evidence = Evidence(reasons=(REASON_FOR_COUNSELLOR,), note=text, voice_file_id=voice_file_id)
        for child in children:
            await raise_flag(
                session,
                child=child,
                level=Level.ROUTINE,
                source=FlagSource.MESSAGE,
                evidence=evidence,
                raised_by_id=person.id,
                now=self.clock(),
            )
        return [cs.NoteReceived(" / ".join(child.nickname for child in children))]

    def _addressed(self, text: str) -> bool:
        words = text.strip()
        if len(words) >= LONG_MESSAGE:
            return True
        return len(words) >= MENTION_LENGTH and self.safety.names_counsellor(words)
