"""Imports every model so that `Base.metadata` knows the whole schema (Alembic and tests use this)."""

from bot.audit.models import AuditEvent
from bot.cases.models import (
    Case,
    CaseAlert,
    CaseEvent,
    CaseTimer,
    Flag,
    FollowUp,
    Referral,
    RegionPolicy,
    SchoolGroup,
)
from bot.checkins.models import Checkin, CheckinSchedule
from bot.consent.models import ConsentRecord
from bot.contact.models import (
    Call,
    CallPlan,
    CallProposal,
    CheckinSummary,
    ChildBirthday,
    ContactEvent,
    Relay,
    SummaryConsent,
)
from bot.conversations.models import Conversation
from bot.db.base import Base
from bot.families.models import CaregiverLink, Child, Household, ParentLink
from bot.guidance.models import GuidanceDelivery, GuidanceSchedule
from bot.invites.models import FailedCodeAttempt, Invite
from bot.outbox.models import ChatPause, OutboxMessage
from bot.people.models import Person
from bot.safety.phones import CaregiverPhone
from bot.schools.models import RegionSupervisor, School, SchoolCounsellor
from bot.telegram.commands_models import ChatCommands
from bot.telegram.inbox_models import InboundUpdate

__all__ = [
    "AuditEvent",
    "Base",
    "Call",
    "CallPlan",
    "CallProposal",
    "CaregiverLink",
    "CaregiverPhone",
    "Case",
    "CaseAlert",
    "CaseEvent",
    "CaseTimer",
    "ChatCommands",
    "ChatPause",
    "Checkin",
    "CheckinSchedule",
    "CheckinSummary",
    "Child",
    "ChildBirthday",
    "ConsentRecord",
    "ContactEvent",
    "Conversation",
    "FailedCodeAttempt",
    "Flag",
    "FollowUp",
    "GuidanceDelivery",
    "GuidanceSchedule",
    "Household",
    "InboundUpdate",
    "Invite",
    "OutboxMessage",
    "ParentLink",
    "Person",
    "Referral",
    "RegionPolicy",
    "RegionSupervisor",
    "Relay",
    "School",
    "SchoolCounsellor",
    "SchoolGroup",
    "SummaryConsent",
]
