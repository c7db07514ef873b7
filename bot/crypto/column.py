"""Columns stored as Fernet tokens: `EncryptedText` for free text and voice-note references about children,
`EncryptedJSON` for structured data about them (check-in answers, flag reasons, outbox parameters)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.crypto.keys import cipher


class EncryptedText(TypeDecorator[str]):
    """Encrypted on the way into the database and decrypted on the way out, with the process-wide keys.

    Every write makes a different token, so such a column cannot be searched, compared or indexed in SQL.
    Migrations create it as TEXT.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().decrypt(value)


class EncryptedJSON(EncryptedText):
    """A JSON value (dict or list) encrypted as one token; `keys rotate` finds it as an `EncryptedText`."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else super().process_bind_param(json.dumps(value, ensure_ascii=False), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(super().process_result_value(value, dialect))
