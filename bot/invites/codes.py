"""Invitation codes: 12 characters of Crockford base32 (60 bits of randomness), stored only as a hash.

The alphabet leaves out I, L, O and U, and typed codes are read leniently (o→0, i/l→1, spaces and dashes
ignored), because grandparents copy codes by hand from a paper or another phone.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(text: str) -> str | None:
    """The canonical code a person meant, or None when the text cannot be a code."""
    compact = "".join(ch for ch in text.upper() if ch not in " -_\t").translate(_LOOKALIKES)
    if len(compact) != CODE_LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"
