"""Rendering of the counsellor's desk: alerts, the queue, the case card, actions and their confirmations.

Counsellors and supervisors read these; caregivers only ever see the counselling room's messages and the "reply"
prompt, never notes, referrals or another family.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.cases import screens as cx
from bot.cases.models import CaseOutcome, CaseStatus, EventKind, FlagSource, ReferralKind, ReferralStatus
from bot.cases.screens import Folder, Purpose
from bot.cases.severity import Level
from bot.checkins.questionnaire import Assessment
from bot.i18n import N_, gettext_for
from bot.telegram import keyboards as kb
from bot.telegram.render import CAREGIVER_RELATIONS, PARENT_NAMES, Reply, Style, render
from bot.telegram.transport import Rendered

# The card must be one message: Telegram allows 4096 characters, and markup only ever makes ours longer.
CARD_LIMIT = 4000
NOTE_SHOWN = 300
EVENT_TEXT_SHOWN = 200
BADGES = {Level.URGENT: "🔴", Level.HIGH: "🟠", Level.ROUTINE: "🟡", Level.NONE: "⚪"}
LEVELS = {
    Level.URGENT: N_("Urgent"),
    Level.HIGH: N_("High concern"),
    Level.ROUTINE: N_("For this week"),
    Level.NONE: N_("No concern"),
}
SOURCES = {
    FlagSource.CHECKIN: N_("the weekly check-in"),
    FlagSource.MISSED: N_("missed check-ins"),
    FlagSource.WORRIED: N_('the "I\'m worried" button'),
    FlagSource.MESSAGE: N_("a message to the bot"),
}
CALL_TO_ACTION = {
    Level.URGENT: N_("Please contact the family now."),
    Level.HIGH: N_("Please contact the family within one working day."),
    Level.ROUTINE: N_("Please look at this during the week."),
}
STATUSES = {
    CaseStatus.NEW: N_("new"),
    CaseStatus.TAKEN: N_("taken"),
    CaseStatus.IN_CONTACT: N_("in contact"),
    CaseStatus.REFERRED: N_("referred"),
    CaseStatus.CLOSED: N_("closed"),
    CaseStatus.REOPENED: N_("reopened"),
}
FOLDERS = {
    Folder.MINE: N_("Mine"),
    Folder.UNASSIGNED: N_("Unassigned"),
    Folder.OPEN: N_("All open"),
    Folder.APPROVAL: N_("To approve"),
}
REFERRALS = {
    ReferralKind.VILLAGE_DOCTOR: N_("village doctor"),
    ReferralKind.TOWNSHIP_HOSPITAL: N_("township hospital"),
    ReferralKind.MENTAL_HEALTH: N_("mental-health service"),
    ReferralKind.CHILD_PROTECTION: N_("child protection or police"),
    ReferralKind.OTHER: N_("other"),
}
REFERRAL_STATUSES = {
    ReferralStatus.SENT: N_("sent"),
    ReferralStatus.ACCEPTED: N_("accepted"),
    ReferralStatus.DONE: N_("done"),
}
OUTCOMES = {
    CaseOutcome.RESOLVED: N_("resolved"),
    CaseOutcome.REFERRED_ON: N_("referred on"),
    CaseOutcome.NO_CONCERN: N_("no concern found"),
    CaseOutcome.UNREACHABLE: N_("family unreachable"),
    CaseOutcome.MOVED_AWAY: N_("moved away"),
}
FOLLOW_UPS = {"1d": N_("Tomorrow 09:00"), "3d": N_("In 3 days"), "7d": N_("In a week"), "14d": N_("In 2 weeks")}
EVENTS = {
    EventKind.OPENED: N_("case opened"),
    EventKind.FLAG_ADDED: N_("new flag"),
    EventKind.SEVERITY_CHANGED: N_("severity changed"),
    EventKind.TAKEN: N_("taken"),
    EventKind.HANDED_OVER: N_("handed over"),
    EventKind.RETURNED: N_("back to unassigned"),
    EventKind.VIEWED: N_("viewed"),
    EventKind.NOTE: N_("note"),
    EventKind.MESSAGE_TO_CAREGIVER: N_("message to the family"),
    EventKind.CAREGIVER_REPLY: N_("the family replied"),
    EventKind.PARENT_ASKED_TO_CALL: N_("parent asked to call home"),
    EventKind.IN_CONTACT: N_("in contact with the family"),
    EventKind.REFERRED: N_("referred"),
    EventKind.REFERRAL_UPDATED: N_("referral updated"),
    EventKind.FOLLOW_UP_SET: N_("follow-up set"),
    EventKind.FOLLOW_UP_DUE: N_("follow-up due"),
    EventKind.FOLLOW_UP_DONE: N_("follow-up done"),
    EventKind.REMINDED: N_("reminder: not yet taken"),
    EventKind.ESCALATED: N_("escalated to the supervisor"),
    EventKind.CLOSURE_REQUESTED: N_("closure asked for"),
    EventKind.CLOSURE_REJECTED: N_("closure not approved"),
    EventKind.CLOSED: N_("closed"),
    EventKind.REOPENED: N_("reopened"),
}
ACTIONS = [
    ("take", N_("🙋 Take case")),
    ("contact", N_("☎️ In contact")),
    ("note", N_("📝 Note")),
    ("msg", N_("💬 Message family")),
    ("parent", N_("📞 Ask parent to call")),
    ("ref", N_("🏥 Refer")),
    ("fu", N_("⏰ Follow-up")),
    ("sev", N_("🚦 Severity")),
    ("hand", N_("🤝 Hand over")),
    ("voice", N_("🎤 Voice notes")),
    ("trend", N_("📈 Trend")),
    ("close", N_("✅ Close")),
    ("approve", N_("👍 Approve closure")),
    ("reject", N_("👎 Don't close")),
    ("reopen", N_("↩️ Reopen")),
]
DONE = {
    "handed_over": N_("🤝 Handed over."),
    "in_contact": N_("☎️ Marked as in contact with the family."),
    "note": N_("📝 Note saved."),
    "message": N_("💬 Sent to the family, from the school counselling room."),
    "severity": N_("🚦 Severity changed."),
    "closure_requested": N_("⏳ Closure asked for: a supervisor will approve it."),
    "closed": N_("✅ Case closed."),
    "closure_approved": N_("👍 Closure approved: the case is closed."),
    "closure_rejected": N_("👎 The case stays open; the counsellor has been told why."),
    "reopened": N_("↩️ Case reopened."),
    "referred": N_("🏥 Referral recorded."),
    "referral_updated": N_("🏥 Referral updated."),
    "follow_up": N_("⏰ Follow-up set. I will remind you."),
    "follow_up_done": N_("⏰ Follow-up done."),
    "parent_asked": N_("📞 The parent has been asked to call home."),
    "approval_on": N_("Closing urgent and high cases now needs a supervisor's approval in your region."),
    "approval_off": N_("Counsellors in your region now close cases without approval."),
}
REFUSED = {
    "text_length": N_("Please write between 1 and 1000 characters."),
    "child_has_open_case": N_("This child already has an open case. Please use that one."),
    "no_parent_linked": N_("No parent is linked to this child yet."),
}
PROMPTS = {
    Purpose.NOTE: N_("📝 Type the note. Only counsellors and supervisors will see it."),
    Purpose.MESSAGE: N_("💬 Type the message for the family. They will see it as from the school counselling room."),
    Purpose.CLOSE: N_("✅ In a few words: why can the case close?"),
    Purpose.SEVERITY: N_("🚦 In a few words: why change the severity?"),
    Purpose.REOPEN: N_("↩️ In a few words: why reopen the case?"),
    Purpose.REJECT: N_("👎 In a few words: why should the case stay open?"),
}


def _case_button(case_id: int, action: str, label: str) -> kb.Button:
    return label, kb.callback("cs", case_id, action)


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")


def waited(delta: timedelta, style: Style) -> str:
    _ = gettext_for(style.language)
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("{n} min").format(n=minutes)
    if minutes < 48 * 60:
        return _("{n} h").format(n=minutes // 60)
    return _("{n} days").format(n=minutes // (24 * 60))


def reason_lines(style: Style, level: Level, reasons, score, average, missed) -> list[str]:
    if style.checkins is None:
        return list(reasons)
    assessment = Assessment(
        level=level, symptom_score=score or 0, reasons=tuple(reasons), average=average, missed_in_a_row=missed
    )
    return style.checkins.reason_labels(assessment, style.language)


# -- alerts -------------------------------------------------------------------------------------------------


def case_alert(params: dict[str, Any], style: Style) -> Rendered:
    """What a counsellor reads first: how urgent, which child, why, and what to do; once taken, who took it."""
    _ = gettext_for(style.language)
    # The badge says how urgent the case is now; the reasons are those of the newest report.
    level = Level(params["case_severity"])
    who = _("{nickname}, {age} years old").format(nickname=f"<b>{escape(params['nickname'])}</b>", age=params["age"])
    case = (_("New case #{case}") if params["opened"] else _("Added to case #{case}")).format(case=params["case_id"])
    lines = [f"{BADGES[level]} <b>{_(LEVELS[level])}</b> · {escape(params['school'])}", who, case, "", _("Why:")]
    reasons = reason_lines(
        style,
        Level(params["level"]),
        params["reasons"],
        params["symptom_score"],
        params["average"],
        params["missed_in_a_row"],
    )
    lines += [f"• {escape(label)}" for label in reasons]
    lines.append(_("From: {source}").format(source=_(SOURCES[FlagSource(params["source"])])))
    if params.get("note"):
        lines.append(_("In their words: {note}").format(note=f"<i>{escape(params['note'])}</i>"))
    if params["has_voice"]:
        lines.append(_("🎤 There is a voice note with the case."))
    if params.get("updates"):
        lines.append(
            _("🔁 New reports since this alert was first sent: {count}. The newest is shown.").format(
                count=params["updates"]
            )
        )
    open_button = _case_button(params["case_id"], "open", _("📂 Open"))
    edits = params.get("edit_message_id")
    if params.get("taken_by"):
        lines += ["", _("✅ Taken by {name}.").format(name=escape(params["taken_by"]))]
        return Rendered("\n".join(lines), [[open_button]], edit_message_id=edits)
    lines += ["", _(CALL_TO_ACTION[level])]
    take = _case_button(params["case_id"], "take", _("🙋 Take case"))
    return Rendered("\n".join(lines), [[take, open_button]], edit_message_id=edits)


def counsellor_message(params: dict[str, Any], style: Style) -> Rendered:
    """To a caregiver: words from the school counselling room, with a way to answer."""
    _ = gettext_for(style.language)
    heading = _("🏫 A message from the counselling room of {school}:").format(school=escape(params["school"]))
    return Rendered(f"{heading}\n\n{escape(params['text'])}", [[(_("✍️ Reply"), kb.callback("rp", params["case_id"]))]])


def caregiver_reply(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    heading = _("💬 {nickname}'s family replied (case #{case}):").format(
        nickname=escape(params["nickname"]), case=params["case_id"]
    )
    body = _("🎤 a voice note") if params["voice"] else f"<i>{escape(params['text'])}</i>"
    return Rendered(f"{heading}\n{body}", [[_case_button(params["case_id"], "open", _("📂 Open"))]])


def case_handed_over(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    level = Level(params["severity"])
    text = _("🤝 Case #{case} ({nickname}) has been handed over to you.").format(
        case=params["case_id"], nickname=escape(params["nickname"])
    )
    return Rendered(f"{BADGES[level]} {text}", [[_case_button(params["case_id"], "open", _("📂 Open"))]])


def closure_approval(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("⏳ Case #{case} ({nickname}, {school}) is ready to close: {outcome}. Do you approve?").format(
        case=params["case_id"],
        nickname=escape(params["nickname"]),
        school=escape(params["school"]),
        outcome=_(OUTCOMES[CaseOutcome(params["outcome"])]),
    )
    case_id = params["case_id"]
    return Rendered(
        text,
        [
            [
                _case_button(case_id, "approve", _("👍 Approve closure")),
                _case_button(case_id, "reject", _("👎 Don't close")),
            ],
            [_case_button(case_id, "open", _("📂 Open"))],
        ],
    )


def closure_rejected(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("👎 Case #{case} stays open. The supervisor wrote: {reason}").format(
        case=params["case_id"], reason=f"<i>{escape(params['reason'])}</i>"
    )
    return Rendered(text, [[_case_button(params["case_id"], "open", _("📂 Open"))]])


def parent_call_request(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    return Rendered(
        _(
            "📞 The counselling room of {school} asks you to call home soon, to talk with {nickname} and the family.\n"
            "A calm, warm call helps most: ask how the week went, listen, and say you are proud of them. "
            "The teacher may call you too."
        ).format(school=escape(params["school"]), nickname=f"<b>{escape(params['nickname'])}</b>")
    )


# -- the queue and the card ---------------------------------------------------------------------------------


@render.register
def _(screen: cx.Queue, style: Style) -> Reply:
    _ = gettext_for(style.language)
    title = _("📂 Cases: {folder}").format(folder=_(FOLDERS[screen.folder]))
    lines = [f"<b>{title}</b>"]
    if not screen.lines:
        lines.append(_("No cases here. 🌱"))
    buttons: list[list[kb.Button]] = []
    for line in screen.lines:
        status = _(STATUSES[line.status])
        who = f" · {escape(line.assignee)}" if line.assignee else ""
        lines.append(
            f"{BADGES[line.severity]} #{line.case_id} <b>{escape(line.nickname)}</b> "
            + _("{age} y").format(age=line.age)
            + f" · {status} · ⏱ {waited(line.waiting, style)}{who}"
        )
        buttons.append(
            [(f"{BADGES[line.severity]} #{line.case_id} {line.nickname}", kb.callback("cs", line.case_id, "open"))]
        )
    if screen.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=screen.page + 1, pages=screen.pages))
        nav = []
        if screen.page > 0:
            nav.append(("⬅️", kb.callback("cq", screen.folder.value, screen.page - 1)))
        if screen.page < screen.pages - 1:
            nav.append(("➡️", kb.callback("cq", screen.folder.value, screen.page + 1)))
        buttons.append(nav)
    buttons.append(
        [
            (("• " if folder is screen.folder else "") + _(FOLDERS[folder]), kb.callback("cq", folder.value, 0))
            for folder in screen.folders
        ]
    )
    if screen.approval_required is not None:
        label = _("⚙️ Closure approval: on") if screen.approval_required else _("⚙️ Closure approval: off")
        buttons.append([(label, kb.callback("cp"))])
    return Reply("\n".join(lines), kb.inline(buttons))


@render.register
def _(screen: cx.Card, style: Style) -> Reply:
    _ = gettext_for(style.language)
    tz = screen.timezone
    head = f"{BADGES[screen.severity]} <b>{_(LEVELS[screen.severity])}</b> · " + _("Case #{case}").format(
        case=screen.case_id
    )
    state = _(STATUSES[screen.status])
    if screen.assignee:
        state += " · " + _("with {name}").format(name=escape(screen.assignee))
    if screen.outcome:
        state += " · " + _(OUTCOMES[screen.outcome])
    child = _("{nickname}, {age} years old").format(nickname=f"<b>{escape(screen.nickname)}</b>", age=screen.age)
    if screen.grade:
        child += " · " + _("grade {grade}").format(grade=escape(screen.grade))
    lines = [head, state, f"{escape(screen.school)} · {child}"]
    for name, relation, phone in screen.caregivers:
        label = CAREGIVER_RELATIONS.get(relation)
        line = _("Caregiver: {name} ({relation})").format(name=escape(name), relation=_(label) if label else "")
        if phone:
            line += " · ☎️ " + escape(phone)
        lines.append(line)
    for view in screen.parents:
        parent = _(PARENT_NAMES[view.relation])
        line = (
            _("Parent: {parent}, last in touch {when}").format(parent=parent, when=view.last_in_touch.isoformat())
            if view.last_in_touch
            else _("Parent: {parent}, no contact reported lately").format(parent=parent)
        )
        if view.lapsed:
            line += " · " + _("⚠️ no contact for 3 weeks or more")
        lines.append(line)
    evidence = [_flag_lines(flag, tz, style) for flag in screen.flags]
    middle = []
    if screen.referrals:
        middle += ["", "<b>" + _("Referrals") + "</b>"]
        middle += [f"• {_(REFERRALS[r.kind])} — {_(REFERRAL_STATUSES[r.status])}" for r in screen.referrals]
    if screen.follow_ups:
        middle += ["", "<b>" + _("Follow-ups") + "</b>"]
        middle += [f"• {_local(f.due_at, tz)} · {escape(f.counsellor)}" for f in screen.follow_ups]
    timeline = []
    for event in screen.events:
        line = f"• {_local(event.at, tz)} {_(EVENTS[event.kind])}"
        if event.actor:
            line += f" — {escape(event.actor)}"
        if event.details.get("voice"):
            line += " 🎤"
        elif event.text:
            line += f": <i>{escape(_shortened(event.text, EVENT_TEXT_SHOWN))}</i>"
        timeline.append(line)
    text = _fit_card(lines, evidence, middle, timeline, style)
    return Reply(text, kb.inline(_card_buttons(screen, style)))


def _flag_lines(flag: cx.FlagView, tz: str, style: Style) -> list[str]:
    _ = gettext_for(style.language)
    reasons = reason_lines(style, flag.level, flag.reasons, flag.symptom_score, flag.average, flag.missed_in_a_row)
    lines = [f"{BADGES[flag.level]} {_local(flag.at, tz)} · {_(SOURCES[flag.source])}: " + escape("; ".join(reasons))]
    if flag.answers and style.checkins is not None:
        lines.append("   " + escape(_answers_line(flag.answers, style)))
    if flag.note:
        lines.append(f"   <i>{escape(_shortened(flag.note, NOTE_SHOWN))}</i>")
    if flag.has_voice:
        lines.append("   " + _("🎤 voice note"))
    return lines


def _shortened(text: str, limit: int) -> str:
    """Cut plain text before it is escaped and tagged, so that markup is never cut in half."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit_card(head: list[str], evidence: list[list[str]], middle: list[str], timeline: list[str], style) -> str:
    """The card in one message, whole lines only: the oldest evidence and timeline entries go first, from
    whichever list is longer, the newest of each always stays, and the reader is told how much is left out."""
    _ = gettext_for(style.language)
    evidence, timeline = list(evidence), list(timeline)
    dropped = {"evidence": 0, "timeline": 0}

    def left_out(section: str) -> list[str]:
        count = dropped[section]
        return [_("… {n} earlier entries are not shown").format(n=count)] if count else []

    def assemble() -> str:
        lines = [*head, "", "<b>" + _("Evidence") + "</b>", *left_out("evidence")]
        lines += [line for group in evidence for line in group]
        lines += [*middle, "", "<b>" + _("Timeline") + "</b>", *left_out("timeline"), *timeline]
        return "\n".join(lines)

    text = assemble()
    while len(text) > CARD_LIMIT and (len(timeline) > 1 or len(evidence) > 1):
        if len(timeline) > 1 and (len(timeline) >= len(evidence) or len(evidence) == 1):
            timeline.pop(0)
            dropped["timeline"] += 1
        else:
            evidence.pop(0)
            dropped["evidence"] += 1
        text = assemble()
    return text


def _answers_line(answers: tuple[tuple[str, str], ...], style: Style) -> str:
    """The check-in's answers in words: "心情: 😐 有时候 · 上学: 🙂 没有"."""
    questionnaire = style.checkins.weekly
    lang = style.language
    parts = []
    for question_id, option_id in answers:
        try:
            question = questionnaire.question(question_id)
            answer = question.option(option_id).label.get(lang) if question.options else "✏️"
        except KeyError:
            continue  # a skipped question, or one from an older version of the questionnaire
        parts.append(f"{question.topic.get(lang)}: {answer}")
    return " · ".join(parts)


def _card_buttons(screen: cx.Card, style: Style) -> list[list[kb.Button]]:
    _ = gettext_for(style.language)
    buttons = [_case_button(screen.case_id, action, _(label)) for action, label in ACTIONS if action in screen.actions]
    rows = kb.in_rows(buttons, 2)
    for referral in screen.referrals:
        for status in (ReferralStatus.ACCEPTED, ReferralStatus.DONE):
            if referral.status is not status and screen.status is not CaseStatus.CLOSED:
                label = f"🏥 {_(REFERRALS[referral.kind])}: {_(REFERRAL_STATUSES[status])}"
                rows.append([(label, kb.callback("cr", referral.id, status.value))])
    for follow_up in screen.follow_ups:
        label = _("⏰ Done: {when}").format(when=_local(follow_up.due_at, screen.timezone))
        rows.append([(label, kb.callback("cf", follow_up.id))])
    return rows


# -- actions ------------------------------------------------------------------------------------------------


@render.register
def _(screen: cx.Taken, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("🙋 You took case #{case} ({nickname}).").format(case=screen.case_id, nickname=escape(screen.nickname))
    )


@render.register
def _(screen: cx.AlreadyTaken, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("{name} has already taken this case.").format(name=screen.by))


@render.register
def _(screen: cx.AskText, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_(PROMPTS[screen.purpose]) + "\n" + _("(Case #{case})").format(case=screen.case_id))


@render.register
def _(screen: cx.Choose, style: Style) -> Reply:
    _ = gettext_for(style.language)
    labels = {
        "ref": lambda value: _(REFERRALS[ReferralKind(value)]),
        "fu": lambda value: _(FOLLOW_UPS[value]),
        "sev": lambda value: f"{BADGES[Level(value)]} {_(LEVELS[Level(value)])}",
        "close": lambda value: _(OUTCOMES[CaseOutcome(value)]),
        "hand": lambda value: value,
    }[screen.action]
    prompts = {
        "ref": N_("🏥 Refer to whom?"),
        "fu": N_("⏰ When should I remind you?"),
        "sev": N_("🚦 Which severity?"),
        "close": N_("✅ What is the outcome?"),
        "hand": N_("🤝 Hand over to whom?"),
    }
    buttons = [
        (labels(label) if screen.action != "hand" else label, kb.callback("cs", screen.case_id, screen.action, value))
        for value, label in screen.options
    ]
    if not buttons:
        return Reply(_("There is nobody else to hand this case to."))
    return Reply(_(prompts[screen.action]), kb.inline(kb.in_rows(buttons, 2)))


@render.register
def _(screen: cx.Done, style: Style) -> Reply:
    _ = gettext_for(style.language)
    text = _(DONE[screen.what])
    if not screen.case_id:
        return Reply(text)
    return Reply(text, kb.inline([[_case_button(screen.case_id, "open", _("📂 Open"))]]))


@render.register
def _(screen: cx.Refused, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_(REFUSED[screen.why]))


@render.register
def _(screen: cx.Voices, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("🎤 {n} voice note(s) with this case.").format(n=len(screen.file_ids)))


@render.register
def _(screen: cx.Trend, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lines = [
        _("📈 {nickname}: check-in score, last 8 weeks (0–10)").format(nickname=f"<b>{escape(screen.nickname)}</b>")
    ]
    for week, score in screen.points:
        bar = "▇" * score if score else ""
        lines.append(f"{week.strftime('%m-%d')}  {bar} {score if score is not None else '—'}")
    return Reply("\n".join(lines))


@render.register
def _(screen: cx.ReplyPrompt, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("✍️ Please write your answer to the counselling room of {school}. You can also send a voice message.").format(
            school=escape(screen.school)
        )
    )


@render.register
def _(screen: cx.ReplySent, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("✅ Sent to the counselling room of {school}. Thank you.").format(school=escape(screen.school)))


# -- the school's group ---------------------------------------------------------------------------------------


def group_case_notice(params: dict[str, Any], style: Style) -> Rendered:
    """The only line a group gets: both languages, since a group has no one language, and no child's details."""
    level = Level(params["level"])
    lines = []
    for language in ("zh_Hans", "en"):
        _ = gettext_for(language)
        lines.append(
            _("{badge} New {level} case #{case}: please open it in your private chat with the bot.").format(
                badge=BADGES[level], level=_(LEVELS[level]), case=params["case_id"]
            )
        )
    return Rendered("\n".join(lines))


def group_linked(school: str | None, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if school is None:
        return Reply(_("Only a school counsellor registered with the bot can link this group."))
    return Reply(
        _(
            "✅ This group is now linked to {school}. It will get one short line when an urgent or high case "
            "opens, never a child's details. Open cases in your private chat with the bot."
        ).format(school=escape(school))
    )


def group_unlinked(done: bool, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if not done:
        return Reply(_("Only a counsellor of the linked school can unlink this group."))
    return Reply(_("This group is no longer linked. It will get no more lines about cases."))
