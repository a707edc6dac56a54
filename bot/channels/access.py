"""Who may talk to a company bot that anyone on Telegram can find.

An allowlist of account ids (TELEGRAM_ALLOWED_USERS) and/or a join code
(TELEGRAM_JOIN_CODE) that a salesperson sends once. Five wrong codes lock an account out of
trying for an hour, counted in the database so that a restart does not start them over. Members who joined are kept by
pseudonym only, and not for ever: erasing a person (/forget) ends their membership, and
retention ends that of people silent for longer than the retention period (`Members`).
A stranger gets a polite refusal from the connector itself: nothing of theirs reaches
the NLU or the log.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Integer, String, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Delete

from bot.adoption_log.store import MessageRow
from bot.db import Base, insert_ignoring_duplicates, utc_now
from bot.privacy.pseudonyms import pseudonym


class MemberRow(Base):
    __tablename__ = "chat_members"

    user_id = Column(String(64), primary_key=True)
    joined_at = Column(DateTime, nullable=False)


class JoinAttemptRow(Base):
    """Wrong join codes of an account in a row; kept while they count (`LOCK_TIME`)."""

    __tablename__ = "join_attempts"

    user_id = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_failure_at = Column(DateTime, nullable=False)


# A code of 8 characters or more cannot be guessed at 5 tries an hour; a salesperson who
# mistypes it has 5 tries.
MAX_WRONG_CODES = 5
LOCK_TIME = dt.timedelta(hours=1)
# What the connector says to someone not (yet) allowed: the conversation texts' keys.
JOINED, REFUSED, LOCKED = "joined", "not_allowed", "join_locked"


class AccessError(ValueError):
    pass


@dataclass(frozen=True)
class Member:
    user_id: str  # the pseudonym, as in the log
    joined_at: dt.datetime  # UTC


class Members:
    """Who joined with the code, for the operator (`coach telegram members`), erasure and retention."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self) -> list[Member]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(MemberRow.user_id, MemberRow.joined_at).order_by(MemberRow.joined_at))
            return [Member(user_id, joined_at) for user_id, joined_at in rows]

    def revoke(self, user_id: str) -> bool:
        """Ends a membership; False if there was none. The person may join again with the code."""
        with self.engine.begin() as connection:
            return connection.execute(delete(MemberRow).where(MemberRow.user_id == user_id)).rowcount > 0

    def purge_inactive(self, before: dt.datetime) -> int:
        """Ends the memberships older than `before` of people who wrote nothing since."""
        active = select(MessageRow.user_id).where(MessageRow.ts >= before, MessageRow.direction == "user")
        with self.engine.begin() as connection:
            inactive = delete(MemberRow).where(MemberRow.joined_at < before, MemberRow.user_id.not_in(active))
            return connection.execute(inactive.execution_options(synchronize_session=False)).rowcount


def _stale_attempts(now: dt.datetime) -> Delete:
    """Wrong codes an hour old no longer count: nothing about them is kept."""
    return delete(JoinAttemptRow).where(JoinAttemptRow.last_failure_at <= now - LOCK_TIME)


def forget_stale_attempts(engine: Engine, now: dt.datetime | None = None) -> int:
    with engine.begin() as connection:
        return connection.execute(_stale_attempts(now or utc_now())).rowcount


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
        """True if `text` is the join code; the account is then a member from now on. A wrong
        code counts; a locked-out account's text is not even compared."""
        user_id = self._member_id(account)
        if self.join_code is None or self._locked(user_id):
            return False
        if not hmac.compare_digest(text.strip().encode(), self.join_code.encode()):
            self._count_failure(user_id)
            return False
        insert = insert_ignoring_duplicates(self.engine, MemberRow.__table__, ["user_id"])
        with self.engine.begin() as connection:
            connection.execute(insert, {"user_id": user_id, "joined_at": utc_now()})
            connection.execute(delete(JoinAttemptRow).where(JoinAttemptRow.user_id == user_id))
        return True

    def admit(self, account: str, text: str) -> str:
        """The answer to a message from someone not allowed yet: JOINED, REFUSED or LOCKED."""
        if self.try_join(account, text):
            return JOINED
        return LOCKED if self._locked(self._member_id(account)) else REFUSED

    def _locked(self, user_id: str, now: dt.datetime | None = None) -> bool:
        since = (now or utc_now()) - LOCK_TIME
        query = select(JoinAttemptRow.user_id).where(
            JoinAttemptRow.user_id == user_id,
            JoinAttemptRow.failures >= MAX_WRONG_CODES,
            JoinAttemptRow.last_failure_at > since,
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def _count_failure(self, user_id: str) -> None:
        now = utc_now()
        first = insert_ignoring_duplicates(self.engine, JoinAttemptRow.__table__, ["user_id"])
        with self.engine.begin() as connection:
            connection.execute(_stale_attempts(now))
            connection.execute(first, {"user_id": user_id, "failures": 0, "last_failure_at": now})
            connection.execute(
                update(JoinAttemptRow)
                .where(JoinAttemptRow.user_id == user_id)
                .values(failures=JoinAttemptRow.failures + 1, last_failure_at=now)
            )
