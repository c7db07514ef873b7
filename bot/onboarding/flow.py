"""Onboarding: from an invitation code to a person with a role, one step at a time.

Every answer is saved as it comes (the conversation row), so an interrupted onboarding resumes where it
stopped. Button presses carry the conversation's revision: a press from an older step, a second press, or
forged data finds a different revision or an unknown value and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.planning import plan_for_new_child
from bot.clock import Clock
from bot.consent import service as consent
from bot.content import ContentPack
from bot.conversations import store
from bot.conversations.models import Conversation
from bot.errors import InvalidInput
from bot.families import service as families
from bot.families.models import CaregiverRelation, Child
from bot.i18n import SUPPORTED_LANGUAGES, normalise_language
from bot.invites import service as invites
from bot.invites.codes import normalise
from bot.invites.models import Invite, InviteKind
from bot.onboarding import screens as s
from bot.outbox.enqueue import enqueue
from bot.people.models import Person
from bot.people.service import roles_of
from bot.schools import service as schools

FLOW = "onboarding"


class Role(StrEnum):
    CAREGIVER = "caregiver"
    PARENT = "parent"
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"


class Step(StrEnum):
    LANGUAGE = "language"
    CONSENT = "consent"
    RELATION = "relation"
    NICKNAME = "nickname"
    BIRTH_YEAR = "birth_year"
    BIRTH_MONTH = "birth_month"
    MORE = "more"


# The button action each step accepts; a press naming another action is stale or forged.
ACTION_OF_STEP = {
    Step.LANGUAGE: "lang",
    Step.CONSENT: "consent",
    Step.RELATION: "rel",
    Step.BIRTH_YEAR: "year",
    Step.BIRTH_MONTH: "month",
    Step.MORE: "more",
}
CONSENT_SCOPE = {Role.CAREGIVER: "caregiver_terms", Role.PARENT: "parent_terms"}
UNKNOWN_MONTH = 0


class Onboarding:
    def __init__(self, content: ContentPack, clock: Clock) -> None:
        self.content = content
        self.clock = clock

    # -- entry points -------------------------------------------------------------------------------------

    async def start(self, session: AsyncSession, person: Person, code: str | None) -> list[s.Screen]:
        """`/start`, with or without the code of a deep link."""
        if code:
            return await self._redeem(session, person, code)
        conversation = await self._conversation(session, person)
        if conversation is not None:
            return [await self._prompt(session, person, conversation)]
        roles = await roles_of(session, person.id)
        return [s.Home(roles)] if roles.any else [s.Welcome()]

    async def text(self, session: AsyncSession, person: Person, text: str) -> list[s.Screen] | None:
        """Typed text: a nickname when one is asked for, else perhaps a code; None when it is neither."""
        conversation = await self._conversation(session, person)
        if conversation is not None and conversation.step == Step.NICKNAME:
            return await self._nickname(session, person, conversation, text)
        if normalise(text) is not None:
            return await self._redeem(session, person, text)
        if conversation is not None:
            return [s.UseTheButtons(), await self._prompt(session, person, conversation)]
        return None

    async def press(
        self, session: AsyncSession, person: Person, revision: int, action: str, value: str
    ) -> list[s.Screen]:
        conversation = await self._conversation(session, person)
        if (
            conversation is None
            or conversation.revision != revision
            or ACTION_OF_STEP.get(Step(conversation.step)) != action
        ):
            return [s.StaleButton()]
        handler = {
            Step.LANGUAGE: self._language,
            Step.CONSENT: self._consent,
            Step.RELATION: self._relation,
            Step.BIRTH_YEAR: self._birth_year,
            Step.BIRTH_MONTH: self._birth_month,
            Step.MORE: self._more,
        }[Step(conversation.step)]
        try:
            return await handler(session, person, conversation, value)
        except (InvalidInput, ValueError, KeyError):
            # Only forged callback data gets here: a real button always carries a valid value.
            return [s.StaleButton()]

    async def add_another_child(self, session: AsyncSession, person: Person) -> list[s.Screen]:
        """From the family menu: add a child to the school of the caregiver's first child."""
        children = await families.children_of_caregiver(session, person.id)
        if not children:
            return [s.StaleButton()]
        conversation = await store.begin(
            session, person.id, FLOW, Step.RELATION, role=Role.CAREGIVER, school_id=children[0].child.school_id
        )
        return [s.AskRelation(conversation.revision)]

    # -- codes ----------------------------------------------------------------------------------------------

    async def _redeem(self, session: AsyncSession, person: Person, code: str) -> list[s.Screen]:
        now = self.clock()
        if await invites.code_entry_paused(session, person.id, now):
            return [s.CodesPaused()]
        invite = await invites.find_valid(session, code, now)
        if invite is None:
            await invites.record_failed_attempt(session, person.id, now)
            paused = await invites.code_entry_paused(session, person.id, now)
            return [s.CodesPaused() if paused else s.CodeRejected()]
        if invite.kind is InviteKind.COUNSELLOR:
            if not await invites.consume(session, invite, person.id, now):
                return [s.InviteUsedUp()]
            await schools.add_counsellor(session, invite.school_id, person.id, now)
            return await self._ask_language(session, person, Role.COUNSELLOR, school_id=invite.school_id)
        if invite.kind is InviteKind.SUPERVISOR:
            if not await invites.consume(session, invite, person.id, now):
                return [s.InviteUsedUp()]
            await schools.add_supervisor(session, invite.region, person.id, now)
            return await self._ask_language(session, person, Role.SUPERVISOR, region=invite.region)
        if invite.kind is InviteKind.SCHOOL_JOIN:
            if await consent.has_consented(session, person.id, CONSENT_SCOPE[Role.CAREGIVER]):
                conversation = await store.begin(
                    session, person.id, FLOW, Step.RELATION, role=Role.CAREGIVER, school_id=invite.school_id
                )
                return [s.AskRelation(conversation.revision)]
            return await self._ask_language(session, person, Role.CAREGIVER, school_id=invite.school_id)
        # A parent's invite is used up only when they agree, so a parent who stops half-way can come back.
        if invite.child_id in (await roles_of(session, person.id)).parent_child_ids:
            return [s.Home(await roles_of(session, person.id))]
        return await self._ask_language(session, person, Role.PARENT, invite_id=invite.id)

    async def _ask_language(self, session: AsyncSession, person: Person, role: Role, **data) -> list[s.Screen]:
        conversation = await store.begin(session, person.id, FLOW, Step.LANGUAGE, role=role, **data)
        return [s.AskLanguage(conversation.revision)]

    # -- steps ----------------------------------------------------------------------------------------------

    async def _language(self, session: AsyncSession, person: Person, conv: Conversation, value: str) -> list[s.Screen]:
        if value not in SUPPORTED_LANGUAGES:
            raise InvalidInput("language")
        person.language = value
        role = Role(conv.data["role"])
        if role is Role.COUNSELLOR:
            school = await schools.get_school(session, conv.data["school_id"])
            await store.end(session, conv)
            return [s.JoinedSchool(school.name), s.Home(await roles_of(session, person.id))]
        if role is Role.SUPERVISOR:
            await store.end(session, conv)
            return [s.JoinedRegion(conv.data["region"]), s.Home(await roles_of(session, person.id))]
        store.advance(conv, Step.CONSENT)
        return [self._consent_prompt(person, conv)]

    async def _consent(self, session: AsyncSession, person: Person, conv: Conversation, value: str) -> list[s.Screen]:
        if value == "no":
            await store.end(session, conv)
            return [s.ConsentDeclined()]
        if value != "yes":
            raise InvalidInput("consent")
        role = Role(conv.data["role"])
        if role is Role.PARENT:
            # Check the invite before recording consent, so a failed link leaves nothing behind.
            invite = await session.get(Invite, conv.data["invite_id"])
            if invite is None or not invites.is_open(invite, self.clock()):
                await store.end(session, conv)
                return [s.InviteUsedUp()]
        terms = self._terms(role)
        language = normalise_language(person.language)
        await consent.record(session, person.id, CONSENT_SCOPE[role], terms.version, language, self.clock())
        if role is Role.PARENT:
            return await self._link_parent(session, person, conv, invite)
        store.advance(conv, Step.RELATION)
        return [s.AskRelation(conv.revision)]

    async def _relation(self, session: AsyncSession, person: Person, conv: Conversation, value: str) -> list[s.Screen]:
        store.advance(conv, Step.NICKNAME, relation=CaregiverRelation(value).value)
        return [s.AskNickname()]

    async def _nickname(self, session: AsyncSession, person: Person, conv: Conversation, text: str) -> list[s.Screen]:
        try:
            nickname = families.clean_nickname(text)
        except InvalidInput as refused:
            return [s.InputRefused(refused.code), s.AskNickname()]
        store.advance(conv, Step.BIRTH_YEAR, nickname=nickname)
        return [self._birth_year_prompt(conv)]

    async def _birth_year(
        self, session: AsyncSession, person: Person, conv: Conversation, value: str
    ) -> list[s.Screen]:
        year = int(value)
        families.check_birth_date(year, None, self.clock().date())
        store.advance(conv, Step.BIRTH_MONTH, birth_year=year)
        return [self._birth_month_prompt(conv)]

    async def _birth_month(
        self, session: AsyncSession, person: Person, conv: Conversation, value: str
    ) -> list[s.Screen]:
        month = int(value)
        if month not in self._months(conv.data["birth_year"]) and month != UNKNOWN_MONTH:
            raise InvalidInput("birth_month_range")
        birth_month = None if month == UNKNOWN_MONTH else month
        child = await families.add_child(
            session,
            caregiver_id=person.id,
            school_id=conv.data["school_id"],
            nickname=conv.data["nickname"],
            birth_year=conv.data["birth_year"],
            birth_month=birth_month,
            relation=CaregiverRelation(conv.data["relation"]),
            now=self.clock(),
        )
        school = await schools.get_school(session, child.school_id)
        await plan_for_new_child(session, person.id, child.id, school.timezone, self.clock())
        store.advance(conv, Step.MORE, child_id=child.id)
        return [s.ChildAdded(conv.revision, child.nickname, child.birth_year, child.birth_month)]

    async def _more(self, session: AsyncSession, person: Person, conv: Conversation, value: str) -> list[s.Screen]:
        if value == "yes":
            conv.data = {"role": Role.CAREGIVER.value, "school_id": conv.data["school_id"]}
            store.advance(conv, Step.RELATION)
            return [s.AskRelation(conv.revision)]
        if value != "no":
            raise InvalidInput("more")
        await store.end(session, conv)
        return [s.Home(await roles_of(session, person.id))]

    async def _link_parent(
        self, session: AsyncSession, person: Person, conv: Conversation, invite: Invite
    ) -> list[s.Screen]:
        now = self.clock()
        await store.end(session, conv)
        child = await session.get(Child, invite.child_id)
        if (
            child is None
            or await families.parent_slot_taken(session, child.id, invite.relation)
            or not await invites.consume(session, invite, person.id, now)
        ):
            return [s.InviteUsedUp()]
        await families.link_parent(session, person_id=person.id, child_id=child.id, relation=invite.relation, now=now)
        for caregiver_id in await families.caregiver_ids(session, child.id):
            await enqueue(
                session,
                caregiver_id,
                "parent_joined",
                {"nickname": child.nickname, "relation": invite.relation.value},
                dedupe_key=f"parent_joined:{child.id}:{person.id}:{caregiver_id}",
            )
        return [s.ParentLinked(child.nickname, invite.relation), s.Home(await roles_of(session, person.id))]

    # -- prompts --------------------------------------------------------------------------------------------

    async def _conversation(self, session: AsyncSession, person: Person) -> Conversation | None:
        conversation = await store.current(session, person.id)
        return conversation if conversation is not None and conversation.flow == FLOW else None

    async def _prompt(self, session: AsyncSession, person: Person, conv: Conversation) -> s.Screen:
        """The question a resumed conversation is waiting on."""
        step = Step(conv.step)
        if step is Step.LANGUAGE:
            return s.AskLanguage(conv.revision)
        if step is Step.CONSENT:
            return self._consent_prompt(person, conv)
        if step is Step.RELATION:
            return s.AskRelation(conv.revision)
        if step is Step.NICKNAME:
            return s.AskNickname()
        if step is Step.BIRTH_YEAR:
            return self._birth_year_prompt(conv)
        if step is Step.BIRTH_MONTH:
            return self._birth_month_prompt(conv)
        child = await session.get(Child, conv.data["child_id"])
        return s.ChildAdded(conv.revision, child.nickname, child.birth_year, child.birth_month)

    def _terms(self, role: Role):
        return getattr(self.content.consent, CONSENT_SCOPE[role])

    def _consent_prompt(self, person: Person, conv: Conversation) -> s.AskConsent:
        text = self._terms(Role(conv.data["role"])).text.get(normalise_language(person.language))
        return s.AskConsent(conv.revision, text)

    def _birth_year_prompt(self, conv: Conversation) -> s.AskBirthYear:
        return s.AskBirthYear(conv.revision, tuple(families.birth_years(self.clock().date())))

    def _months(self, birth_year: int) -> tuple[int, ...]:
        today = self.clock().date()
        last = today.month if birth_year == today.year else 12
        return tuple(range(1, last + 1))

    def _birth_month_prompt(self, conv: Conversation) -> s.AskBirthMonth:
        year = conv.data["birth_year"]
        return s.AskBirthMonth(conv.revision, year, self._months(year))
