"""The process-wide Fernet keys: SHOUHU_ENCRYPTION_KEYS (newest first), or a development key under data/.

The first key encrypts and every key decrypts, so a new key can be put in front while old values are still
readable; `python -m bot keys rotate` then re-encrypts them and the old key can go. Messages raised or logged
here name settings, files and positions, never key material.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import PROJECT_ROOT

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

SETTING = "SHOUHU_ENCRYPTION_KEYS"
DEV_KEY_FILE = PROJECT_ROOT / "data" / "dev-encryption.key"


class EncryptionNotConfigured(RuntimeError):
    """An encrypted value was read or written before `configure(settings)` ran."""


class EncryptionKeyError(Exception):
    """A key cannot be used: the development key file is unreadable, unwritable or damaged."""


class DecryptionError(Exception):
    """A stored value does not decrypt with any configured key."""


class Cipher:
    """Fernet with several keys: the first encrypts, all of them decrypt."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a cipher needs at least one key")
        fernets = [Fernet(key) for key in keys]
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        """A fresh token every call (random IV), as ASCII text."""
        return self._all.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(_token_bytes(token)).decode("utf-8")
        except InvalidToken:
            raise _undecryptable() from None

    def rotate(self, token: str) -> str | None:
        """The token re-encrypted with the newest key, or None when the newest key already encrypted it."""
        data = _token_bytes(token)
        try:
            self._newest.decrypt(data)
            return None
        except InvalidToken:
            pass
        try:
            return self._all.rotate(data).decode("ascii")
        except InvalidToken:
            raise _undecryptable() from None


def _token_bytes(token: str) -> bytes:
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        # Not a Fernet token at all, e.g. plaintext written before the column was encrypted.
        raise _undecryptable() from None


def _undecryptable() -> DecryptionError:
    return DecryptionError(
        f"a stored value does not decrypt with any key in {SETTING} (or the development key): "
        "was the key it was encrypted with removed before `keys rotate` had run?"
    )


_current: Cipher | None = None
_warned_about_dev_key = False


def cipher() -> Cipher:
    """The process-wide cipher that `EncryptedText` columns use."""
    if _current is None:
        raise EncryptionNotConfigured(
            "encryption at rest is not configured: call bot.crypto.configure(settings) at start-up"
        )
    return _current


def use_keys(keys: Sequence[str]) -> None:
    """Make `keys` (newest first) the process-wide keys."""
    global _current
    _current = Cipher(keys)


def configure(settings: Settings) -> None:
    """Set the process-wide keys from SHOUHU_ENCRYPTION_KEYS, or from the development key file when it is unset."""
    global _warned_about_dev_key
    if settings.encryption_keys is not None:
        use_keys(parse_keys(settings.encryption_keys.get_secret_value()))
        return
    use_keys([dev_key(DEV_KEY_FILE)])
    if not _warned_about_dev_key:
        _warned_about_dev_key = True
        log.warning(
            "%s is not set: free text is encrypted with the development key in %s. Before real use, set %s "
            "(`python -m bot keys generate`) and keep a copy of it elsewhere; without it the text cannot be read.",
            SETTING,
            DEV_KEY_FILE,
            SETTING,
        )


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str) -> list[str]:
    """The comma-separated keys of SHOUHU_ENCRYPTION_KEYS; a bad one is named by position, never by value."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ValueError("no key given; make one with `python -m bot keys generate`")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} of {len(keys)} is not a Fernet key (44 characters of URL-safe base64); "
                "make one with `python -m bot keys generate`"
            ) from None
    return keys


def dev_key(path: Path) -> str:
    """The development key stored in `path`, created (mode 0600) on first use; every process gets the same one."""
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_once(path, generate_key())
        raw = path.read_bytes().strip()
    except OSError as exc:
        raise EncryptionKeyError(f"cannot read or create the development key {path}: {exc.strerror}") from None
    try:
        Fernet(raw)
    except ValueError:
        raise EncryptionKeyError(
            f"{path} does not hold a Fernet key; set {SETTING}, or delete the file if nothing was encrypted with it"
        ) from None
    return raw.decode("ascii")


def _create_once(path: Path, key: str) -> None:
    # A complete file under a temporary name (mkstemp makes it 0600), then linked into place: link() refuses to
    # replace a file, so when two processes race the first one wins and nobody reads a half-written key.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
    finally:
        os.unlink(temporary)
