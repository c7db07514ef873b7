"""The admin command line (`python -m bot …`, also installed as `shouhu`): migrations, schools, invites, `run`.

Every command that prints data takes `--json` and then prints one JSON document on stdout. Refused input exits 1
with one line on stderr and changes nothing; a broken setting or content pack exits 2.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

import bot.models  # noqa: F401  (every model, so that foreign keys between modules resolve)
from bot import crypto
from bot.cases import staff
from bot.clock import Clock, system_clock
from bot.config import Settings, get_settings
from bot.content import ContentError, ContentPack
from bot.content.bundle import load_content
from bot.db import Database
from bot.db.migrations import upgrade
from bot.errors import InvalidInput
from bot.families.unlink import unlink_parent
from bot.i18n import gettext_for
from bot.invites import service as invites
from bot.invites.codes import deep_link
from bot.invites.models import InviteKind
from bot.models import Base
from bot.people.forget import forget
from bot.privacy.person_export import export_person
from bot.reports import export as exports
from bot.reports.digest import Digest, build_digest
from bot.reports.labels import AGE_LABELS, duration, percent
from bot.reports.scope import region_scope, school_scope
from bot.schools import service as schools

T = TypeVar("T")

app = typer.Typer(help="Shouhu (守护) administration.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
school_app = typer.Typer(help="Schools and their caregiver join codes.", no_args_is_help=True)
invite_app = typer.Typer(help="One-time invites for counsellors and supervisors.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(school_app, name="school")
app.add_typer(invite_app, name="invite")

# Every "now" of a command; the tests set their own.
clock: Clock = system_clock

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
SchoolOption = Annotated[int, typer.Option("--school", help="The school's id (see `school list`).")]
TelegramIdOption = Annotated[int, typer.Option("--telegram-id", help="The person's Telegram user id.")]

NO_TOKEN = """\
Shouhu needs a Telegram bot token to run, and TELEGRAM_BOT_TOKEN is not set.
To get one: open Telegram, talk to @BotFather, send /newbot and follow its questions; it answers with a token
like 123456789:AA... Copy it into the file .env as TELEGRAM_BOT_TOKEN=<token>, then run `make run` again."""

NO_KEYS = """\
Shouhu encrypts what families write about their children, and SHOUHU_ENCRYPTION_KEYS is not set.
For real use: run `python -m bot keys generate`, put the key in .env as SHOUHU_ENCRYPTION_KEYS=<key>, and keep a
copy of it apart from the database (without it the text cannot be read). To try Shouhu on your own machine
instead, set SHOUHU_DEVELOPMENT=true: a development key is then kept in data/dev-encryption.key."""


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        _fail(f"Settings error (environment or .env): {problems}", 2)


def _content(settings: Settings) -> ContentPack:
    """The whole pack is checked, so a broken check-in or lexicon file is caught by any command, not a chat."""
    try:
        return load_content(settings.content_dir).pack
    except ContentError as exc:
        _fail(f"Content pack error: {exc}", 2)


def _database_failed(settings: Settings, exc: Exception) -> NoReturn:
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    _fail(f"Database error at {where}: {reason} (is it running, and has `python -m bot db upgrade` run?)", 2)


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on DATABASE_URL; refused input rolls back and exits 1."""
    _encryption(settings)

    async def main() -> T:
        db = Database(settings.database_url, clock=clock)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except InvalidInput as exc:
        _fail(f"Refused: {exc}")
    except (SQLAlchemyError, OSError) as exc:
        _database_failed(settings, exc)


async def fetch_bot_username(settings: Settings) -> str | None:
    """TELEGRAM_BOT_USERNAME, else what Telegram says about the token, else None."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.removeprefix("@")
    if not settings.telegram_bot_token:
        return None
    try:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
            return (await bot.get_me()).username
    except TelegramError:
        return None


def bot_username(settings: Settings) -> str | None:
    return asyncio.run(fetch_bot_username(settings))


def _print_code(settings: Settings, data: dict[str, Any], as_json: bool, lines: list[str], code: str) -> None:
    """Print a code with its deep link; without a bot username the code alone still works when typed."""
    username = bot_username(settings)
    data.update(code=code, link=deep_link(username, code) if username else None)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        lines.append(f"Code: {code}")
        if username:
            lines.append(f"Link: {data['link']}")
        typer.echo("\n".join(lines))
    if not username:
        typer.echo(
            "No link: set TELEGRAM_BOT_USERNAME (or a valid TELEGRAM_BOT_TOKEN) to build it. "
            "The code works on its own when typed into the bot.",
            err=True,
        )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations to DATABASE_URL."""
    settings = _settings()
    # The migrations encrypt stored rows: with a throwaway key, a real key set later could never read them.
    _require_keys(settings)
    _encryption(settings)
    try:
        upgrade(settings.database_url)
    except (SQLAlchemyError, OSError) as exc:
        _database_failed(settings, exc)
    typer.echo(f"Database is up to date: {make_url(settings.database_url).render_as_string(hide_password=True)}")


@school_app.command("add")
def school_add(
    name: Annotated[str, typer.Option("--name", help="The school's name.")],
    region: Annotated[str, typer.Option("--region", help="Its region, e.g. the county; supervisors work by region.")],
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA time zone (default: SHOUHU_TIMEZONE).")
    ] = None,
    hotlines: Annotated[str, typer.Option("--hotlines", help="A region key of content/hotlines.yaml.")] = "cn",
    as_json: JsonOption = False,
) -> None:
    """Add a school and print its caregiver join code and link."""
    settings = _settings()
    content = _content(settings)

    school, code = _in_session(
        settings,
        lambda session: schools.add_school(
            session,
            name=name,
            region=region,
            timezone=timezone or settings.timezone,
            hotline_region=hotlines,
            content=content,
            now=clock(),
        ),
    )
    data = {"id": school.id, "name": school.name, "region": school.region, "timezone": school.timezone}
    data["hotline_region"] = school.hotline_region
    lines = [
        f"Added school {school.id}: {school.name} ({school.region}, {school.timezone}, hotlines {hotlines}).",
        "Caregivers join with this code or link; it stays valid until `school join-code` replaces it.",
    ]
    _print_code(settings, data, as_json, lines, code)


@school_app.command("list")
def school_list(as_json: JsonOption = False) -> None:
    """List the schools with their counsellors and children."""
    settings = _settings()
    summaries = _in_session(settings, schools.list_schools)
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in summaries], ensure_ascii=False, indent=2))
        return
    if not summaries:
        typer.echo("No schools yet. Add one with `python -m bot school add --name N --region R`.")
        return
    header = ("id", "name", "region", "time zone", "hotlines", "counsellors", "children")
    rows = [header, *(tuple(str(v) for v in asdict(s).values()) for s in summaries)]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        typer.echo(
            "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@school_app.command("join-code")
def school_join_code(school_id: SchoolOption, as_json: JsonOption = False) -> None:
    """Replace a school's caregiver join code (the old one stops working)."""
    settings = _settings()
    code = _in_session(settings, lambda session: schools.new_join_code(session, school_id, clock()))
    lines = [f"New caregiver join code for school {school_id}; the old code no longer works."]
    _print_code(settings, {"school_id": school_id}, as_json, lines, code)


@invite_app.command("counsellor")
def invite_counsellor(school_id: SchoolOption, as_json: JsonOption = False) -> None:
    """Print a one-time invite that makes its opener a counsellor of the school."""
    settings = _settings()

    async def work(session: AsyncSession) -> invites.IssuedInvite:
        school = await schools.get_school(session, school_id)
        return await invites.issue(session, InviteKind.COUNSELLOR, school_id=school.id, now=clock())

    _print_invite(settings, _in_session(settings, work), {"school_id": school_id}, as_json)


@invite_app.command("supervisor")
def invite_supervisor(
    region: Annotated[str, typer.Option("--region", help="A region that has at least one school.")],
    as_json: JsonOption = False,
) -> None:
    """Print a one-time invite that makes its opener a supervisor of the region."""
    settings = _settings()
    region = " ".join(region.split())

    async def work(session: AsyncSession) -> invites.IssuedInvite:
        if not await schools.region_exists(session, region):
            raise InvalidInput("unknown_region", f"no school in region {region!r}; add one with `school add` first")
        return await invites.issue(session, InviteKind.SUPERVISOR, region=region, now=clock())

    _print_invite(settings, _in_session(settings, work), {"region": region}, as_json)


@invite_app.command("revoke")
def invite_revoke(
    code: Annotated[str, typer.Option("--code", help="The invite's code, as printed or sent (link or code).")],
    as_json: JsonOption = False,
) -> None:
    """Make an unused one-time invite stop working, e.g. one sent to the wrong person."""
    settings = _settings()
    invite = _in_session(settings, lambda session: invites.revoke(session, code.rsplit("start=", 1)[-1], clock()))
    if as_json:
        typer.echo(json.dumps({"id": invite.id, "kind": invite.kind.value, "revoked": True}, indent=2))
        return
    typer.echo(f"Revoked the {invite.kind.value} invite {invite.id}: its code no longer works.")


def _print_invite(settings: Settings, issued: invites.IssuedInvite, scope: dict[str, Any], as_json: bool) -> None:
    kind, expires = issued.invite.kind.value, issued.invite.expires_at
    local_expiry = expires.astimezone(settings.tzinfo).strftime("%Y-%m-%d %H:%M %Z")
    where = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in scope.items())
    data = {"kind": kind, **scope, "expires_at": expires.isoformat()}
    _print_code(settings, data, as_json, [f"One-time {kind} invite for {where}; expires {local_expiry}."], issued.code)


# --- counsellor: a school's counselling staff (bot/cases/staff.py) ----------------------------------------------

counsellor_app = typer.Typer(help="A school's counsellors.", no_args_is_help=True)
app.add_typer(counsellor_app, name="counsellor")


@counsellor_app.command("remove")
def counsellor_remove(
    school_id: SchoolOption,
    telegram_id: TelegramIdOption,
    as_json: JsonOption = False,
) -> None:
    """Remove a counsellor from a school: their open cases return to Unassigned, and the others are told."""
    settings = _settings()
    removal = _in_session(
        settings,
        lambda session: staff.remove_counsellor(
            session, school_id=school_id, telegram_user_id=telegram_id, now=clock()
        ),
    )
    returned = list(removal.returned_case_ids)
    if as_json:
        data = {
            "school_id": school_id,
            "telegram_id": telegram_id,
            "returned_cases": returned,
            "cancelled_follow_ups": removal.cancelled_follow_ups,
            "told": len(removal.told_person_ids),
            "cancelled_messages": removal.cancelled_messages,
        }
        typer.echo(json.dumps(data, indent=2))
        return
    lines = [f"Removed Telegram user {telegram_id} as a counsellor of school {school_id}."]
    if returned:
        numbers = ", ".join(f"#{case_id}" for case_id in returned)
        lines.append(f"Open cases back in Unassigned, with a new time limit to take them: {len(returned)} ({numbers}).")
        if removal.told_person_ids:
            told = len(removal.told_person_ids)
            lines.append(f"Told {told}: the school's other counsellors, or the region's supervisors if none is left.")
        else:
            lines.append("Nobody could be told: the school has no other counsellor and its region no supervisor.")
    else:
        lines.append("No open cases were assigned to them.")
    if removal.cancelled_follow_ups:
        lines.append(f"Cancelled their {removal.cancelled_follow_ups} follow-ups planned at this school.")
    if removal.cancelled_messages:
        lines.append(
            f"Cancelled {removal.cancelled_messages} messages about the school's cases still waiting for them."
        )
    typer.echo("\n".join(lines))


# --- supervisor: a region's supervisors (bot/cases/staff.py) ----------------------------------------------------

supervisor_app = typer.Typer(help="A region's supervisors.", no_args_is_help=True)
app.add_typer(supervisor_app, name="supervisor")


@supervisor_app.command("remove")
def supervisor_remove(
    region: Annotated[str, typer.Option("--region", help="The region they supervise.")],
    telegram_id: TelegramIdOption,
    as_json: JsonOption = False,
) -> None:
    """Remove a supervisor from a region: messages about its cases still waiting for them are cancelled."""
    settings = _settings()
    region = " ".join(region.split())
    removal = _in_session(
        settings, lambda session: staff.remove_supervisor(session, region=region, telegram_user_id=telegram_id)
    )
    if as_json:
        data = {"region": region, "telegram_id": telegram_id, "cancelled_messages": removal.cancelled_messages}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"Removed Telegram user {telegram_id} as a supervisor of region {region}; cancelled "
        f"{removal.cancelled_messages} messages about its cases still waiting for them."
    )


# --- parent: a migrant parent's link to a child (bot/families/unlink.py) ------------------------------------------

parent_app = typer.Typer(help="Parents linked to children.", no_args_is_help=True)
app.add_typer(parent_app, name="parent")


@parent_app.command("unlink")
def parent_unlink(
    telegram_id: TelegramIdOption,
    child_id: Annotated[
        int | None, typer.Option("--child", help="The child's id (see `data export`); needed for several children.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Unlink a parent from a child: their call plans stop and what still waits to be sent about it is cancelled."""
    settings = _settings()
    unlinked = _in_session(
        settings,
        lambda session: unlink_parent(session, telegram_user_id=telegram_id, child_id=child_id, now=clock()),
    )
    if as_json:
        data = {"telegram_id": telegram_id, **asdict(unlinked)}
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(
        f"Unlinked Telegram user {telegram_id} ({unlinked.relation}) from child {unlinked.child_id}. "
        f"Call plans removed: {unlinked.plans_removed}; waiting messages cancelled: {unlinked.cancelled_messages}."
    )


# --- data: deleting a person's data on request -----------------------------------------------------------------

data_app = typer.Typer(help="A person's data.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("export")
def data_export(
    telegram_id: TelegramIdOption,
    output: Annotated[Path | None, typer.Option("--output", dir_okay=False, help="Write to this file.")] = None,
) -> None:
    """Print everything stored about a person, decrypted, as one JSON document (for a request to see their data)."""
    settings = _settings()
    try:
        data = _in_session(settings, lambda session: export_person(session, telegram_id))
    except crypto.DecryptionError as exc:
        _fail(f"Encryption key error: {exc}", 2)
    if data is None:
        _fail(f"Refused: nobody with Telegram id {telegram_id} uses Shouhu.")
    document = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(document, nl=False)
        return
    try:
        # Only the owner may read it: it holds the person's own words and their children's details.
        output.touch(mode=0o600, exist_ok=False)
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        _fail(f"Refused: cannot write {output}: {exc.strerror}")
    typer.echo(f"Wrote everything stored about Telegram user {telegram_id} to {output}.")


@data_app.command("forget")
def data_forget(
    telegram_id: TelegramIdOption,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a person and what they shared, and any child left with nobody linked (with its check-ins and cases)."""
    if not yes:
        _fail("This deletes the person's data for good. Run it again with --yes to confirm.")
    settings = _settings()
    forgotten = _in_session(settings, lambda session: forget(session, telegram_id, clock()))
    if forgotten is None:
        _fail(f"Refused: nobody with Telegram id {telegram_id} uses Shouhu.")
    if as_json:
        data = {"telegram_id": telegram_id, **asdict(forgotten)}
        del data["person_id"]  # gone, and named by a pseudonym in the audit log from now on
        typer.echo(json.dumps(data, indent=2))
        return
    lines = [
        f"Deleted Telegram user {telegram_id} and what they shared: {forgotten.words_cleared} notes, words or voice "
        f"notes left on cases that stay, {forgotten.messages_dropped} messages waiting for others that carried "
        f"them, {forgotten.invites_deleted} invites they handed out. The audit log names them by a pseudonym "
        f"({forgotten.audit_rows_pseudonymised} rows)."
    ]
    if forgotten.children_deleted:
        lines.append(
            f"Children left with nobody linked, deleted with their check-ins and cases: {forgotten.children_deleted}."
        )
    if forgotten.cases_returned:
        lines.append(f"Open cases they had as a counsellor, back in Unassigned: {forgotten.cases_returned}.")
    typer.echo("\n".join(lines))


# --- keys: encryption at rest (bot/crypto) ---------------------------------------------------------------------

keys_app = typer.Typer(help="Keys for the free text that is encrypted at rest.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _require_keys(settings: Settings) -> None:
    """A forgotten setting must not leave families' words under a throwaway key on a real server."""
    if settings.encryption_keys is None and not settings.development:
        _fail(NO_KEYS, 2)


def _encryption(settings: Settings) -> None:
    try:
        crypto.configure(settings)
    except crypto.EncryptionKeyError as exc:
        _fail(f"Encryption key error: {exc}", 2)


@keys_app.command("generate")
def keys_generate(as_json: JsonOption = False) -> None:
    """Print a new key; it is stored nowhere, so put it first in SHOUHU_ENCRYPTION_KEYS."""
    key = crypto.generate_key()
    typer.echo(json.dumps({"key": key}) if as_json else key)


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per transaction.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """Re-encrypt every encrypted value with the newest key (the first in SHOUHU_ENCRYPTION_KEYS)."""
    settings = _settings()
    _encryption(settings)

    async def main() -> list[crypto.ColumnReport]:
        db = Database(settings.database_url, clock=clock)
        try:
            return await crypto.rotate_keys(db.engine, Base.metadata, batch_size=batch_size)
        finally:
            await db.dispose()

    try:
        reports = asyncio.run(main())
    except crypto.DecryptionError as exc:
        _fail(f"Rotation stopped at {exc}", 2)
    except (SQLAlchemyError, OSError) as exc:
        _database_failed(settings, exc)
    rotated, current = sum(r.rotated for r in reports), sum(r.current for r in reports)
    if as_json:
        columns = [asdict(report) for report in reports]
        typer.echo(json.dumps({"columns": columns, "rotated": rotated, "current": current}, indent=2))
        return
    for r in reports:
        typer.echo(f"{r.table}.{r.column}: {r.rotated} re-encrypted, {r.current} already had the newest key")
    typer.echo(f"Done: {rotated} values re-encrypted, {current} already had the newest key.")


# --- export and report: for administrators and supervisors (bot/reports) ----------------------------------------

export_app = typer.Typer(help="Exports for administrators.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("cases")
def export_cases(
    since: Annotated[
        datetime,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Cases open at any time from this day (YYYY-MM-DD) on."),
    ],
    school_id: Annotated[int | None, typer.Option("--school", help="One school's cases (see `school list`).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="The cases of every school of a region.")] = None,
    fmt: Annotated[exports.ExportFormat, typer.Option("--format", help="csv or xlsx.")] = exports.ExportFormat.CSV,
    output: Annotated[Path | None, typer.Option("--output", dir_okay=False, help="Write to this file.")] = None,
) -> None:
    """Write a case report: numbers, school, nickname, severity, states, times and outcome; never anyone's notes."""
    settings = _settings()
    if (school_id is None) == (region is None):
        _fail("Refused: give either --school ID or --region R.")
    stdout = typer.get_binary_stream("stdout")
    if fmt is exports.ExportFormat.XLSX and output is None and stdout.isatty():
        _fail("Refused: xlsx is a binary file; give --output FILE or redirect standard output.")

    async def work(session: AsyncSession) -> list[exports.CaseRow]:
        scope = await (school_scope(session, school_id) if school_id is not None else region_scope(session, region))
        # The day starts at midnight where the schools are, like every time in the report.
        return await exports.case_rows(session, scope, since.replace(tzinfo=scope.timezone))

    rows = _in_session(settings, work)
    if fmt is exports.ExportFormat.XLSX:
        data = exports.xlsx_bytes(rows)
    else:
        text = StringIO()
        exports.write_csv(rows, text)
        data = text.getvalue().encode()
    if output is None:
        stdout.write(data)
        stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        _fail(f"Refused: cannot write {output}: {exc.strerror}")
    typer.echo(f"Wrote {len(rows)} cases to {output}.")


@app.command("report")
def report(
    region: Annotated[str, typer.Option("--region", help="A region that has at least one school.")],
    as_json: JsonOption = False,
) -> None:
    """Print the figures of a region's digest, which its supervisors get as a chart every Monday morning."""
    settings = _settings()

    async def work(session: AsyncSession) -> Digest:
        return await build_digest(session, await region_scope(session, region), clock())

    digest = _in_session(settings, work)
    if as_json:
        typer.echo(json.dumps(digest.to_json(), ensure_ascii=False, indent=2))
        return
    _ = gettext_for("en")
    total = digest.total
    severities = ", ".join(f"{name} {count}" for name, count in total.open_by_severity.items())
    ages = ", ".join(f"{_(AGE_LABELS[name])} {count}" for name, count in total.open_by_age.items())
    resolved = total.checkins_completed + total.checkins_missed
    typer.echo(
        "\n".join(
            [
                f"Region {digest.region}, figures as of {digest.at}.",
                f"Open cases: {total.open_cases} ({severities}); open for {ages}.",
                f"Median time to take a case: {duration(total.median_seconds_to_take, _)} ({total.taken} taken in "
                f"the last 30 days); to close one: {duration(total.median_seconds_to_close, _)} "
                f"({total.closed} closed).",
                f"Overdue follow-ups: {total.overdue_follow_ups}.",
                f"Scheduled check-ins completed in the last 4 weeks: {percent(total.completion)} "
                f"({total.checkins_completed} of {resolved}).",
                "",
            ]
        )
    )
    header = ("id", "school", "open", "urgent", "high", "routine", "over 7 days", "overdue follow-ups", "check-ins")
    rows = [header]
    for school in digest.schools:
        f = school.figures
        by_severity = [str(count) for count in f.open_by_severity.values()]
        rows.append(
            (
                str(school.id),
                school.name,
                str(f.open_cases),
                *by_severity,
                str(f.open_by_age["over_7_days"]),
                str(f.overdue_follow_ups),
                percent(f.completion),
            )
        )
    _print_table(rows)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo(
            "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


# --- risk: the free-text scanner (bot/risk) -----------------------------------------------------------------------

risk_app = typer.Typer(help="The free-text risk scanner and its lexicon.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")


@risk_app.command("scan")
def risk_scan() -> None:
    """Read UTF-8 lines on stdin; print one JSON object a line: {"level": ..., "signals": [...]}."""
    from bot.risk import Scanner

    settings = _settings()
    try:
        scanner = Scanner.from_file(settings.content_dir / "risk" / "lexicon.yaml")
    except ContentError as exc:
        _fail(f"Content pack error: {exc}", 2)
    for raw in typer.get_binary_stream("stdin"):
        result = scanner.scan(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        typer.echo(json.dumps({"level": result.level.value, "signals": list(result.signals)}, ensure_ascii=False))


@risk_app.command("evaluate")
def risk_evaluate(
    files: Annotated[list[Path], typer.Argument(help="Labelled lines: level<TAB>text, level urgent, concern or none.")],
    wrong: Annotated[bool, typer.Option("--wrong", help="Also print each line read at another level.")] = False,
) -> None:
    """Print the scanner's figures on labelled lines against the project's targets (see the README): measure it on
    your own region's anonymised lines before trusting it. The lines are printed only with --wrong."""
    from bot.risk import Scanner
    from bot.risk.evaluation import evaluate
    from bot.risk.lexicon import load_examples

    settings = _settings()
    try:
        sets = [(path, load_examples(path)) for path in files]
    except ContentError as exc:
        _fail(f"Cannot read the labelled lines: {exc}", 2)
    try:
        scanner = Scanner.from_file(settings.content_dir / "risk" / "lexicon.yaml")
    except ContentError as exc:
        _fail(f"Content pack error: {exc}", 2)
    for path, examples in sets:
        figures = evaluate(scanner, examples)
        typer.echo(f"{path}: {figures}")
        for want, got, text in figures.wrong if wrong else []:
            typer.echo(f"  {want} -> {got}: {text}")


# --- content: the content pack (bot/content, bot/guidance) ------------------------------------------------------

content_app = typer.Typer(help="The content pack: check it, and see how tips are rated.", no_args_is_help=True)
app.add_typer(content_app, name="content")


@content_app.command("check")
def content_check(as_json: JsonOption = False) -> None:
    """Validate every file the bot loads; exit 2 with a message naming the file and field of the first mistake."""
    from bot.guidance.content import AgeBand, Track

    settings = _settings()
    try:
        content = load_content(settings.content_dir)
    except ContentError as exc:
        _fail(f"Content pack error: {exc}", 2)
    guidance = content.guidance
    tips = {track: [tip for tip in guidance.tips if guidance.track_of(tip) is track] for track in Track}
    data = {
        "directory": str(settings.content_dir),
        "topics": len(guidance.topics),
        "tips": {track.value: len(found) for track, found in tips.items()},
        "caregiver_tips_by_age": {
            band.value: sum(band in tip.ages for tip in tips[Track.CAREGIVER]) for band in AgeBand
        },
        "with_activity": sum(tip.activity is not None for tip in guidance.tips),
        "with_audio": sum(tip.audio is not None for tip in guidance.tips),
        "targeted_rules": len(guidance.targeted),
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    by_age = ", ".join(f"{band} {count}" for band, count in data["caregiver_tips_by_age"].items())
    typer.echo(
        f"Content pack OK: {settings.content_dir}\n"
        f"Guidance: {data['tips']['caregiver']} caregiver tips ({by_age}), {data['tips']['parent']} parent tips, "
        f"{data['topics']} topics, {data['with_activity']} with an activity, {data['with_audio']} with audio, "
        f"{data['targeted_rules']} check-in rules."
    )


@content_app.command("stats")
def content_stats(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many tips at each end.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """The most and least helpful tips, from the helpful / not for me buttons."""
    from bot.guidance.stats import tip_stats

    settings = _settings()
    stats = [item for item in _in_session(settings, tip_stats) if item.rated]
    rows = [{**asdict(item), "helpful_share": round(item.helpful_share, 3)} for item in stats]
    most, least = rows[:limit], list(reversed(rows[-limit:]))
    if as_json:
        typer.echo(json.dumps({"most_helpful": most, "least_helpful": least}, indent=2))
        return
    if not rows:
        typer.echo("No feedback on tips yet.")
        return
    for heading, chosen in (("Most helpful", most), ("Least helpful", least)):
        typer.echo(f"{heading}:")
        for row in chosen:
            typer.echo(
                f"  {row['tip_id']:<24} {row['helpful']:>4} helpful {row['not_for_me']:>4} not for me "
                f"{row['shown']:>5} shown"
            )


@app.command("run")
def run(
    webhook: Annotated[bool, typer.Option("--webhook", help="Serve webhooks instead of polling.")] = False,
) -> None:
    """Start the bot: poll Telegram for updates, or serve webhooks with --webhook."""
    settings = _settings()
    if not settings.telegram_bot_token:
        _fail(NO_TOKEN, 2)
    _require_keys(settings)
    _content(settings)
    from bot.telegram.runner import WebhookNotConfigured
    from bot.telegram.runner import run as run_bot

    try:
        run_bot(settings, webhook=webhook)
    except WebhookNotConfigured as exc:
        _fail(f"{exc}; see the README's section on webhooks.", 2)
    except crypto.EncryptionKeyError as exc:
        _fail(f"Encryption key error: {exc}", 2)
    except InvalidToken:
        _fail("Telegram refused TELEGRAM_BOT_TOKEN; copy it again from @BotFather (/mybots → API Token).", 2)
    except NetworkError as exc:
        _fail(f"Cannot reach the Bot API at {settings.telegram_api_base_url}: {exc}", 2)
