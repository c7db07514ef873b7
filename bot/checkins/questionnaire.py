"""The weekly check-in, the "I'm worried" menu and the safety reply: their content schema and pure domain rules.

Questions, follow-ups, scoring thresholds and which answers raise a flag live in `content/checkins/` and
`content/safety.yaml`. This module walks the questions, scores the answers and picks the severity; it imports
neither Telegram nor the database, so any channel can drive it.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, cast

from pydantic import Field, field_validator, model_validator

from bot.cases.severity import Level, most_severe
from bot.content.pack import ContentError, Localised, _Strict, load_model
from bot.i18n import SUPPORTED_LANGUAGES

# Ids end up in Telegram callback_data (64 bytes), so they stay short and ASCII.
ContentId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")]

# A free-text question is answered with one of these instead of an option id.
ANSWERED = "answered"
SKIPPED = "skipped"
# A question this check-in does not ask (outside the child's age band, or asked of the caregiver lately): set
# when the check-in opens, so that its length is known from the start and stays true.
LEFT_OUT = "left_out"

LABEL_MAX = {"zh_Hans": 20, "en": 30}
QUESTION_MAX = 400
SAFETY_MAX = 1500

# Reasons the code itself adds; their labels come from the content like every other reason.
REASON_SYMPTOM_SCORE = "symptom_score"
REASON_SYMPTOM_RISE = "symptom_rise"
REASON_NO_PARENT_CONTACT = "no_parent_contact"
REASON_MISSED = "missed_checkins"
REASON_FREE_TEXT_URGENT = "free_text_urgent"
REASON_FREE_TEXT_CONCERN = "free_text_concern"
REASON_FOR_COUNSELLOR = "for_counsellor"  # words a caregiver addressed to the counsellor, no risk read in them
COMPUTED_REASONS = (
    REASON_SYMPTOM_SCORE,
    REASON_SYMPTOM_RISE,
    REASON_NO_PARENT_CONTACT,
    REASON_MISSED,
    REASON_FREE_TEXT_URGENT,
    REASON_FREE_TEXT_CONCERN,
    REASON_FOR_COUNSELLOR,
)
REASON_PLACEHOLDERS = frozenset({"score", "max", "rise", "average", "contact_weeks", "missed"})


FLAG_LEVELS = (Level.URGENT, Level.HIGH)


def _placeholders(text: str) -> set[str]:
    names = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must be a plain name like {{child}}")
        names.add(name)
    return names


def _check_text(
    value: Localised,
    *,
    allowed: frozenset[str] = frozenset(),
    required: frozenset[str] = frozenset(),
    max_length: Mapping[str, int] | int | None = None,
) -> Localised:
    """Both languages use the same allowed placeholders, hold the required ones and fit their space."""
    found = {}
    for language in SUPPORTED_LANGUAGES:
        text = value.get(language)
        names = _placeholders(text)
        if unknown := names - allowed:
            raise ValueError(f"{language}: unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        if missing := required - names:
            raise ValueError(f"{language}: must contain {sorted('{' + name + '}' for name in missing)}")
        limit = max_length.get(language) if isinstance(max_length, Mapping) else max_length
        if limit is not None and len(text) > limit:
            raise ValueError(f"{language}: {len(text)} characters, at most {limit} fit")
        found[language] = names
    if len({frozenset(names) for names in found.values()}) > 1:
        raise ValueError(f"languages use different placeholders: {found}")
    return value


def _unique(ids: Sequence[str], what: str) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} id(s): {duplicates}")


class Option(_Strict):
    """One answer button. `flag` and `reason` raise the check-in to that level; `follow_up` asks one more question."""

    id: ContentId
    label: Localised
    value: int | None = Field(default=None, ge=0)
    flag: Level | None = None
    reason: ContentId | None = None
    follow_up: ContentId | None = None

    @field_validator("label")
    @classmethod
    def _short_button(cls, value: Localised) -> Localised:
        return _check_text(value, max_length=LABEL_MAX)

    @field_validator("flag")
    @classmethod
    def _flag_level(cls, value: Level | None) -> Level | None:
        if value is not None and value not in FLAG_LEVELS:
            raise ValueError("an answer can only flag urgent or high; routine comes from the thresholds")
        return value

    @model_validator(mode="after")
    def _flag_has_reason(self) -> Option:
        if (self.flag is None) != (self.reason is None):
            raise ValueError(f"option {self.id!r}: flag and reason go together, so the counsellor sees why")
        return self


class AgeBand(_Strict):
    min: int = Field(default=0, ge=0)
    max: int = Field(default=18, ge=0)


class Question(_Strict):
    id: ContentId
    topic: Localised  # a few words for the case card: "睡觉吃饭", "sleep and meals"
    text: Localised
    kind: Literal["choice", "free_text"] = "choice"
    options: list[Option] = Field(default_factory=list)
    skip_label: Localised | None = None
    ages: AgeBand | None = None  # asked only about a child of these ages (years, inclusive)
    every_weeks: int | None = Field(default=None, ge=2)  # asked of a caregiver at most once in so many weeks

    def asked_at(self, age: int) -> bool:
        return self.ages is None or self.ages.min <= age <= self.ages.max

    @field_validator("text")
    @classmethod
    def _fits(cls, value: Localised) -> Localised:
        return _check_text(value, allowed=frozenset({"child"}), max_length=QUESTION_MAX)

    @field_validator("topic")
    @classmethod
    def _short_topic(cls, value: Localised) -> Localised:
        return _check_text(value, max_length=LABEL_MAX)

    @field_validator("skip_label")
    @classmethod
    def _short_skip(cls, value: Localised | None) -> Localised | None:
        return value if value is None else _check_text(value, max_length=LABEL_MAX)

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.kind == "choice":
            if len(self.options) < 2 or self.skip_label is not None:
                raise ValueError(f"question {self.id!r}: a choice needs at least 2 options and no skip_label")
            _unique([option.id for option in self.options], f"option (question {self.id!r})")
        elif self.options or self.skip_label is None:
            raise ValueError(f"question {self.id!r}: free_text takes no options and needs a skip_label")
        return self

    def option(self, option_id: str) -> Option:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(f"question {self.id!r} has no option {option_id!r}")


class ParentContactRule(_Strict):
    question: ContentId
    none_option: ContentId


class Scoring(_Strict):
    symptom_items: list[ContentId] = Field(min_length=1)
    symptom_max: int = Field(ge=1)
    parent_contact: ParentContactRule


class Thresholds(_Strict):
    symptom_score: int = Field(ge=1)
    rise_over_average: int = Field(ge=1)
    # History carries at most 4 previous weeks and only last week's parent contact.
    average_weeks: int = Field(ge=1, le=4)
    weeks_without_parent_contact: int = Field(ge=1, le=2)
    missed_in_a_row: int = Field(ge=1)


@dataclass(frozen=True)
class History:
    """What earlier weeks say about this child."""

    recent_symptom_scores: Sequence[int]  # newest first, completed weeks before this one
    parent_contact_none_last_week: bool


@dataclass(frozen=True)
class Assessment:
    level: Level
    symptom_score: int
    reasons: tuple[str, ...]  # reason keys, most severe first
    average: float | None = None  # the earlier weeks' average the rise was measured against
    missed_in_a_row: int = 0


def _check_reason_labels(reasons: Mapping[str, Localised]) -> None:
    for key, label in reasons.items():
        try:
            _check_text(label, allowed=REASON_PLACEHOLDERS)
        except ValueError as exc:
            raise ValueError(f"reasons.{key}: {exc}") from exc


class Questionnaire(_Strict):
    version: str
    intro: Localised
    questions: list[Question] = Field(min_length=1)
    follow_ups: list[Question] = Field(default_factory=list)
    scoring: Scoring
    thresholds: Thresholds
    reasons: dict[ContentId, Localised]

    @field_validator("intro")
    @classmethod
    def _intro_fits(cls, value: Localised) -> Localised:
        # {count}: how many questions there are, counted by the code so the intro never says a wrong number.
        return _check_text(value, allowed=frozenset({"child", "count"}), max_length=QUESTION_MAX)

    @field_validator("reasons")
    @classmethod
    def _reasons_fit(cls, value: dict[str, Localised]) -> dict[str, Localised]:
        _check_reason_labels(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        _unique([question.id for question in self._all_questions()], "question")
        self._check_follow_ups()
        self._check_scoring()
        used = {f"question {q.id!r} option {o.id!r}": o.reason for q in self._all_questions() for o in q.options}
        used |= {f"the {reason} rule": reason for reason in COMPUTED_REASONS}
        if missing := [
            f"{reason!r} ({where})" for where, reason in used.items() if reason and reason not in self.reasons
        ]:
            raise ValueError(f"reasons: no label for {', '.join(missing)}")
        return self

    def _all_questions(self) -> list[Question]:
        return [*self.questions, *self.follow_ups]

    def _check_follow_ups(self) -> None:
        follow_ups = {question.id: question for question in self.follow_ups}
        referenced = set()
        for question in self._all_questions():
            for option in question.options:
                if option.follow_up is None:
                    continue
                if option.follow_up not in follow_ups:
                    raise ValueError(
                        f"question {question.id!r} option {option.id!r}: follow_up {option.follow_up!r} "
                        "is not one of follow_ups"
                    )
                referenced.add(option.follow_up)
        if unused := sorted(set(follow_ups) - referenced):
            raise ValueError(f"follow_ups never asked: {unused}")

        def walk(question_id: str, path: tuple[str, ...]) -> None:
            for option in follow_ups[question_id].options:
                if option.follow_up in path:
                    raise ValueError(f"follow_ups: {' -> '.join((*path, option.follow_up))} goes round in a circle")
                if option.follow_up:
                    walk(option.follow_up, (*path, option.follow_up))

        for question_id in follow_ups:
            walk(question_id, (question_id,))

    def _check_scoring(self) -> None:
        main = {question.id: question for question in self.questions}
        top = 0
        for item in [*self.scoring.symptom_items, self.scoring.parent_contact.question]:
            question = main.get(item)
            if question is not None and (question.ages is not None or question.every_weeks is not None):
                raise ValueError(f"question {item!r} is scored, so it is asked every week at every age")
        for item in self.scoring.symptom_items:
            question = main.get(item)
            if question is None or question.kind != "choice":
                raise ValueError(f"scoring.symptom_items: {item!r} is not a main choice question")
            if any(option.value is None for option in question.options):
                raise ValueError(f"scoring.symptom_items: every option of {item!r} needs a value")
            top += max(option.value or 0 for option in question.options)
        if top != self.scoring.symptom_max:
            raise ValueError(f"scoring.symptom_max is {self.scoring.symptom_max}, but the items add up to {top}")
        if self.thresholds.symptom_score > top:
            raise ValueError(f"thresholds.symptom_score {self.thresholds.symptom_score} is above the maximum {top}")
        rule = self.scoring.parent_contact
        contact = main.get(rule.question)
        if contact is None or rule.none_option not in {option.id for option in contact.options}:
            raise ValueError(f"scoring.parent_contact: no main question {rule.question!r} with {rule.none_option!r}")

    def question(self, question_id: str) -> Question:
        for question in self._all_questions():
            if question.id == question_id:
                return question
        raise KeyError(f"no question {question_id!r}")

    def _flow(self, answers: Mapping[str, str]) -> Iterator[tuple[int, Question, Option | None]]:
        """Questions in asking order with the follow-ups answers triggered, each with its main question's number.

        Stops at the first unanswered question, which is yielded with no option; answers off that path are ignored
        so that a stale follow-up answer can never raise a flag.
        """
        number = 0
        for main in self.questions:
            if answers.get(main.id) == LEFT_OUT:
                continue
            number += 1
            question: Question | None = main
            while question is not None:
                answer = answers.get(question.id)
                if answer is None:
                    yield number, question, None
                    return
                if question.kind == "free_text":
                    if answer not in (ANSWERED, SKIPPED):
                        raise ValueError(f"free-text question {question.id!r} answered with {answer!r}")
                    yield number, question, None
                    break
                option = question.option(answer)
                yield number, question, option
                question = self.question(option.follow_up) if option.follow_up else None

    def next_question(self, answers: Mapping[str, str]) -> Question | None:
        for _number, question, _option in self._flow(answers):
            if question.id not in answers:
                return question
        return None

    def progress(self, answers: Mapping[str, str]) -> tuple[int, int]:
        """(number of the question to ask now, number of main questions asked); a follow-up shares its question's
        number, and questions left out of this check-in are not counted."""
        total = self.length(answers)
        for number, question, _option in self._flow(answers):
            if question.id not in answers:
                return number, total
        return total, total

    def begun(self, answers: Mapping[str, str]) -> bool:
        return any(answer != LEFT_OUT for answer in answers.values())

    def length(self, answers: Mapping[str, str]) -> int:
        return sum(1 for question in self.questions if answers.get(question.id) != LEFT_OUT)

    def left_out(self, age: int, asked_lately: Collection[str]) -> dict[str, str]:
        """The answers a check-in opens with: the questions it will not ask about a child of this age, nor again
        of a caregiver who answered them lately (`asked_lately`, ids of questions with `every_weeks`)."""
        return {
            question.id: LEFT_OUT
            for question in self.questions
            if not question.asked_at(age) or question.id in asked_lately
        }

    def reason_label(self, key: str, assessment: Assessment, language: str) -> str:
        average = assessment.average
        return (
            self.reasons[key]
            .get(language)
            .format(
                score=assessment.symptom_score,
                max=self.scoring.symptom_max,
                rise=_number(assessment.symptom_score - average) if average is not None else "",
                average=_number(average) if average is not None else "",
                contact_weeks=self.thresholds.weeks_without_parent_contact,
                missed=assessment.missed_in_a_row,
            )
        )


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def assess(
    q: Questionnaire,
    answers: Mapping[str, str],
    history: History,
    *,
    free_text_level: Level = Level.NONE,
    for_counsellor: bool = False,
) -> Assessment:
    """The severity of one check-in. Works on partial answers too, and more answers never lower the level.
    `for_counsellor`: the caregiver left words or a voice note, which a counsellor must hear even in a calm week."""
    flags: list[tuple[Level, str]] = []
    score = 0
    no_contact = False
    rule = q.scoring.parent_contact
    for _number, question, option in q._flow(answers):
        if option is None:
            continue
        if question.id in q.scoring.symptom_items:
            score += option.value or 0
        if option.flag is not None and option.reason is not None:
            flags.append((option.flag, option.reason))
        no_contact = no_contact or (question.id == rule.question and option.id == rule.none_option)

    limits = q.thresholds
    if score >= limits.symptom_score:
        flags.append((Level.ROUTINE, REASON_SYMPTOM_SCORE))
    earlier = list(history.recent_symptom_scores[: limits.average_weeks])
    average = sum(earlier) / len(earlier) if earlier else None
    if average is not None and score - average >= limits.rise_over_average:
        flags.append((Level.ROUTINE, REASON_SYMPTOM_RISE))
    if no_contact and (limits.weeks_without_parent_contact == 1 or history.parent_contact_none_last_week):
        flags.append((Level.ROUTINE, REASON_NO_PARENT_CONTACT))
    free_text_level = Level(free_text_level)  # also accepts an equal-valued level enum from elsewhere
    if free_text_level != Level.NONE:
        reason = REASON_FREE_TEXT_URGENT if free_text_level == Level.URGENT else REASON_FREE_TEXT_CONCERN
        flags.append((free_text_level, reason))
    elif for_counsellor:
        flags.append((Level.ROUTINE, REASON_FOR_COUNSELLOR))

    flags.sort(key=lambda flag: -flag[0].rank)  # stable: equal levels keep the order they were answered in
    return Assessment(
        level=most_severe(*(level for level, _reason in flags)),
        symptom_score=score,
        reasons=tuple(dict.fromkeys(reason for _level, reason in flags)),
        average=average,
    )


def assess_missed(q: Questionnaire, missed_in_a_row: int) -> Assessment:
    missed = missed_in_a_row >= q.thresholds.missed_in_a_row
    return Assessment(
        level=Level.ROUTINE if missed else Level.NONE,
        symptom_score=0,
        reasons=(REASON_MISSED,) if missed else (),
        missed_in_a_row=missed_in_a_row,
    )


class WorriedChoice(_Strict):
    id: ContentId
    label: Localised
    level: Level
    reason: ContentId
    ask_details: Localised | None = None  # when set, the caregiver may add a few words or a voice note

    @field_validator("label")
    @classmethod
    def _short_button(cls, value: Localised) -> Localised:
        return _check_text(value, max_length=LABEL_MAX)

    @field_validator("level")
    @classmethod
    def _flag_level(cls, value: Level) -> Level:
        if value not in FLAG_LEVELS:
            raise ValueError('an "I\'m worried" choice is urgent or high')
        return value

    @field_validator("ask_details")
    @classmethod
    def _details_fit(cls, value: Localised | None) -> Localised | None:
        return value if value is None else _check_text(value, allowed=frozenset({"child"}), max_length=QUESTION_MAX)


class WorriedMenu(_Strict):
    version: str
    prompt: Localised
    listen: Localised  # after a choice without `ask_details`: more words or a voice note still reach the case
    choices: list[WorriedChoice] = Field(min_length=2)
    reasons: dict[ContentId, Localised]

    @field_validator("prompt", "listen")
    @classmethod
    def _prompt_fits(cls, value: Localised) -> Localised:
        return _check_text(value, allowed=frozenset({"child"}), max_length=QUESTION_MAX)

    @field_validator("reasons")
    @classmethod
    def _reasons_fit(cls, value: dict[str, Localised]) -> dict[str, Localised]:
        _check_reason_labels(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> WorriedMenu:
        _unique([choice.id for choice in self.choices], "choice")
        if missing := sorted({choice.reason for choice in self.choices} - set(self.reasons)):
            raise ValueError(f"reasons: no label for {missing}")
        return self

    def choice(self, choice_id: str) -> WorriedChoice:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        raise KeyError(f"no worried choice {choice_id!r}")

    def assess(self, choice_id: str) -> Assessment:
        choice = self.choice(choice_id)
        return Assessment(level=choice.level, symptom_score=0, reasons=(choice.reason,))


_FLAG_REPLY = frozenset({"child", "hotlines", "emergency", "expect"})
_THANKS_REPLY = frozenset({"child", "hotlines"})


class SafetyReplies(_Strict):
    urgent: Localised
    high: Localised
    routine: Localised
    none: Localised

    @field_validator("urgent", "high")
    @classmethod
    def _flag_reply(cls, value: Localised) -> Localised:
        # Safe messaging: every flag reply gives the hotlines and says when the counsellor will call.
        return _check_text(
            value, allowed=_FLAG_REPLY, required=frozenset({"hotlines", "expect"}), max_length=SAFETY_MAX
        )

    @field_validator("routine", "none")
    @classmethod
    def _thanks(cls, value: Localised) -> Localised:
        return _check_text(value, allowed=_THANKS_REPLY, max_length=SAFETY_MAX)


class ExpectPhrases(_Strict):
    """When a counsellor will be in touch, dropped into `{expect}`."""

    urgent: Localised
    high: Localised

    @field_validator("urgent", "high")
    @classmethod
    def _plain(cls, value: Localised) -> Localised:
        return _check_text(value, max_length=120)


class Pointer(_Strict):
    """An everyday question (a fever, a fall) answered with where to get help, never with a diagnosis."""

    id: ContentId
    words: dict[str, list[str]]
    reply: Localised

    @field_validator("words")
    @classmethod
    def _words_per_language(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if missing := [language for language in SUPPORTED_LANGUAGES if not value.get(language)]:
            raise ValueError(f"no words for {missing}")
        return value

    @field_validator("reply")
    @classmethod
    def _reply_fits(cls, value: Localised) -> Localised:
        return _check_text(value, max_length=QUESTION_MAX)

    def matches(self, text: str) -> bool:
        lowered = text.lower()
        return any(word.lower() in lowered for words in self.words.values() for word in words)


class SafetyTexts(_Strict):
    version: str
    expect: ExpectPhrases
    # Said instead of the paragraph holding {expect} when no counsellor or supervisor could be told.
    unreached: Localised
    replies: SafetyReplies
    pointers: list[Pointer] = Field(default_factory=list)
    counsellor_words: dict[str, list[str]] = Field(
        default_factory=dict
    )  # how families name the counsellor: "老师", "teacher"

    @field_validator("unreached")
    @classmethod
    def _unreached(cls, value: Localised) -> Localised:
        return _check_text(value, allowed=frozenset({"child"}), max_length=300)

    def reply(
        self, level: Level, language: str, *, hotlines: str, emergency: str, child: str, told: bool = True
    ) -> str:
        """The text for the caregiver; plain text, so the adapter escapes it for HTML like any other.

        `told` is whether anyone at the school or the region was alerted: the reply never says so when not.
        """
        template = getattr(self.replies, level.value).get(language)
        if not told and level in FLAG_LEVELS:
            unreached = self.unreached.get(language)
            template = "\n\n".join(unreached if "{expect}" in part else part for part in template.split("\n\n"))
        expect = getattr(self.expect, level.value).get(language) if level in FLAG_LEVELS else ""
        return template.format(child=child, hotlines=hotlines, emergency=emergency, expect=expect)

    def pointer_for(self, text: str) -> Pointer | None:
        return next((pointer for pointer in self.pointers if pointer.matches(text)), None)

    def names_counsellor(self, text: str) -> bool:
        lowered = text.lower()
        return any(word.lower() in lowered for words in self.counsellor_words.values() for word in words)


@dataclass(frozen=True)
class CheckinContent:
    weekly: Questionnaire
    worried: WorriedMenu
    safety: SafetyTexts

    def reason_labels(self, assessment: Assessment, language: str) -> list[str]:
        """Short labels for a counsellor alert, in the order of `assessment.reasons`."""
        labels = []
        for key in assessment.reasons:
            if key in self.weekly.reasons:
                labels.append(self.weekly.reason_label(key, assessment, language))
            else:
                labels.append(self.worried.reasons[key].get(language))
        return labels


def load_checkin_content(content_dir: Path) -> CheckinContent:
    weekly = cast(Questionnaire, load_model(content_dir / "checkins", "weekly.yaml", Questionnaire))
    worried = cast(WorriedMenu, load_model(content_dir / "checkins", "worried.yaml", WorriedMenu))
    safety = cast(SafetyTexts, load_model(content_dir, "safety.yaml", SafetyTexts))
    if shared := sorted(set(weekly.reasons) & set(worried.reasons)):
        raise ContentError(
            f"{content_dir / 'checkins' / 'worried.yaml'}: reasons {shared} are also in weekly.yaml; "
            "a key must mean one thing"
        )
    return CheckinContent(weekly=weekly, worried=worried, safety=safety)
