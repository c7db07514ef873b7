"""What onboarding asks the adapter to show. Channel-neutral: the adapter renders each in the person's language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.families.models import ParentRelation
from bot.people.service import Roles


@dataclass(frozen=True)
class Welcome:
    """For someone without a role and without a code: what Shouhu is and how to get a link."""


@dataclass(frozen=True)
class Home:
    roles: Roles


@dataclass(frozen=True)
class AskLanguage:
    revision: int


@dataclass(frozen=True)
class AskConsent:
    revision: int
    text: str


@dataclass(frozen=True)
class AskRelation:
    revision: int


@dataclass(frozen=True)
class AskNickname:
    pass


@dataclass(frozen=True)
class AskBirthYear:
    revision: int
    years: tuple[int, ...]


@dataclass(frozen=True)
class AskBirthMonth:
    revision: int
    birth_year: int
    months: tuple[int, ...]


@dataclass(frozen=True)
class ChildAdded:
    revision: int
    nickname: str
    birth_year: int
    birth_month: int | None


@dataclass(frozen=True)
class JoinedSchool:
    school_name: str


@dataclass(frozen=True)
class JoinedRegion:
    region: str


@dataclass(frozen=True)
class ParentLinked:
    child_nickname: str
    relation: ParentRelation


@dataclass(frozen=True)
class ConsentDeclined:
    pass


@dataclass(frozen=True)
class CodeRejected:
    pass


@dataclass(frozen=True)
class CodesPaused:
    pass


@dataclass(frozen=True)
class InviteUsedUp:
    pass


@dataclass(frozen=True)
class InputRefused:
    code: str


@dataclass(frozen=True)
class StaleButton:
    pass


@dataclass(frozen=True)
class UseTheButtons:
    """Text arrived where a button press was expected."""


Screen = (
    Welcome
    | Home
    | AskLanguage
    | AskConsent
    | AskRelation
    | AskNickname
    | AskBirthYear
    | AskBirthMonth
    | ChildAdded
    | JoinedSchool
    | JoinedRegion
    | ParentLinked
    | ConsentDeclined
    | CodeRejected
    | CodesPaused
    | InviteUsedUp
    | InputRefused
    | StaleButton
    | UseTheButtons
)
