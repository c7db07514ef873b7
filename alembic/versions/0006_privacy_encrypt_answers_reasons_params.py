"""privacy: encrypt check-in answers, flag reasons and outbox parameters, existing rows included

Revision ID: 0006_privacy
Revises: 0005
Create Date: 2026-12-03

The three JSON columns become TEXT holding one Fernet token of the JSON, as `EncryptedJSON` writes it. The rows
already stored are encrypted here, batch by batch, with the keys of the process that runs the migration
(SHOUHU_ENCRYPTION_KEYS, or the development key), so they must be the keys the bot runs with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from bot import crypto
from bot.config import get_settings

revision: str = "0006_privacy"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("checkins", "answers"), ("flags", "reasons"), ("outbox", "params"))
BATCH = 500


def _cipher() -> crypto.Cipher:
    try:
        return crypto.cipher()
    except crypto.EncryptionNotConfigured:
        # `alembic upgrade` run by hand: the keys come from the settings, with the same rule as `db upgrade`.
        settings = get_settings()
        if settings.encryption_keys is None and not settings.development:
            raise RuntimeError("set SHOUHU_ENCRYPTION_KEYS (or SHOUHU_DEVELOPMENT=true) to encrypt stored rows") from None
        crypto.configure(settings)
        return crypto.cipher()


def _rewrite(table: str, column: str, change: Callable[[str], str]) -> None:
    """Rewrite every non-null value of a TEXT column, in primary-key order, a batch at a time."""
    connection = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))
    after = 0
    while True:
        batch = connection.execute(
            sa.select(rows.c.id, rows.c[column])
            .where(rows.c.id > after, rows.c[column].is_not(None))
            .order_by(rows.c.id)
            .limit(BATCH)
        ).all()
        for row_id, value in batch:
            connection.execute(sa.update(rows).where(rows.c.id == row_id).values({column: change(value)}))
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def upgrade() -> None:
    cipher = _cipher()
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.JSON(), type_=sa.Text(), postgresql_using=f"{column}::text"
            )
        # json.loads then dumps: the same form `EncryptedJSON` writes, whatever spacing the database kept.
        _rewrite(table, column, lambda value: cipher.encrypt(json.dumps(json.loads(value), ensure_ascii=False)))


def downgrade() -> None:
    cipher = _cipher()
    for table, column in COLUMNS:
        _rewrite(table, column, cipher.decrypt)
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.Text(), type_=sa.JSON(), postgresql_using=f"{column}::json"
            )
