"""Worries that cannot wait for Sunday: the "I'm worried" button, and free text that reads as risk.

Both raise a flag at once and answer with the safety reply. Free text a caregiver or parent sends outside any
question is scanned too; when it reads as risk and the person has several children, every one of them is
flagged, because a missed flag costs far more than a counsellor closing one that was about a sibling.
Words or a voice note sent after the button join its flag and reach the counsellor at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import Case, Flag, FlagSource
from bot.cases.replies import tell_counsellors
from bot.cases.severity import Level
from bot.checkins import screens as cs
from bot.checkins.questionnaire import REASON_FREE_TEXT_CONCERN, REASON_FREE_TEXT_URGENT, CheckinContent
from bot.content import ContentPack
from bot.conversations import store
from bot.db.base import utcnow
from bot.families import service as families
from bot.families.models import Child
from bot.onboarding import screens as s
from bot.people.models import Person
from bot.risk import Scanner
from bot.safety.hotlines import region_by_key
from bot.safety.levels import level_of_scan
from bot.safety.phones import as_phone_number, phone_of, save_phone
from bot.schools.models import School

NOTE_FLOW = "worry_note"
NOTE_STEP = "note"


def _reasons_of(level: Level) -> tuple[str, ...]:
    return (REASON_FREE_TEXT_URGENT if level is Level.URGENT else REASON_FREE_TEXT_CONCERN,)


class Worries:
    def __init__(
        self,
        content: ContentPack,
        checkins: CheckinContent,
        scanner: Scanner,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.content = content
        self.texts = checkins
        self.scanner = scanner
        self.clock = clock

    async def from_menu(self, session: AsyncSession, person: Person) -> list | None:
        """The "I'm worried" button; None for someone with no child, who gets the hotlines alone."""
        children = await families.children_in_care_of(session, person.id)
        if not children:
            return None
        if len(children) == 1:
            return [self._ask(children[0])]
        return [cs.ChooseChildForWorry(tuple(cs.ChildChoice(child.id, child.nickname) for child in children))]

    async def choose_child(self, session: AsyncSession, person: Person, child_id: int) -> list:
        child = await self._child(session, person, child_id)
        return [s.StaleButton()] if child is None else [self._ask(child)]

    async def worry(self, session: AsyncSession, person: Person, child_id: int, choice_id: str) -> list:
        child = await self._child(session, person, child_id)
        choice = next((c for c in self.texts.worried.choices if c.id == choice_id), None)
        if child is None or choice is None:
            return [s.StaleButton()]
        raised = await self._flag(session, person, child, choice.level, FlagSource.WORRIED, (choice.reason,), None)
        # Whatever the choice, words or a voice note sent next are kept on this flag for the counsellor.
        await store.begin(session, person.id, NOTE_FLOW, NOTE_STEP, flag_id=raised.flag.id)
        prompt = choice.ask_details or self.texts.worried.listen
        ask_phone = await phone_of(session, person.id) is None  # the counsellor will phone: on which number?
        return [await self._advice(session, child, choice.level), cs.AskWorryNote(child.nickname, prompt, ask_phone)]

    async def note(
        self, session: AsyncSession, person: Person, *, text: str | None = None, voice_file_id: str | None = None
    ) -> list | None:
        """The few words after "something else"; None when no such note is awaited."""
        conversation = await store.current(session, person.id)
        if conversation is None or conversation.flow != NOTE_FLOW:
            return None
        number = as_phone_number(text) if text is not None else None
        if number is not None:
            # Only a number: kept for the counsellor's call, and words or a voice note may still follow.
            await save_phone(session, person.id, number, self.clock())
            return [cs.PhoneSaved()]
        await store.end(session, conversation)
        flag = await session.get(Flag, conversation.data["flag_id"])
        if flag is None:
            return None
        if text is not None:
            flag.note = text.strip()
        if voice_file_id is not None:
            flag.voice_file_id = voice_file_id
        case = await session.get(Case, flag.case_id)
        child = await session.get(Child, case.child_id)
        screens: list = [cs.NoteReceived(child.nickname)]
        level = level_of_scan(self.scanner.scan(text)) if text else Level.NONE
        if level.rank > flag.level.rank:
            # The words say more than the button did: a new, higher flag reaches the counsellors again.
            await self._flag(session, person, child, level, FlagSource.MESSAGE, _reasons_of(level), text)
            screens.insert(0, await self._advice(session, child, level))
        else:
            # The alert went out already: whoever handles the case hears the words or the voice note now.
            await tell_counsellors(session, case, words=flag.note or "", voice=voice_file_id is not None)
        return screens

    async def message(self, session: AsyncSession, person: Person, text: str) -> list | None:
        """Free text outside any flow: the safety reply and flags when it reads as risk, else None."""
        level = level_of_scan(self.scanner.scan(text))
        if level is Level.NONE:
            return None
        children = await families.children_in_care_of(session, person.id)
        if not children:
            return None
        for child in children:
            await self._flag(session, person, child, level, FlagSource.MESSAGE, _reasons_of(level), text)
        advice = await self._advice(session, children[0], level)
        return [replace(advice, nickname=" / ".join(child.nickname for child in children))]

    async def _child(self, session: AsyncSession, person: Person, child_id: int) -> Child | None:
        children = await families.children_in_care_of(session, person.id)
        return next((child for child in children if child.id == child_id), None)

    def _ask(self, child: Child) -> cs.AskWorry:
        menu = self.texts.worried
        return cs.AskWorry(child.id, child.nickname, menu.prompt, tuple(menu.choices))

    async def _flag(self, session, person, child, level, source, reasons, note):
        return await raise_flag(
            session,
            child=child,
            level=level,
            source=source,
            evidence=Evidence(reasons=tuple(reasons), note=note),
            raised_by_id=person.id,
            now=self.clock(),
        )

    async def _advice(self, session: AsyncSession, child: Child, level: Level) -> cs.SafetyAdvice:
        school = await session.get(School, child.school_id)
        region = region_by_key(self.content, school.hotline_region)
        return cs.SafetyAdvice(level, child.nickname, region, self.texts.safety)
