"""The follow-ups' tables (migration 0010) and every write to them.

- `followup_consents`: one row per person (pseudonym) who was asked or who answered: "offered",
  "on" or "off", the channel and the platform address to write to (kept only while "on": it is
  the one piece of platform identity the coach keeps, because writing first needs it).
- `followup_messages`: the planned messages. A message is "due" until a dispatcher claims it
  ("sending", `claimed_by`), then "sent", "answered" (a button), "failed" (after MAX_ATTEMPTS)
  or "expired" (its moment passed, e.g. the coach was down all Friday). `reason` makes planning
  idempotent: one tip check per tip (the log row's event id), one pulse and one refresher per week.
- `pulse_scores`: one score (1-5) per person per week, with the team it is averaged in.

Claims are single UPDATEs whose WHERE holds the condition (`state='due' AND claimed_by IS NULL`):
whichever replica's UPDATE changes the row owns it; the other sees a rowcount of 0. That works
alike on SQLite (one writer at a time) and PostgreSQL (the second UPDATE waits for the first's
commit, then finds the row no longer matches).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Column, Date, DateTime, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.engine import Connection, Engine

from bot.db import Base, insert_ignoring_duplicates

OFFERED, ON, OFF = "offered", "on", "off"
TIP_CHECK, PULSE, REFRESHER = "tip_check", "pulse", "refresher"
DUE, SENDING, SENT, ANSWERED, FAILED, EXPIRED = "due", "sending", "sent", "answered", "failed", "expired"
# What counts towards the weekly cap: what was sent, or will be.
COUNTED = (DUE, SENDING, SENT, ANSWERED)
MAX_ATTEMPTS = 3


class ConsentRow(Base):
    __tablename__ = "followup_consents"

    user_id = Column(String(64), primary_key=True)
    channel = Column(String(32), nullable=False)
    address = Column(String(64))  # the chat to write to ("page" in the web chat); None unless the state is "on"
    language = Column(String(8))  # the platform's language, until the log knows the coach's
    state = Column(String(8), nullable=False)
    updated_at = Column(DateTime, nullable=False)
    planned_at = Column(DateTime)  # the planner's last pass (its write also serialises planners)


class PlannedRow(Base):
    __tablename__ = "followup_messages"
    __table_args__ = (UniqueConstraint("user_id", "kind", "reason", name="uq_followup_messages_reason"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(64), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    reason = Column(String(64), nullable=False)
    kb_entry = Column(String(64))
    week = Column(Date, nullable=False)  # the Monday of the local ISO week it is sent in
    due_at = Column(DateTime, nullable=False, index=True)
    expires_at = Column(DateTime, nullable=False)
    state = Column(String(12), nullable=False, index=True)
    claimed_by = Column(String(64))
    claimed_at = Column(DateTime)
    attempts = Column(Integer, nullable=False, default=0)
    sent_at = Column(DateTime)
    answer = Column(String(16))


class PulseRow(Base):
    __tablename__ = "pulse_scores"
    __table_args__ = (UniqueConstraint("user_id", "week", name="uq_pulse_scores_user_week"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(64), nullable=False)
    team = Column(String(64))
    week = Column(Date, nullable=False, index=True)
    score = Column(Integer, nullable=False)
    answered_at = Column(DateTime, nullable=False)


CONSENTS, PLANNED, PULSES = ConsentRow.__table__, PlannedRow.__table__, PulseRow.__table__


@dataclass(frozen=True)
class Consent:
    user_id: str
    channel: str
    address: str | None
    language: str | None
    state: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class Plan:
    user_id: str
    kind: str
    reason: str
    week: dt.date
    due_at: dt.datetime
    expires_at: dt.datetime
    kb_entry: str | None = None
    counts: bool = True  # towards the weekly cap (not failed or expired)


PLAN_COLUMNS = ("user_id", "kind", "reason", "week", "due_at", "expires_at", "kb_entry")


@dataclass(frozen=True)
class Planned:
    id: int
    user_id: str
    kind: str
    kb_entry: str | None
    week: dt.date
    due_at: dt.datetime
    state: str
    sent_at: dt.datetime | None
    answer: str | None


def _consent(row) -> Consent:
    return Consent(row.user_id, row.channel, row.address, row.language, row.state, row.updated_at)


def _planned(row) -> Planned:
    return Planned(
        row.id, row.user_id, row.kind, row.kb_entry, row.week, row.due_at, row.state, row.sent_at, row.answer
    )


class FollowupStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- consent ------------------------------------------------------------------------
    def consent(self, user_id: str) -> Consent | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(CONSENTS).where(CONSENTS.c.user_id == user_id)).first()
            return _consent(row) if row else None

    def consenting(self, user_ids: Collection[str] | None = None) -> list[Consent]:
        """Everyone who agreed (or those of `user_ids` who did)."""
        query = select(CONSENTS).where(CONSENTS.c.state == ON).order_by(CONSENTS.c.user_id)
        if user_ids is not None:
            query = query.where(CONSENTS.c.user_id.in_(list(user_ids)))
        with self.engine.connect() as connection:
            return [_consent(row) for row in connection.execute(query)]

    def offer_once(self, user_id: str, channel: str, now: dt.datetime) -> bool:
        """Notes that the person was asked; False if they were asked (or answered) before."""
        insert = insert_ignoring_duplicates(self.engine, CONSENTS, ["user_id"])
        row = {"user_id": user_id, "channel": channel, "state": OFFERED, "updated_at": now}
        with self.engine.begin() as connection:
            return connection.execute(insert, [row]).rowcount > 0

    def decide(
        self, user_id: str, channel: str, address: str | None, language: str | None, agree: bool, now: dt.datetime
    ) -> None:
        """Yes (with where to write) or no. No also cancels every message not sent yet, and forgets the address."""
        values = {
            "channel": channel,
            "address": address if agree else None,
            "language": language,
            "state": ON if agree else OFF,
            "updated_at": now,
        }
        insert = insert_ignoring_duplicates(self.engine, CONSENTS, ["user_id"])
        with self.engine.begin() as connection:
            connection.execute(insert, [{"user_id": user_id, **values}])
            connection.execute(update(CONSENTS).where(CONSENTS.c.user_id == user_id).values(**values))
            if not agree:
                connection.execute(delete(PLANNED).where(PLANNED.c.user_id == user_id, PLANNED.c.state == DUE))

    # --- planning (inside one transaction per person: `planning`) ----------------------------
    @staticmethod
    def hold(connection: Connection, user_id: str, now: dt.datetime) -> bool:
        """Takes the person's consent row for this transaction (a write: planners of two replicas
        plan one person one after the other); False if they no longer agree."""
        held = connection.execute(
            update(CONSENTS).where(CONSENTS.c.user_id == user_id, CONSENTS.c.state == ON).values(planned_at=now)
        )
        return held.rowcount > 0

    @staticmethod
    def plans_of(connection: Connection, user_ids: Collection[str]) -> dict[str, list[Plan]]:
        """Every message planned for these people, whether it counts towards the cap (sent, or to be
        sent) or not: planning never adds one twice."""
        query = select(
            PLANNED.c.user_id, PLANNED.c.kind, PLANNED.c.reason, PLANNED.c.week, PLANNED.c.due_at,
            PLANNED.c.expires_at, PLANNED.c.kb_entry, PLANNED.c.state.in_(COUNTED),
        ).where(PLANNED.c.user_id.in_(list(user_ids)))  # fmt: skip
        plans: dict[str, list[Plan]] = {user_id: [] for user_id in user_ids}
        for row in connection.execute(query):
            plans[row.user_id].append(
                Plan(**{name: row[i] for i, name in enumerate(PLAN_COLUMNS)}, counts=bool(row[7]))
            )
        return plans

    def add(self, connection: Connection, plan: Plan) -> bool:
        row = {name: getattr(plan, name) for name in PLAN_COLUMNS}
        insert = insert_ignoring_duplicates(self.engine, PLANNED, ["user_id", "kind", "reason"])
        return connection.execute(insert, [{**row, "state": DUE, "attempts": 0}]).rowcount > 0

    # --- dispatching ------------------------------------------------------------------------
    def release_stale(self, before: dt.datetime) -> int:
        """Claims older than `before` (their replica stopped mid-way) are due again."""
        with self.engine.begin() as connection:
            stale = update(PLANNED).where(PLANNED.c.state == SENDING, PLANNED.c.claimed_at < before)
            return connection.execute(stale.values(state=DUE, claimed_by=None, claimed_at=None)).rowcount

    def expire(self, now: dt.datetime) -> int:
        with self.engine.begin() as connection:
            late = update(PLANNED).where(PLANNED.c.state == DUE, PLANNED.c.expires_at <= now)
            return connection.execute(late.values(state=EXPIRED)).rowcount

    def due(
        self, now: dt.datetime, channels: Collection[str] | None = None, user_id: str | None = None, limit: int = 100
    ) -> list[int]:
        """The messages due at `now` (not expired), of people reached through `channels` (default:
        any), or of one person: a dispatcher takes only what it has a way to deliver."""
        query = (
            select(PLANNED.c.id)
            .where(
                PLANNED.c.state == DUE,
                PLANNED.c.claimed_by.is_(None),
                PLANNED.c.due_at <= now,
                PLANNED.c.expires_at > now,
            )
            .order_by(PLANNED.c.due_at, PLANNED.c.id)
            .limit(limit)
        )
        if channels is not None:
            reached = select(CONSENTS.c.user_id).where(CONSENTS.c.channel.in_(list(channels)))
            query = query.where(PLANNED.c.user_id.in_(reached))
        if user_id is not None:
            query = query.where(PLANNED.c.user_id == user_id)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def claim(self, message_id: int, replica: str, now: dt.datetime) -> tuple[Planned, Consent] | None:
        """The message and where to send it, if this replica got it (and the person still agrees)."""
        agreeing = select(CONSENTS.c.user_id).where(CONSENTS.c.state == ON)
        claim = (
            update(PLANNED)
            .where(
                PLANNED.c.id == message_id,
                PLANNED.c.state == DUE,
                PLANNED.c.claimed_by.is_(None),
                PLANNED.c.user_id.in_(agreeing),
            )
            .values(state=SENDING, claimed_by=replica, claimed_at=now, attempts=PLANNED.c.attempts + 1)
        )
        with self.engine.begin() as connection:
            if connection.execute(claim).rowcount != 1:
                return None
            row = connection.execute(select(PLANNED).where(PLANNED.c.id == message_id)).one()
            consent = connection.execute(select(CONSENTS).where(CONSENTS.c.user_id == row.user_id)).one()
            return _planned(row), _consent(consent)

    def sent(self, message_id: int, replica: str, now: dt.datetime) -> bool:
        """Marks the claimed message sent; False if it is gone meanwhile (the person was erased)."""
        with self.engine.begin() as connection:
            marked = connection.execute(
                update(PLANNED)
                .where(PLANNED.c.id == message_id, PLANNED.c.claimed_by == replica)
                .values(state=SENT, sent_at=now)
            )
            return marked.rowcount == 1

    def not_sent(self, message_id: int, replica: str, retry_at: dt.datetime) -> None:
        """A failed delivery: due again at `retry_at`, or failed for good after MAX_ATTEMPTS."""
        mine = (PLANNED.c.id == message_id, PLANNED.c.claimed_by == replica)
        with self.engine.begin() as connection:
            connection.execute(update(PLANNED).where(*mine, PLANNED.c.attempts >= MAX_ATTEMPTS).values(state=FAILED))
            again = update(PLANNED).where(*mine, PLANNED.c.attempts < MAX_ATTEMPTS)
            connection.execute(again.values(state=DUE, claimed_by=None, claimed_at=None, due_at=retry_at))

    # --- answers ------------------------------------------------------------------------------
    def answer(self, message_id: int, user_id: str, kinds: Collection[str], answer: str) -> Planned | None:
        """Records the first answer to a sent message of this person (of one of `kinds`); None for
        anything else (someone else's message, a second click, a message never sent)."""
        mine = (PLANNED.c.id == message_id, PLANNED.c.user_id == user_id, PLANNED.c.kind.in_(kinds))
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(PLANNED).where(*mine, PLANNED.c.state == SENT).values(state=ANSWERED, answer=answer)
            )
            if changed.rowcount != 1:
                return None
            return _planned(connection.execute(select(PLANNED).where(PLANNED.c.id == message_id)).one())

    def add_pulse(self, user_id: str, team: str | None, week: dt.date, score: int, now: dt.datetime) -> bool:
        row = {"user_id": user_id, "team": team, "week": week, "score": score, "answered_at": now}
        with self.engine.begin() as connection:
            return (
                connection.execute(insert_ignoring_duplicates(self.engine, PULSES, ["user_id", "week"]), [row]).rowcount
                > 0
            )

    def messages(self, user_id: str | None = None) -> list[Planned]:
        query = select(PLANNED).order_by(PLANNED.c.due_at, PLANNED.c.id)
        if user_id is not None:
            query = query.where(PLANNED.c.user_id == user_id)
        with self.engine.connect() as connection:
            return [_planned(row) for row in connection.execute(query)]

    # --- erasure ------------------------------------------------------------------------------
    def forget(self, user_id: str) -> int:
        """Removes the person's consent, planned messages and pulse scores; returns the rows removed."""
        with self.engine.begin() as connection:
            return sum(
                connection.execute(delete(table).where(table.c.user_id == user_id)).rowcount
                for table in (PLANNED, PULSES, CONSENTS)
            )
