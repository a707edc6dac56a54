"""Who may open the dashboard, and what each role sees.

- lead: aggregates only (overview, objections, answers);
- trainer: also the not-understood messages and the pseudonymous conversations;
- admin: everything, and manages the users.
Passwords are stored as salted scrypt hashes (Werkzeug).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext, lazy_gettext
from sqlalchemy import Column, DateTime, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.db import Base, utc_now
from bot.i18n import LANGUAGES

ROLES = ("lead", "trainer", "admin")
# As the pages name them (the values stored are ROLES).
ROLE_NAMES = {"lead": lazy_gettext("adoption lead"), "trainer": lazy_gettext("trainer"), "admin": lazy_gettext("admin")}
MIN_PASSWORD = 10
MAX_USERNAME = 64
_USERNAME = re.compile(rf"^[A-Za-z0-9._@-]{{2,{MAX_USERNAME}}}$")
# Checked against when the user does not exist, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class UserError(ValueError):
    pass


class UserRow(Base):
    __tablename__ = "dashboard_users"
    __table_args__ = (UniqueConstraint("username", name="uq_dashboard_users_username"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    created_at = Column(DateTime, nullable=False)
    language = Column(String(8), nullable=True)  # the dashboard's language they chose; None: the browser's


@dataclass(frozen=True)
class User:
    username: str
    role: str
    language: str | None = None  # chosen for the dashboard; None follows the browser

    def may(self, role: str) -> bool:
        """True if this user has `role` or a role above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _check(username: str, password: str | None, role: str) -> None:
    if not _USERNAME.match(username or ""):
        raise UserError(gettext("a username is 2-64 letters, digits or . _ @ -"))
    if role not in ROLES:
        raise UserError(gettext("role must be one of %(roles)s", roles=", ".join(ROLES)))
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(gettext("a password needs at least %(count)d characters", count=MIN_PASSWORD))


class Users:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, username: str, password: str, role: str) -> User:
        _check(username, password, role)
        row = UserRow(
            username=username, password_hash=generate_password_hash(password), role=role, created_at=utc_now()
        )
        try:
            with Session(self.engine, future=True) as session, session.begin():
                session.add(row)
        except IntegrityError:
            raise UserError(gettext("%(username)s already exists", username=username)) from None
        return User(username, role)

    def authenticate(self, username: str, password: str) -> User | None:
        row = None
        if _USERNAME.match(username):  # no other name exists, nor need reach the database
            with Session(self.engine, future=True) as session:
                row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
        if row is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return User(row.username, row.role) if check_password_hash(row.password_hash, password) else None

    def get(self, username: str) -> User | None:
        with Session(self.engine, future=True) as session:
            row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
        return User(row.username, row.role, row.language) if row else None

    def all(self) -> list[User]:
        with Session(self.engine, future=True) as session:
            rows = session.execute(select(UserRow).order_by(UserRow.username)).scalars().all()
        return [User(r.username, r.role) for r in rows]

    def set_language(self, username: str, language: str | None) -> None:
        """The dashboard's language for `username`: one of LANGUAGES, or None to follow the browser."""
        if language is not None and language not in LANGUAGES:
            raise UserError(gettext("language must be one of %(languages)s", languages=", ".join(LANGUAGES)))
        with Session(self.engine, future=True) as session, session.begin():
            session.execute(update(UserRow).where(UserRow.username == username).values(language=language))

    def set_role(self, username: str, role: str) -> None:
        _check(username, None, role)
        self._guard_last_admin(username, new_role=role)
        with Session(self.engine, future=True) as session, session.begin():
            session.execute(update(UserRow).where(UserRow.username == username).values(role=role))

    def remove(self, username: str) -> None:
        self._guard_last_admin(username, new_role=None)
        with Session(self.engine, future=True) as session, session.begin():
            session.execute(delete(UserRow).where(UserRow.username == username))

    def _guard_last_admin(self, username: str, new_role: str | None) -> None:
        admins = [u.username for u in self.all() if u.role == "admin"]
        if admins == [username] and new_role != "admin":
            raise UserError(gettext("the last admin cannot be removed or demoted: add another admin first"))
