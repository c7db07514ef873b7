"""A caregiver invites the child's mother or father, who are usually far away: a one-time code to forward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.families import service as families
from bot.families.models import ParentRelation
from bot.invites import service as invites
from bot.invites.models import InviteKind


@dataclass(frozen=True)
class ParentInviteIssued:
    code: str
    nickname: str
    relation: ParentRelation
    expires_at: datetime


@dataclass(frozen=True)
class ParentAlreadyLinked:
    nickname: str
    relation: ParentRelation


async def invite_parent(
    session: AsyncSession, *, caregiver_id: int, child_id: int, relation: ParentRelation, now: datetime
) -> ParentInviteIssued | ParentAlreadyLinked | None:
    """None when this person does not care for that child: the caller must not say more than that."""
    child = await families.child_for_caregiver(session, caregiver_id, child_id)
    if child is None:
        return None
    if await families.parent_slot_taken(session, child.id, relation):
        return ParentAlreadyLinked(child.nickname, relation)
    issued = await invites.issue(
        session, InviteKind.PARENT, child_id=child.id, relation=relation, created_by_id=caregiver_id, now=now
    )
    return ParentInviteIssued(issued.code, child.nickname, relation, issued.invite.expires_at)
