"""Answering a check-in: one question a message, answers saved as they come, flags raised the moment they show.

A button carries the check-in and the question it answers. A press counts only when that question is the one
the check-in waits for, so a second press, an old screen or forged data answers nothing twice. A red flag is
raised as soon as it is answered, not at the end: a caregiver may stop half-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import alerts
from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import Flag, FlagSource
from bot.cases.severity import Level
from bot.checkins import planning
from bot.checkins import screens as cs
from bot.checkins.models import Checkin, CheckinOrigin, CheckinSchedule, CheckinStatus
from bot.checkins.questionnaire import ANSWERED, SKIPPED, Assessment, CheckinContent, History, Question, assess
from bot.checkins.timing import local_date
from bot.clock import Clock
from bot.contact.lapse import contact_lapsed
from bot.content import ContentPack
from bot.families import service as families
from bot.families.models import Child
from bot.guidance.service import Guidance
from bot.onboarding import screens as s
from bot.people.models import Person
from bot.risk import Scanner
from bot.safety.hotlines import region_by_key
from bot.safety.levels import level_of_scan
from bot.schools.models import School

# The times a caregiver can pick for the weekly check-in: daytime and evening, all before quiet hours.
SLOT_MINUTES = tuple(hour * 60 for hour in (8, 10, 12, 15, 17, 18, 19, 20, 21))
SKIP = "skip"  # the option id the skip button of a free-text question carries
HISTORY_WEEKS = 4
# How far back "last week's" check-in may lie: a week plus slack for a late answer.
LAST_WEEK = timedelta(days=10)


@dataclass(frozen=True)
class _Pair:
    checkin: Checkin
    child: Child
    school: School


class Checkins:
    def __init__(
        self,
        content: ContentPack,
        checkins: CheckinContent,
        scanner: Scanner,
        clock: Clock,
        guidance: Guidance | None = None,
    ) -> None:
        self.content = content
        self.texts = checkins
        self.questionnaire = checkins.weekly
        self.scanner = scanner
        self.clock = clock
        self.guidance = guidance  # plans the tip a finished check-in's answers call for

    # -- starting ---------------------------------------------------------------------------------------------

    async def from_menu(self, session: AsyncSession, person: Person) -> list:
        """The main menu's check-in button: straight in with one child, else which child."""
        children = await families.children_of_caregiver(session, person.id)
        if not children:
            return [s.StaleButton()]
        if len(children) == 1:
            return await self.begin(session, person, children[0].child.id)
        return [cs.ChooseChildForCheckin(tuple(cs.ChildChoice(c.child.id, c.child.nickname) for c in children))]

    async def begin(self, session: AsyncSession, person: Person, child_id: int) -> list:
        """A check-in the caregiver asked for: resume the open one, or start one, at most one a child a day."""
        child = await families.child_for_caregiver(session, person.id, child_id)
        if child is None:
            return [s.StaleButton()]
        now = self.clock()
        open_one = await session.scalar(
            select(Checkin)
            .where(
                Checkin.caregiver_id == person.id,
                Checkin.child_id == child.id,
                Checkin.status == CheckinStatus.OPEN,
            )
            .order_by(Checkin.due_at.desc())
        )
        if open_one is not None:
            return await self._prompt(session, await self._pair(session, open_one))
        school = await session.get(School, child.school_id)
        last_done = await session.scalar(
            select(func.max(Checkin.completed_at)).where(
                Checkin.caregiver_id == person.id, Checkin.child_id == child.id
            )
        )
        if last_done is not None and local_date(last_done, school.timezone) == local_date(now, school.timezone):
            return [cs.CheckinDoneToday(child.nickname)]
        checkin = Checkin(
            child_id=child.id,
            caregiver_id=person.id,
            origin=CheckinOrigin.ON_DEMAND,
            status=CheckinStatus.OPEN,
            questionnaire_version=self.questionnaire.version,
            due_at=now,
            opened_at=now,
            answers=await planning.opening_answers(session, self.questionnaire, person.id, child, now, opening=None),
        )
        session.add(checkin)
        await session.flush()
        return await self._prompt(session, _Pair(checkin, child, school))

    async def resume(self, session: AsyncSession, person: Person, checkin_id: int) -> list:
        """The start button of an invitation or a reminder, or "go on" after the safety reply."""
        pair = await self._own(session, person, checkin_id)
        if pair is None:
            return [s.StaleButton()]
        if pair.checkin.status is not CheckinStatus.OPEN:
            return [cs.CheckinClosed()]
        return await self._prompt(session, pair)

    # -- the weekly slot -------------------------------------------------------------------------------------

    async def slot(self, session: AsyncSession, person: Person) -> list:
        schedule = await self._schedule(session, person)
        if schedule is None:
            return [s.StaleButton()]
        return [cs.AskCheckinDay(schedule.weekday, schedule.minute_of_day)]

    async def choose_day(self, session: AsyncSession, person: Person, weekday: int) -> list:
        if await self._schedule(session, person) is None or weekday not in range(7):
            return [s.StaleButton()]
        return [cs.AskCheckinTime(weekday, SLOT_MINUTES)]

    async def move_slot(self, session: AsyncSession, person: Person, weekday: int, minute_of_day: int) -> list:
        schedule = await self._schedule(session, person)
        if schedule is None or weekday not in range(7) or minute_of_day not in SLOT_MINUTES:
            return [s.StaleButton()]
        await planning.move_slot(session, schedule, weekday, minute_of_day, self.clock())
        return [cs.CheckinTimeSet(weekday, minute_of_day)]

    async def _schedule(self, session: AsyncSession, person: Person) -> CheckinSchedule | None:
        """The caregiver's schedule, in the time zone of their first child's school; None for a non-caregiver."""
        children = await families.children_of_caregiver(session, person.id)
        if not children:
            return None
        school = await session.get(School, children[0].child.school_id)
        return await planning.schedule_of(session, person.id, school.timezone)

    # -- answering --------------------------------------------------------------------------------------------

    async def answer(self, session: AsyncSession, person: Person, checkin_id: int, question_id: str, option_id: str):
        pair = await self._own(session, person, checkin_id, lock=True)
        if pair is None:
            return [s.StaleButton()]
        if pair.checkin.status is not CheckinStatus.OPEN:
            return [cs.CheckinClosed()]
        waiting = self.questionnaire.next_question(pair.checkin.answers)
        if waiting is None or waiting.id != question_id:
            return [cs.AlreadyAnswered()]
        if waiting.kind == "free_text":
            if option_id != SKIP:
                return [s.StaleButton()]
        elif option_id not in {option.id for option in waiting.options}:
            return [s.StaleButton()]
        return await self._record(session, pair, waiting, SKIPPED if option_id == SKIP else option_id)

    async def note(
        self, session: AsyncSession, person: Person, *, text: str | None = None, voice_file_id: str | None = None
    ) -> list | None:
        """Text or a voice note for the "anything else?" question; None when no check-in is waiting for one."""
        pair = await self._waiting_for_note(session, person)
        if pair is None:
            return None
        waiting = self.questionnaire.next_question(pair.checkin.answers)
        _attach(pair.checkin, text, voice_file_id)
        return await self._record(session, pair, waiting, ANSWERED)

    async def keep_note(
        self, session: AsyncSession, person: Person, *, text: str | None = None, voice_file_id: str | None = None
    ) -> list | None:
        """Words or a voice note sent while a check-in waits for a button: kept with the check-in (the counsellor
        sees them with its answers), and the question is asked again. None when no check-in is under way."""
        pair = await self._under_way(session, person)
        if pair is None:
            return None
        _attach(pair.checkin, text, voice_file_id)
        return [cs.NoteKept(pair.child.nickname), *await self._prompt(session, pair)]

    async def _record(self, session: AsyncSession, pair: _Pair, question: Question, option_id: str) -> list:
        checkin, now = pair.checkin, self.clock()
        # A new dict: in-place changes to a JSON column are not tracked.
        checkin.answers = {**checkin.answers, question.id: option_id}
        following = self.questionnaire.next_question(checkin.answers)
        history = await self._history(session, checkin)
        note_level = level_of_scan(self.scanner.scan(checkin.note)) if checkin.note else Level.NONE
        left_words = bool(checkin.note or checkin.voice_file_id)
        assessment = assess(
            self.questionnaire, checkin.answers, history, free_text_level=note_level, for_counsellor=left_words
        )
        finished = following is None
        flagged = checkin.flagged_level or Level.NONE
        # Mid-way only what cannot wait is flagged; the score-based routine level needs every answer.
        if assessment.level.rank > flagged.rank and (finished or assessment.level.rank >= Level.HIGH.rank):
            await raise_flag(
                session,
                child=pair.child,
                level=assessment.level,
                source=FlagSource.CHECKIN,
                evidence=self._evidence(checkin, assessment, history),
                raised_by_id=checkin.caregiver_id,
                now=now,
            )
            checkin.flagged_level = assessment.level
        if finished:
            checkin.status = CheckinStatus.COMPLETED
            checkin.completed_at = now
            checkin.symptom_score = assessment.symptom_score
            await self._complete_evidence(session, checkin, assessment, history)
            if self.guidance is not None:
                await self.guidance.after_checkin(session, checkin, pair.child)
        screens: list = []
        flagged = checkin.flagged_level or Level.NONE
        advised = checkin.advised_level or Level.NONE
        pausing_for_follow_up = following is not None and following in self.questionnaire.follow_ups
        if flagged.rank >= Level.HIGH.rank and flagged.rank > advised.rank and not pausing_for_follow_up:
            checkin.advised_level = flagged
            screens.append(await self._advice(session, pair, flagged))
            if not finished:
                return [*screens, cs.ContinueLater(checkin.id, pair.child.nickname)]
        if not finished:
            return [*screens, *await self._prompt(session, pair)]
        if not screens:
            # After the safety reply earlier in this check-in, a plain thank-you: the advice stands, unrepeated.
            advised_before = (checkin.advised_level or Level.NONE).rank >= Level.HIGH.rank
            level = Level.NONE if advised_before else assessment.level
            region = region_by_key(self.content, pair.school.hotline_region)
            told = await self._told(session, checkin)
            screens.append(cs.CheckinFinished(pair.child.nickname, level, region, self.texts.safety, told=told))
        return [*screens, *await self._next_waiting(session, checkin)]

    # -- helpers ----------------------------------------------------------------------------------------------

    async def _own(self, session: AsyncSession, person: Person, checkin_id: int, lock: bool = False) -> _Pair | None:
        """The check-in, only if it is this caregiver's and they still care for the child."""
        statement = select(Checkin).where(Checkin.id == checkin_id)
        checkin = await session.scalar(statement.with_for_update() if lock else statement)
        if checkin is None or checkin.caregiver_id != person.id:
            return None
        if await families.child_for_caregiver(session, person.id, checkin.child_id) is None:
            return None
        return await self._pair(session, checkin)

    async def _pair(self, session: AsyncSession, checkin: Checkin) -> _Pair:
        child = await session.get(Child, checkin.child_id)
        return _Pair(checkin, child, await session.get(School, child.school_id))

    async def _prompt(self, session: AsyncSession, pair: _Pair) -> list:
        checkin = pair.checkin
        question = self.questionnaire.next_question(checkin.answers)
        if question is None:  # every answer is in but the row was left open by a crash: finish it now
            return []
        nickname = pair.child.nickname
        if question.kind == "free_text":
            return [cs.AskNote(checkin.id, nickname, question)]
        number, total = self.questionnaire.progress(checkin.answers)
        intro = None if self.questionnaire.begun(checkin.answers) else self.questionnaire.intro
        return [cs.AskQuestion(checkin.id, nickname, question, number, total, intro=intro)]

    async def _waiting_for_note(self, session: AsyncSession, person: Person) -> _Pair | None:
        open_ones = await session.scalars(
            select(Checkin)
            .where(Checkin.caregiver_id == person.id, Checkin.status == CheckinStatus.OPEN)
            .order_by(Checkin.updated_at.desc())
        )
        for checkin in open_ones.all():
            waiting = self.questionnaire.next_question(checkin.answers)
            if waiting is not None and waiting.kind == "free_text":
                return await self._own(session, person, checkin.id, lock=True)
        return None

    async def _under_way(self, session: AsyncSession, person: Person) -> _Pair | None:
        """The check-in this caregiver is answering: open, begun, and the one they touched last."""
        open_ones = await session.scalars(
            select(Checkin)
            .where(Checkin.caregiver_id == person.id, Checkin.status == CheckinStatus.OPEN)
            .order_by(Checkin.updated_at.desc(), Checkin.id.desc())
        )
        begun = next((checkin for checkin in open_ones.all() if self.questionnaire.begun(checkin.answers)), None)
        return None if begun is None else await self._own(session, person, begun.id, lock=True)

    async def _next_waiting(self, session: AsyncSession, done: Checkin) -> list:
        other = await session.scalar(
            select(Checkin)
            .where(
                Checkin.caregiver_id == done.caregiver_id,
                Checkin.status == CheckinStatus.OPEN,
                Checkin.id != done.id,
            )
            .order_by(Checkin.due_at)
        )
        if other is None:
            return []
        child = await session.get(Child, other.child_id)
        return [cs.NextCheckin(other.id, child.nickname)]

    async def _history(self, session: AsyncSession, checkin: Checkin) -> History:
        since = checkin.due_at - timedelta(weeks=HISTORY_WEEKS + 1)
        earlier = (
            await session.scalars(
                select(Checkin)
                .where(
                    Checkin.child_id == checkin.child_id,
                    Checkin.status == CheckinStatus.COMPLETED,
                    Checkin.id != checkin.id,
                    Checkin.completed_at >= since,
                )
                .order_by(Checkin.completed_at.desc())
                .limit(HISTORY_WEEKS)
            )
        ).all()
        rule = self.questionnaire.scoring.parent_contact
        last_week = earlier[0] if earlier and earlier[0].completed_at >= checkin.due_at - LAST_WEEK else None
        none_last_week = last_week is not None and last_week.answers.get(rule.question) == rule.none_option
        # Three weeks with no contact in the log count like a week without contact reported.
        lapsed = await contact_lapsed(session, checkin.child_id, self.clock())
        return History(
            recent_symptom_scores=[c.symptom_score for c in earlier if c.symptom_score is not None],
            parent_contact_none_last_week=none_last_week or lapsed,
        )

    def _evidence(self, checkin: Checkin, assessment: Assessment, history: History) -> Evidence:
        return Evidence(
            reasons=assessment.reasons,
            symptom_score=assessment.symptom_score,
            previous_scores=tuple(history.recent_symptom_scores),
            average=assessment.average,
            note=checkin.note,
            voice_file_id=checkin.voice_file_id,
            checkin_id=checkin.id,
        )

    async def _complete_evidence(
        self, session: AsyncSession, checkin: Checkin, assessment: Assessment, history: History
    ) -> None:
        """Flags raised mid-way get the whole picture once every answer is in, for the case card."""
        flags = await session.scalars(select(Flag).where(Flag.checkin_id == checkin.id))
        for flag in flags.all():
            flag.reasons = list(dict.fromkeys([*flag.reasons, *assessment.reasons]))
            flag.symptom_score = assessment.symptom_score
            flag.previous_scores = list(history.recent_symptom_scores)
            flag.average = assessment.average
            flag.note, flag.voice_file_id = checkin.note, checkin.voice_file_id

    async def _advice(self, session: AsyncSession, pair: _Pair, level: Level) -> cs.SafetyAdvice:
        region = region_by_key(self.content, pair.school.hotline_region)
        told = await self._told(session, pair.checkin)
        return cs.SafetyAdvice(level, pair.child.nickname, region, self.texts.safety, told=told)

    async def _told(self, session: AsyncSession, checkin: Checkin) -> bool:
        """Whether a reply may say a counsellor was told: someone reachable has the alert of this check-in's case."""
        case_id = await session.scalar(select(Flag.case_id).where(Flag.checkin_id == checkin.id).limit(1))
        return case_id is not None and await alerts.anyone_told(session, case_id)


def _attach(checkin: Checkin, text: str | None, voice_file_id: str | None) -> None:
    """Words add to what the caregiver said earlier in this check-in; a voice note replaces an earlier one."""
    if text is not None:
        checkin.note = "\n".join(part for part in (checkin.note, text.strip()) if part)
    if voice_file_id is not None:
        checkin.voice_file_id = voice_file_id
