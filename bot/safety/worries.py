"""Worries that cannot wait for Sunday: the "I'm worried" button, and free text that reads as risk.

Both raise a flag at once and answer with the safety reply. Words or a voice note sent after 🆘 and the choice
of a child (before or after saying what is happening) are about that child: they join its flag, or flag it alone,
and the counsellors' alert shows them. Free text a caregiver or parent sends outside any flow is scanned too; when
it reads as risk and the person has several children, every one of them is flagged, because a missed flag costs
far more than a counsellor closing one that was about a sibling.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import alerts
from bot.cases.flags import Evidence, Raised, raise_flag
from bot.cases.models import Case, Flag, FlagSource
from bot.cases.severity import Level, most_severe
from bot.checkins import screens as cs
from bot.checkins.questionnaire import REASON_FREE_TEXT_CONCERN, REASON_FREE_TEXT_URGENT, CheckinContent
from bot.clock import Clock
from bot.content import ContentPack
from bot.conversations import store
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
CHILD_STEP = "child"  # a child was chosen, what is happening not yet said
NOTE_STEP = "note"


def _reasons_of(level: Level) -> tuple[str, ...]:
    return (REASON_FREE_TEXT_URGENT if level is Level.URGENT else REASON_FREE_TEXT_CONCERN,)


class Worries:
    def __init__(
        self,
        content: ContentPack,
        checkins: CheckinContent,
        scanner: Scanner,
        clock: Clock,
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
        if child is None:
            return [s.StaleButton()]
        # Words typed instead of a choice are about this child, not about every child of the family.
        await store.begin(session, person.id, NOTE_FLOW, CHILD_STEP, child_id=child.id)
        return [self._ask(child)]

    async def worry(self, session: AsyncSession, person: Person, child_id: int, choice_id: str) -> list:
        child = await self._child(session, person, child_id)
        choice = next((c for c in self.texts.worried.choices if c.id == choice_id), None)
        if child is None or choice is None:
            return [s.StaleButton()]
        raised = await self._flag(session, person, child, choice.level, FlagSource.WORRIED, (choice.reason,), None)
        screens: list = [await self._advice(session, child, choice.level, raised)]
        if raised.held_back:
            screens.append(cs.FlagHeldBack(child.nickname))
        # Whatever the choice, words or a voice note sent next are kept on this flag for the counsellor.
        await store.begin(session, person.id, NOTE_FLOW, NOTE_STEP, flag_id=raised.flag.id)
        prompt = choice.ask_details or self.texts.worried.listen
        ask_phone = await phone_of(session, person.id) is None  # the counsellor will phone: on which number?
        screens.append(cs.AskWorryNote(child.nickname, prompt, ask_phone))
        return screens

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
        if conversation.step == CHILD_STEP:
            child = await self._child(session, person, conversation.data["child_id"])
            if child is None:
                return [s.StaleButton()]
            return await self._words_first(session, person, child, text, voice_file_id)
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
            raised = await self._flag(session, person, child, level, FlagSource.MESSAGE, _reasons_of(level), text)
            screens.insert(0, await self._advice(session, child, level, raised))
        else:
            # The counsellors' one alert about the case shows the words, and a voice note to play from the card.
            await alerts.add_words(session, flag)
        return screens

    async def _words_first(
        self, session: AsyncSession, person: Person, child: Child, text: str | None, voice_file_id: str | None
    ) -> list:
        """Words after choosing the child but before a choice: the choice that asks for words, said at once."""
        choice = next((c for c in self.texts.worried.choices if c.ask_details is not None), None)
        scanned = level_of_scan(self.scanner.scan(text)) if text else Level.NONE
        level = most_severe(scanned, choice.level if choice is not None else Level.NONE)
        if level is Level.NONE:
            return [self._ask(child)]
        reasons = ((choice.reason,) if choice is not None else ()) + (
            _reasons_of(scanned) if scanned is not Level.NONE else ()
        )
        raised = await raise_flag(
            session,
            child=child,
            level=level,
            source=FlagSource.WORRIED,
            evidence=Evidence(reasons=reasons, note=text.strip() if text else None, voice_file_id=voice_file_id),
            raised_by_id=person.id,
            now=self.clock(),
        )
        return [await self._advice(session, child, level, raised), cs.NoteReceived(child.nickname)]

    async def message(
        self, session: AsyncSession, person: Person, text: str, *, about_case_id: int | None = None
    ) -> list | None:
        """Free text outside a 🆘 flow: the safety reply and flags when it reads as risk, else None.

        Words in answer to the counselling room about a case (`about_case_id`) are about that case's child alone.
        """
        level = level_of_scan(self.scanner.scan(text))
        if level is Level.NONE:
            return None
        children = await families.children_in_care_of(session, person.id)
        if about_case_id is not None:
            case = await session.get(Case, about_case_id)
            children = [child for child in children if case is not None and child.id == case.child_id] or children
        if not children:
            return None
        raised = [
            await self._flag(session, person, child, level, FlagSource.MESSAGE, _reasons_of(level), text)
            for child in children
        ]
        advice = await self._advice(session, children[0], level, *raised)
        screens: list = [replace(advice, nickname=" / ".join(child.nickname for child in children))]
        if held_back := [child.nickname for child, r in zip(children, raised, strict=True) if r.held_back]:
            screens.append(cs.FlagHeldBack(" / ".join(held_back)))
        return screens

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

    async def _advice(self, session: AsyncSession, child: Child, level: Level, *raised: Raised) -> cs.SafetyAdvice:
        """The safety reply; it says someone was told only if someone reachable has the alert of each case."""
        school = await session.get(School, child.school_id)
        region = region_by_key(self.content, school.hotline_region)
        told = all([await alerts.anyone_told(session, r.case.id) for r in raised])
        return cs.SafetyAdvice(level, child.nickname, region, self.texts.safety, told=told)
