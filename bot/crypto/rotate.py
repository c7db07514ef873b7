"""`keys rotate`: re-encrypt every `EncryptedText` column of a schema with the newest key, batch by batch."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, MetaData, Table, Text, column, select, table, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto.column import EncryptedText
from bot.crypto.keys import DecryptionError, cipher


@dataclass
class ColumnReport:
    table: str
    column: str
    rotated: int = 0  # re-encrypted with the newest key
    current: int = 0  # already encrypted with it


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, list[Column]]]:
    """Each table of `metadata` that has `EncryptedText` columns, with those columns."""
    found = []
    for tbl in metadata.sorted_tables:
        columns = [col for col in tbl.columns if isinstance(col.type, EncryptedText)]
        if columns:
            if not tbl.primary_key.columns:
                raise ValueError(f"table {tbl.name} has encrypted columns but no primary key to rotate them by")
            found.append((tbl, columns))
    return found


async def rotate_keys(engine: AsyncEngine, metadata: MetaData, *, batch_size: int = 500) -> list[ColumnReport]:
    """Re-encrypt every encrypted value in the tables of `metadata`, one transaction per batch of rows."""
    reports = []
    for tbl, columns in encrypted_columns(metadata):
        table_reports = [ColumnReport(tbl.name, col.name) for col in columns]
        await _rotate_table(engine, tbl, columns, table_reports, batch_size)
        reports.extend(table_reports)
    return reports


async def _rotate_table(
    engine: AsyncEngine, tbl: Table, columns: list[Column], reports: list[ColumnReport], batch_size: int
) -> None:
    keys = cipher()
    report_of = {report.column: report for report in reports}
    # The same table with plain TEXT columns, so that tokens are read and written as they are stored.
    pk_names = [col.name for col in tbl.primary_key.columns]
    raw = table(
        tbl.name,
        *(column(name, tbl.c[name].type) for name in pk_names),
        *(column(col.name, Text()) for col in columns),
        schema=tbl.schema,
    )
    pk = tuple_(*(raw.c[name] for name in pk_names))
    query = select(*pk.clauses, *(raw.c[col.name] for col in columns)).order_by(*pk.clauses).limit(batch_size)
    after: tuple | None = None
    while True:
        async with engine.begin() as connection:
            rows = (await connection.execute(query if after is None else query.where(pk > tuple_(*after)))).all()
            for row in rows:
                key = tuple(row[: len(pk_names)])
                stored = dict(zip(report_of, row[len(pk_names) :], strict=True))
                new = {name: token for name, token in stored.items() if token is not None}
                for name, token in list(new.items()):
                    try:
                        rotated = keys.rotate(token)
                    except DecryptionError as exc:
                        where = ", ".join(f"{n}={v}" for n, v in zip(pk_names, key, strict=True))
                        raise DecryptionError(f"{tbl.name}.{name} ({where}): {exc}") from None
                    if rotated is None:
                        report_of[name].current += 1
                        del new[name]
                    else:
                        new[name] = rotated
                if not new:
                    continue
                # Only if the row still holds what was read: a value the bot wrote meanwhile has the newest key.
                result = await connection.execute(
                    update(raw).where(pk == tuple_(*key), *(raw.c[name] == stored[name] for name in new)).values(new)
                )
                if result.rowcount == 1:
                    for name in new:
                        report_of[name].rotated += 1
        if len(rows) < batch_size:
            return
        after = tuple(rows[-1][: len(pk_names)])
