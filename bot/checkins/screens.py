"""What check-ins and the "I'm worried" button ask the adapter to show; the adapter renders them per language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cases.severity import Level
from bot.checkins.questionnaire import Question, SafetyTexts, WorriedChoice
from bot.content.pack import HotlineRegion, Localised


@dataclass(frozen=True)
class ChildChoice:
    child_id: int
    nickname: str


@dataclass(frozen=True)
class ChooseChildForCheckin:
    children: tuple[ChildChoice, ...]


@dataclass(frozen=True)
class AskQuestion:
    checkin_id: int
    nickname: str
    question: Question
    number: int
    total: int
    intro: str | None = None  # the questionnaire's opening words, before the first question only


@dataclass(frozen=True)
class AskNote:
    checkin_id: int
    nickname: str
    question: Question


@dataclass(frozen=True)
class ContinueLater:
    """After the safety reply the questions pause; the caregiver goes on when ready."""

    checkin_id: int
    nickname: str


@dataclass(frozen=True)
class CheckinFinished:
    nickname: str
    level: Level
    region: HotlineRegion
    texts: SafetyTexts
    told: bool = True  # as in SafetyAdvice


@dataclass(frozen=True)
class NextCheckin:
    """Another child's check-in is waiting for the same caregiver."""

    checkin_id: int
    nickname: str


@dataclass(frozen=True)
class CheckinDoneToday:
    nickname: str


@dataclass(frozen=True)
class CheckinClosed:
    """A button of a check-in that is finished or has run out of time."""


@dataclass(frozen=True)
class AlreadyAnswered:
    """A button of a question already answered: a second press, or an old screen."""


@dataclass(frozen=True)
class SafetyAdvice:
    level: Level
    nickname: str
    region: HotlineRegion
    texts: SafetyTexts
    told: bool = True  # whether a counsellor or supervisor was alerted; the reply must not say so otherwise


@dataclass(frozen=True)
class ChooseChildForWorry:
    children: tuple[ChildChoice, ...]


@dataclass(frozen=True)
class AskWorry:
    child_id: int
    nickname: str
    prompt: Localised
    choices: tuple[WorriedChoice, ...]


@dataclass(frozen=True)
class AskWorryNote:
    nickname: str
    prompt: Localised
    ask_phone: bool = False  # no number yet for the counsellor's call: ask for one, optional


@dataclass(frozen=True)
class PhoneSaved:
    """The caregiver gave a number for the counsellor's call."""


@dataclass(frozen=True)
class NoteReceived:
    nickname: str


@dataclass(frozen=True)
class FlagHeldBack:
    """Past the person's limit of flags in an hour: kept on the child's case, without alerting anyone again."""

    nickname: str


@dataclass(frozen=True)
class NoteKept:
    """Words or a voice note sent in the middle of a check-in: kept for the counsellor, then the question again."""

    nickname: str


@dataclass(frozen=True)
class Pointer:
    """Where to get everyday help (the village doctor, 120), from the content pack."""

    text: Localised


@dataclass(frozen=True)
class TypeOrPress:
    """A voice note at a step that needs typed words or a button (a nickname, a consent)."""


@dataclass(frozen=True)
class VoiceNotHeard:
    """A voice message from someone with no child, case or family to pass it to: say where help is."""


@dataclass(frozen=True)
class AskCheckinDay:
    weekday: int  # the current slot, Monday is 0
    minute_of_day: int


@dataclass(frozen=True)
class AskCheckinTime:
    weekday: int
    minutes: tuple[int, ...]


@dataclass(frozen=True)
class CheckinTimeSet:
    weekday: int
    minute_of_day: int


Screen = (
    ChooseChildForCheckin
    | AskQuestion
    | AskNote
    | ContinueLater
    | CheckinFinished
    | NextCheckin
    | CheckinDoneToday
    | CheckinClosed
    | AlreadyAnswered
    | SafetyAdvice
    | ChooseChildForWorry
    | AskWorry
    | AskWorryNote
    | NoteReceived
    | PhoneSaved
    | NoteKept
    | Pointer
    | TypeOrPress
    | VoiceNotHeard
    | AskCheckinDay
    | AskCheckinTime
    | CheckinTimeSet
)
