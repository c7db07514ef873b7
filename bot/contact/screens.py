"""What family contact asks the adapter to show; the adapter renders each in the reader's language.

`who` fields carry a relation (mother, father, grandmother, …), never a name: the adapter words it ("Mum").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.contact.models import CallOutcome


@dataclass(frozen=True)
class PlanView:
    plan_id: int
    weekday: int
    minute_of_day: int
    timezone: str


@dataclass(frozen=True)
class ChildCalls:
    child_id: int
    nickname: str
    plans: tuple[PlanView, ...]


@dataclass(frozen=True)
class CallsOverview:
    """The parent's 📞 Calls screen: their plans per child, and buttons to plan, remove and message."""

    children: tuple[ChildCalls, ...]


@dataclass(frozen=True)
class ChooseZone:
    child_id: int
    nickname: str
    zones: tuple[str, ...]  # the school's zone first; buttons carry the index


@dataclass(frozen=True)
class ChooseCallDay:
    child_id: int
    nickname: str
    zone_index: int
    timezone: str


@dataclass(frozen=True)
class ChooseCallTime:
    child_id: int
    nickname: str
    zone_index: int
    weekday: int
    minutes: tuple[int, ...]


@dataclass(frozen=True)
class CallPlanned:
    nickname: str
    plan: PlanView
    home_timezone: str  # the caregiver's (the school's) zone, to show the same slot as they will see it
    next_at: datetime


@dataclass(frozen=True)
class PlanRemoved:
    nickname: str


@dataclass(frozen=True)
class OutcomeNoted:
    nickname: str
    outcome: CallOutcome
    child_id: int
    replan: bool  # the parent asked to reschedule: offer the planning buttons


@dataclass(frozen=True)
class OutcomeAlreadyNoted:
    """Someone in the family answered first; the toast says so and nothing changes."""


@dataclass(frozen=True)
class AskRelay:
    nickname: str
    to: tuple[str, ...]  # relations of who will get it


@dataclass(frozen=True)
class RelaySent:
    nickname: str
    delivered_to: tuple[str, ...]
    unreachable: tuple[str, ...]  # relations of linked family members the bot cannot reach any more


@dataclass(frozen=True)
class RelayImpossible:
    """Nobody on the other side can receive it: nobody linked yet, or everyone has blocked the bot."""

    nickname: str
    unreachable: tuple[str, ...]


@dataclass(frozen=True)
class RelayOffer:
    child_id: int
    nickname: str
    to: tuple[str, ...]  # relations of who would get it


@dataclass(frozen=True)
class OfferRelay:
    """ "发给奶奶？": the message (by its id in the sender's own chat) and the children it could be passed on for."""

    message_id: int
    offers: tuple[RelayOffer, ...]


@dataclass(frozen=True)
class RelayHint:
    """A photo or video sent outside a relay: say how to pass one on, rather than pass it on by accident."""


@dataclass(frozen=True)
class HomePlan:
    """A parent's regular call as the caregiver sees it: in home's zone."""

    plan_id: int
    nickname: str
    who: str
    weekday: int
    minute_of_day: int


@dataclass(frozen=True)
class FamilyContact:
    """The caregiver's part of the Family menu: message buttons, the parents' calls, and the summary consent."""

    share_summaries: bool
    children: tuple[tuple[int, str], ...]  # (child id, nickname) of children who have a linked parent
    plans: tuple[HomePlan, ...] = ()


@dataclass(frozen=True)
class SummaryConsentChanged:
    share: bool


@dataclass(frozen=True)
class ChooseBirthday:
    child_id: int
    nickname: str
    month: int
    days: tuple[int, ...]


@dataclass(frozen=True)
class BirthdaySaved:
    nickname: str
    month: int
    day: int


@dataclass(frozen=True)
class BirthdayMonthUnknown:
    """The child's birth month was not given at onboarding, so a day alone means nothing."""

    nickname: str


@dataclass(frozen=True)
class ChooseMoveDay:
    plan_id: int
    nickname: str
    timezone: str  # the zone of whoever moves it: the parent's, or home's for a caregiver


@dataclass(frozen=True)
class ChooseMoveTime:
    plan_id: int
    nickname: str
    weekday: int
    minutes: tuple[int, ...]


@dataclass(frozen=True)
class ProposalSent:
    nickname: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class ProposalAnswered:
    nickname: str
    accepted: bool


@dataclass(frozen=True)
class ProposalClosed:
    """Answered already, or replaced by a newer proposal: the toast says so and nothing changes."""
