"""`EncryptedText`: a text column stored as a Fernet token, for free text and voice-note references about children."""

from __future__ import annotations

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
