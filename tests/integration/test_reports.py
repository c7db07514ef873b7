"""Reports on a small known data set: the case export (rows, formats, no free text), the digest's figures, and the
weekly digest to supervisors (Monday 08:00 local time, once per supervisor and week, aggregates only).
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO, StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import CaseOutcome, CaseStatus, EventKind, FlagSource, FollowUp, FollowUpStatus
from bot.cases.severity import Level
from bot.cases.timeline import add_event
from bot.checkins.models import Checkin, CheckinOrigin, CheckinStatus
from bot.cli import app
from bot.config import PROJECT_ROOT, get_settings
from bot.db import Database
from bot.families.models import Child
from bot.outbox.models import OutboxMessage
from bot.reports import export
from bot.reports.digest import Digest, build_digest
from bot.reports.scope import region_scope, school_scope
from bot.reports.weekly import enqueue_weekly_digests
from tests import factories

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
LONG_AGO = NOW - timedelta(days=120)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MARKER = "SECRET-FREE-TEXT-7Q"  # in every note, closure note, flag note and event text: must never be exported
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@dataclass
class World:
    school_a: int
    school_b: int
    school_c: int
    cases: dict[str, int]  # nickname -> case id
    children: dict[str, int]


async def open_case(db: Database, child_id: int, level: Level, at: datetime, **changes) -> int:
    async with db.session() as session:
        child = await session.get(Child, child_id)
        raised = await raise_flag(
            session,
            child=child,
            level=level,
            source=FlagSource.WORRIED,
            evidence=Evidence(note=f"flag note {MARKER}"),
            raised_by_id=None,
            now=at,
        )
        case = raised.case
        add_event(session, case, EventKind.NOTE, actor_id=None, now=at, text=f"note {MARKER}")
        if changes.get("taken_at"):
            case.status, case.taken_at = CaseStatus.TAKEN, changes["taken_at"]
            add_event(session, case, EventKind.TAKEN, actor_id=None, now=case.taken_at)
        if changes.get("closed_at"):
            case.status, case.closed_at = CaseStatus.CLOSED, changes["closed_at"]
            case.outcome, case.closure_note = CaseOutcome.RESOLVED, f"closure {MARKER}"
            add_event(session, case, EventKind.CLOSED, actor_id=None, now=case.closed_at, text=f"closed {MARKER}")
        return case.id


async def checkin(db: Database, family: factories.Family, child_id: int, due_at: datetime, status, origin=None) -> None:
    async with db.session() as session:
        session.add(
            Checkin(
                child_id=child_id,
                caregiver_id=family.caregiver_id,
                origin=origin or CheckinOrigin.SCHEDULED,
                status=status,
                due_at=due_at,
                note=f"answer {MARKER}",
            )
        )


@pytest.fixture
async def world(db: Database) -> World:
    a = await factories.school(db, "青山小学", counsellors=(900,), now=LONG_AGO)
    b = await factories.school(db, "河边小学", counsellors=(901,), now=LONG_AGO)
    c = await factories.school(db, "北山小学", counsellors=(902,), region="巫山县", now=LONG_AGO)
    at_a = await factories.family(db, a, 100, ("小明", "小红", "小刚", "小丽"), now=LONG_AGO)
    at_b = await factories.family(db, b, 101, ("小兰",), now=LONG_AGO)
    at_c = await factories.family(db, c, 102, ("小强",), now=LONG_AGO)
    children = dict(zip(("小明", "小红", "小刚", "小丽"), at_a.child_ids, strict=True))
    children |= {"小兰": at_b.child_ids[0], "小强": at_c.child_ids[0]}

    cases = {
        # open for 10 days, taken after 2 hours
        "小明": await open_case(db, children["小明"], Level.URGENT, NOW - 10 * DAY, taken_at=NOW - 10 * DAY + 2 * HOUR),
        "小红": await open_case(db, children["小红"], Level.ROUTINE, NOW - 3 * DAY),
        # taken after 4 hours, closed after 5 days
        "小刚": await open_case(
            db,
            children["小刚"],
            Level.HIGH,
            NOW - 20 * DAY,
            taken_at=NOW - 20 * DAY + 4 * HOUR,
            closed_at=NOW - 15 * DAY,
        ),
        # closed long before any period a test asks about
        "小丽": await open_case(
            db, children["小丽"], Level.ROUTINE, NOW - 100 * DAY, taken_at=NOW - 99 * DAY, closed_at=NOW - 90 * DAY
        ),
        "小兰": await open_case(db, children["小兰"], Level.HIGH, NOW - 2 * HOUR),
        "小强": await open_case(db, children["小强"], Level.URGENT, NOW - DAY),
    }
    # A second flag joins 小兰's case.
    await open_case(db, children["小兰"], Level.ROUTINE, NOW - HOUR)

    counsellor = await factories.person(db, 900)
    async with db.session() as session:
        for case, due_at, status in [
            ("小明", NOW - HOUR, FollowUpStatus.PENDING),  # overdue
            ("小明", NOW - 2 * DAY, FollowUpStatus.DONE),
            ("小红", NOW + DAY, FollowUpStatus.PENDING),
            ("小强", NOW - DAY, FollowUpStatus.DUE),  # overdue, but in another region
        ]:
            session.add(FollowUp(case_id=cases[case], counsellor_id=counsellor, due_at=due_at, status=status))

    completed, missed = CheckinStatus.COMPLETED, CheckinStatus.MISSED
    for due_at, status in [(NOW - 7 * DAY, completed), (NOW - 14 * DAY, missed), (NOW - 21 * DAY, completed)]:
        await checkin(db, at_a, children["小明"], due_at, status)
    await checkin(db, at_a, children["小明"], NOW - 35 * DAY, completed)  # before the 4 weeks
    await checkin(db, at_a, children["小红"], NOW - 2 * DAY, completed, CheckinOrigin.ON_DEMAND)  # not scheduled
    await checkin(db, at_a, children["小红"], NOW - 3 * DAY, CheckinStatus.OPEN)  # not decided yet
    await checkin(db, at_b, children["小兰"], NOW - 7 * DAY, missed)
    return World(a, b, c, cases, children)


async def rows_for(db: Database, since: datetime, *, school: int | None = None, region: str | None = None):
    async with db.session() as session:
        scope = await (school_scope(session, school) if school else region_scope(session, region))
        return await export.case_rows(session, scope, since)


def csv_of(rows: list[export.CaseRow]) -> str:
    buffer = StringIO()
    export.write_csv(rows, buffer)
    return buffer.getvalue()


async def test_a_school_export_has_its_cases_open_since_the_date(db: Database, world: World) -> None:
    rows = await rows_for(db, NOW - 60 * DAY, school=world.school_a)

    assert [row.case for row in rows] == [world.cases[n] for n in ("小明", "小红", "小刚")]
    first, _second, closed = rows
    assert (first.school, first.nickname, first.severity, first.status) == ("青山小学", "小明", "urgent", "taken")
    assert first.opened_at == (NOW - 10 * DAY).astimezone(SHANGHAI) and first.opened_at.utcoffset() == 8 * HOUR
    assert first.flags == 1 and first.closed_at is None and first.outcome is None
    assert (closed.outcome, closed.closed_at) == ("resolved", (NOW - 15 * DAY).astimezone(SHANGHAI))
    assert closed.states == (
        "opened 2026-11-10T08:00:00+08:00; taken 2026-11-10T12:00:00+08:00; closed 2026-11-15T08:00:00+08:00"
    )


async def test_a_region_export_has_every_school_of_the_region_and_no_other(db: Database, world: World) -> None:
    rows = await rows_for(db, NOW - 60 * DAY, region="云阳县")
    assert [row.nickname for row in rows] == ["小明", "小红", "小刚", "小兰"]
    assert rows[-1].flags == 2

    # From 10 days ago: the case closed 15 days ago is no longer part of it.
    recent = await rows_for(db, NOW - 10 * DAY, region="云阳县")
    assert [row.nickname for row in recent] == ["小明", "小红", "小兰"]


async def test_the_csv_has_a_header_and_the_xlsx_opens_and_neither_holds_free_text(db: Database, world: World) -> None:
    rows = await rows_for(db, LONG_AGO, region="云阳县")
    assert len(rows) == 5

    text = csv_of(rows)
    parsed = list(csv.reader(StringIO(text)))
    assert tuple(parsed[0]) == export.COLUMNS
    assert parsed[1][:5] == [str(world.cases["小明"]), "青山小学", "小明", "urgent", "taken"]
    assert parsed[1][5] == "2026-11-20T08:00:00+08:00" and parsed[1][7] == ""

    data = export.xlsx_bytes(rows)
    sheet = load_workbook(BytesIO(data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(values[0]) == export.COLUMNS and len(values) == 6
    assert values[1][5] == datetime(2026, 11, 20, 8, 0)  # a real date, in the school's local time

    assert MARKER not in text
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            assert MARKER.encode() not in archive.read(name), name


async def test_names_that_read_as_formulas_are_exported_as_plain_text(db: Database, world: World) -> None:
    # Names stored before nicknames like these were refused, or a school named by an administrator.
    row = replace(
        (await rows_for(db, LONG_AGO, region="云阳县"))[0], nickname='=HYPERLINK("http://x","点我")', school="@SUM(1)"
    )

    parsed = list(csv.reader(StringIO(csv_of([row]))))
    assert parsed[1][1:3] == ["'@SUM(1)", '\'=HYPERLINK("http://x","点我")']
    sheet = load_workbook(BytesIO(export.xlsx_bytes([row]))).active
    school, nickname = sheet.cell(row=2, column=2), sheet.cell(row=2, column=3)
    assert (school.value, school.data_type) == ("@SUM(1)", "s")
    assert (nickname.value, nickname.data_type) == ('=HYPERLINK("http://x","点我")', "s")


async def test_the_digest_figures_of_a_region_and_its_schools(db: Database, world: World) -> None:
    async with db.session() as session:
        digest = await build_digest(session, await region_scope(session, "云阳县"), NOW)

    total = digest.total
    assert (digest.region, digest.at) == ("云阳县", "2026-11-30T08:00:00+08:00")
    assert total.open_by_severity == {"urgent": 1, "high": 1, "routine": 1}
    assert total.open_by_age == {"under_1_day": 1, "1_to_7_days": 1, "over_7_days": 1}
    assert total.open_by_severity_and_age["urgent"] == {"under_1_day": 0, "1_to_7_days": 0, "over_7_days": 1}
    # Taken after 2 and 4 hours; closed after 5 days (the case closed 90 days ago is outside the 30 days).
    assert (total.median_seconds_to_take, total.taken) == (3 * 3600, 2)
    assert (total.median_seconds_to_close, total.closed) == (5 * 86400, 1)
    assert total.overdue_follow_ups == 1
    assert (total.checkins_completed, total.checkins_missed, total.completion) == (2, 2, 0.5)

    a, b = digest.schools
    assert (a.name, a.figures.open_cases, a.figures.completion) == ("青山小学", 2, pytest.approx(2 / 3))
    assert (b.name, b.figures.open_by_severity["high"], b.figures.completion) == ("河边小学", 1, 0.0)
    assert b.figures.median_seconds_to_take is None

    assert Digest.from_json(json.loads(json.dumps(digest.to_json()))) == digest


async def weekly_rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == "weekly_digest").order_by(OutboxMessage.id)
        return list((await session.scalars(statement)).all())


async def test_supervisors_get_the_digest_once_a_week_on_monday_morning(db: Database, world: World) -> None:
    yunyang = [await factories.supervisor(db, 950 + i, "云阳县", now=LONG_AGO) for i in range(2)]
    wushan = await factories.supervisor(db, 952, "巫山县", now=LONG_AGO)

    def send(at: datetime):
        return enqueue_weekly_digests(db, at, default_timezone="Asia/Shanghai")

    assert await send(NOW - timedelta(minutes=1)) == 0  # Monday 07:59
    assert await send(NOW) == 3
    assert await send(NOW + HOUR) == 0  # a later tick, or a restart
    assert await send(NOW + DAY) == 0  # Tuesday: this week's is done
    rows = await weekly_rows(db)
    assert sorted(row.person_id for row in rows) == sorted([*yunyang, wushan])
    region_row = next(row for row in rows if row.person_id == yunyang[0])
    assert Digest.from_json(region_row.params).total.open_cases == 3
    # Aggregates only: no child, and nothing anyone wrote.
    dumped = json.dumps([row.params for row in rows], ensure_ascii=False)
    assert "小明" not in dumped and MARKER not in dumped and all(row.private_params is None for row in rows)

    assert await send(NOW + 7 * DAY + HOUR) == 3  # the next Monday


async def test_a_digest_is_caught_up_after_downtime_but_a_newcomer_waits_for_next_week(
    db: Database, world: World
) -> None:
    await factories.supervisor(db, 950, "云阳县", now=LONG_AGO)
    newcomer = await factories.supervisor(db, 951, "云阳县", now=NOW + HOUR)  # joined at 09:00

    assert await enqueue_weekly_digests(db, NOW + 10 * HOUR, default_timezone="Asia/Shanghai") == 1
    assert await enqueue_weekly_digests(db, NOW + 7 * DAY, default_timezone="Asia/Shanghai") == 2
    assert newcomer in [row.person_id for row in await weekly_rows(db)]


# --- The CLI: `export cases` and `report` ------------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.chdir(tmp_path)  # a developer's own .env must not leak in
    env = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": "",
        "SHOUHU_TIMEZONE": "Asia/Shanghai",
        "SHOUHU_CONTENT_DIR": str(PROJECT_ROOT / "content"),
    }

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(app, list(args), env=env)

    yield invoke
    get_settings.cache_clear()


def test_export_cases_writes_csv_to_stdout_or_xlsx_to_a_file(cli, world: World, tmp_path: Path) -> None:
    everything = cli("export", "cases", "--region", "云阳县", "--since", "2026-01-01")
    assert everything.exit_code == 0, everything.output
    lines = everything.stdout.splitlines()
    assert lines[0] == ",".join(export.COLUMNS) and len(lines) == 6
    assert MARKER not in everything.stdout

    # From local midnight on 16 November: the case closed on the 15th at 08:00 is left out.
    recent = cli("export", "cases", "--region", "云阳县", "--since", "2026-11-16")
    assert [line.split(",")[2] for line in recent.stdout.splitlines()[1:]] == ["小明", "小红", "小兰"]

    target = tmp_path / "cases.xlsx"
    school = str(world.school_a)
    written = cli(
        "export", "cases", "--school", school, "--since", "2026-01-01", "--format", "xlsx", "--output", str(target)
    )
    assert written.exit_code == 0 and written.stdout.strip() == f"Wrote 4 cases to {target}."
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert [row[2] for row in rows[1:]] == ["小明", "小红", "小刚", "小丽"]

    piped = cli("export", "cases", "--school", school, "--since", "2026-01-01", "--format", "xlsx")
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"PK")  # a zip: the workbook itself


def test_export_cases_refuses_an_unclear_or_unknown_scope(cli, world: World) -> None:
    both = cli("export", "cases", "--school", str(world.school_a), "--region", "云阳县", "--since", "2026-01-01")
    assert both.exit_code == 1 and "either --school" in both.stderr
    unknown = cli("export", "cases", "--school", "999", "--since", "2026-01-01")
    assert unknown.exit_code == 1 and "no school with id 999" in unknown.stderr
    assert cli("export", "cases", "--region", "云阳县", "--since", "yesterday").exit_code == 2


def test_report_prints_the_digest_figures(cli, world: World) -> None:
    as_json = cli("report", "--region", "云阳县", "--json")
    assert as_json.exit_code == 0, as_json.output
    digest = Digest.from_json(json.loads(as_json.stdout))
    assert digest.total.open_cases == 3 and [s.name for s in digest.schools] == ["青山小学", "河边小学"]

    text = cli("report", "--region", "云阳县")
    assert text.exit_code == 0 and "Open cases: 3 (urgent 1, high 1, routine 1)" in text.stdout
    assert "青山小学" in text.stdout and "小明" not in text.stdout
    assert cli("report", "--region", "无此县").exit_code == 1
