"""Encryption at rest for free text about children (Fernet, several keys for rotation).

A model declares `mapped_column(EncryptedText)`; start-up calls `configure(settings)` once; `python -m bot keys
rotate` re-encrypts stored values with the newest key.
"""

from __future__ import annotations

from bot.crypto.column import EncryptedJSON, EncryptedText
from bot.crypto.keys import (
    Cipher,
    DecryptionError,
    EncryptionKeyError,
    EncryptionNotConfigured,
    cipher,
    configure,
    generate_key,
    use_keys,
)
from bot.crypto.rotate import ColumnReport, encrypted_columns, rotate_keys

__all__ = [
    "Cipher",
    "ColumnReport",
    "DecryptionError",
    "EncryptedJSON",
    "EncryptedText",
    "EncryptionKeyError",
    "EncryptionNotConfigured",
    "cipher",
    "configure",
    "encrypted_columns",
    "generate_key",
    "rotate_keys",
    "use_keys",
]
