"""The engines every part of the coach opens (bot/db.py), on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import exc, text

from bot.db import make_engine

# A statement each database refuses without quoting it back (PostgreSQL quotes a statement it cannot
# plan: "LINE 1: ..."; SQLite divides by zero into NULL).
FAILING = {"sqlite": "INSERT INTO no_such_table VALUES (:said)", "postgresql": "SELECT length(:said) / 0"}


def test_a_failed_statement_does_not_carry_what_people_wrote_into_the_log(database_url):
    # Rasa's tracker store, the adoption log and the dashboard log a database's errors as they come,
    # and SQLAlchemy adds the statement's values to the message unless told not to.
    engine = make_engine(database_url)
    try:
        with pytest.raises(exc.DBAPIError) as failed, engine.begin() as connection:
            connection.execute(text(FAILING[engine.dialect.name]), {"said": "Mario Rossi 333 1234567"})
    finally:
        engine.dispose()
    assert "[SQL:" in str(failed.value) and "Rossi" not in str(failed.value)
