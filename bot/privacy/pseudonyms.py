"""Pseudonymous user ids: a keyed HMAC of channel and user id.

The coach's channel replaces the account id with this pseudonym at the door, so
neither Rasa's tracker store nor the adoption log ever holds a Telegram number or
a Slack member id. Without the key, nobody can go from a pseudonym back to a
person or check a guess; the key is in the environment or in an untracked file
that is generated on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

PREFIX = "p-"
_HEX_CHARS = 24  # 96 bits: no collisions among any realistic number of salespeople
_PSEUDONYM = re.compile(rf"^{PREFIX}[0-9a-f]{{{_HEX_CHARS}}}$")


def load_key(key: str | None, key_file: Path) -> bytes:
    """The key from the environment, else from `key_file`, created (owner-only) if missing."""
    if key:
        return key.encode("utf-8")
    try:
        return key_file.read_bytes().strip()
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_hex(32).encode("ascii")
    # Written in full under a name of this process's, then linked into place: a process
    # starting at the same moment never reads a key file that is still empty.
    scratch = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    with os.fdopen(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        file.write(generated)
    try:
        os.link(scratch, key_file)
    except FileExistsError:  # another process created it first: use theirs
        return key_file.read_bytes().strip()
    finally:
        scratch.unlink()
    return generated


def is_pseudonym(user_id: str) -> bool:
    return bool(_PSEUDONYM.match(user_id or ""))


def pseudonym(key: bytes, channel: str, user_id: str) -> str:
    """The same person in the same channel always gets the same pseudonym; ids already pseudonymous pass."""
    if is_pseudonym(user_id):
        return user_id
    digest = hmac.new(key, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:_HEX_CHARS]
