"""Issuing and redeeming invites, and pausing code entry after too many wrong guesses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.errors import InvalidInput
from bot.families.models import ParentRelation
from bot.invites.codes import hash_code, new_code, normalise
from bot.invites.models import FailedCodeAttempt, Invite, InviteKind

INVITE_LIFETIME = timedelta(days=7)
MAX_FAILED_ATTEMPTS = 5
FAILED_ATTEMPT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedInvite:
    invite: Invite
    code: str  # shown once; only its hash is stored


async def issue(
    session: AsyncSession,
    kind: InviteKind,
    *,
    school_id: int | None = None,
    region: str | None = None,
    child_id: int | None = None,
    relation: ParentRelation | None = None,
    created_by_id: int | None = None,
    now: datetime,
) -> IssuedInvite:
    one_time = kind is not InviteKind.SCHOOL_JOIN
    code = new_code()
    invite = Invite(
        code_hash=hash_code(code),
        kind=kind,
        school_id=school_id,
        region=region,
        child_id=child_id,
        relation=relation,
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + INVITE_LIFETIME if one_time else None,
        max_uses=1 if one_time else None,
    )
    session.add(invite)
    await session.flush()
    audit.record(
        session,
        "invite.issued",
        "invite",
        invite.id,
        actor_person_id=created_by_id,
        actor=None if created_by_id else "cli",
        kind=kind.value,
    )
    return IssuedInvite(invite=invite, code=code)


async def find_valid(session: AsyncSession, text: str, now: datetime) -> Invite | None:
    """The invite a code opens, if it exists, is not revoked, expired or used up."""
    code = normalise(text)
    if code is None:
        return None
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None or not is_open(invite, now):
        return None
    return invite


def is_open(invite: Invite, now: datetime) -> bool:
    if invite.revoked_at is not None:
        return False
    if invite.expires_at is not None and invite.expires_at <= now:
        return False
    return invite.max_uses is None or invite.use_count < invite.max_uses


async def consume(session: AsyncSession, invite: Invite, person_id: int, now: datetime) -> bool:
    """Count one use; False when somebody else used the last one first (compare-and-set)."""

    if not is_open(invite, now):
        return False
    condition = Invite.id == invite.id
    if invite.max_uses is not None:
        condition = condition & (Invite.use_count < Invite.max_uses)
    result = await session.execute(
        update(Invite)
        .where(condition)
        .values(use_count=Invite.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    audit.record(session, "invite.redeemed", "invite", invite.id, actor_person_id=person_id, kind=invite.kind.value)
    return True


async def revoke(session: AsyncSession, text: str, now: datetime) -> Invite:
    """Make an open one-time invite stop working, e.g. a code sent to the wrong person; refuses anything else."""
    code = normalise(text)
    invite = None if code is None else await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None:
        raise InvalidInput("unknown_invite", "no invite has this code (codes are 12 letters and digits)")
    if invite.kind is InviteKind.SCHOOL_JOIN:
        raise InvalidInput("join_code", "this is a school's join code; replace it with `school join-code` instead")
    if not is_open(invite, now):
        raise InvalidInput("invite_closed", "this invite no longer works already (used, expired or revoked)")
    invite.revoked_at = now
    audit.record(session, "invite.revoked", "invite", invite.id, actor="cli", kind=invite.kind.value)
    return invite


async def revoke_school_join_codes(session: AsyncSession, school_id: int, now: datetime) -> None:
    await session.execute(
        update(Invite)
        .where(Invite.school_id == school_id, Invite.kind == InviteKind.SCHOOL_JOIN, Invite.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def code_entry_paused(session: AsyncSession, person_id: int, now: datetime) -> bool:
    since = (now) - FAILED_ATTEMPT_WINDOW
    failures = await session.scalar(
        select(func.count())
        .select_from(FailedCodeAttempt)
        .where(FailedCodeAttempt.person_id == person_id, FailedCodeAttempt.attempted_at > since)
    )
    return (failures or 0) >= MAX_FAILED_ATTEMPTS


async def record_failed_attempt(session: AsyncSession, person_id: int, now: datetime) -> None:
    session.add(FailedCodeAttempt(person_id=person_id, attempted_at=now))
    audit.record(session, "invite.wrong_code", "person", person_id, actor_person_id=person_id)
