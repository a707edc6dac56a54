"""Who may talk to a company bot that anyone on Telegram can find.

An allowlist of account ids (TELEGRAM_ALLOWED_USERS) and/or a join code
(TELEGRAM_JOIN_CODE) that a salesperson sends once. Members who joined are kept by
pseudonym only. A stranger gets a polite refusal from the connector itself: nothing
of theirs reaches the NLU or the log.
"""

from __future__ import annotations

import hmac

from sqlalchemy import Column, DateTime, String, select
from sqlalchemy.engine import Engine

from bot.db import Base, insert_ignoring_duplicates, utc_now
from bot.privacy.pseudonyms import pseudonym


class MemberRow(Base):
    __tablename__ = "chat_members"

    user_id = Column(String(64), primary_key=True)
    joined_at = Column(DateTime, nullable=False)


class AccessError(ValueError):
    pass


def parse_ids(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip())


def check_config(allowed: frozenset[str], join_code: str | None) -> None:
    if not allowed and not join_code:
        raise AccessError(
            "set an allowlist (TELEGRAM_ALLOWED_USERS=id,id) or a join code (TELEGRAM_JOIN_CODE), "
            "or anyone who finds the bot could use it"
        )
    if join_code is not None and len(join_code.strip()) < 8:
        raise AccessError("TELEGRAM_JOIN_CODE must have at least 8 characters")


class Access:
    def __init__(
        self, channel: str, key: bytes, engine: Engine, allowed: frozenset[str], join_code: str | None
    ) -> None:
        check_config(allowed, join_code)
        self.channel, self.key, self.engine = channel, key, engine
        self.allowed, self.join_code = allowed, (join_code or "").strip() or None

    def _member_id(self, account: str) -> str:
        return pseudonym(self.key, self.channel, account)

    def is_allowed(self, account: str) -> bool:
        if account in self.allowed:
            return True
        with self.engine.connect() as connection:
            found = connection.execute(select(MemberRow.user_id).where(MemberRow.user_id == self._member_id(account)))
            return found.first() is not None

    def try_join(self, account: str, text: str) -> bool:
        """True if `text` is the join code; the account is then a member from now on."""
        if self.join_code is None or not hmac.compare_digest(text.strip().encode(), self.join_code.encode()):
            return False
        insert = insert_ignoring_duplicates(self.engine, MemberRow.__table__, ["user_id"])
        with self.engine.begin() as connection:
            connection.execute(insert, {"user_id": self._member_id(account), "joined_at": utc_now()})
        return True
