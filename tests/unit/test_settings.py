import pytest

from bot.settings import DEFAULT_RETENTION_DAYS, SettingsError, load


def test_embedded_defaults_are_sqlite_files_in_var(tmp_path):
    settings = load({"COACH_VAR_DIR": str(tmp_path)})
    assert settings.log_db_url == f"sqlite:///{tmp_path / 'coach.db'}"
    assert settings.tracker_db_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.store_text and settings.retention_days == DEFAULT_RETENTION_DAYS


def test_one_setting_moves_the_log_and_the_tracker_store_to_production():
    settings = load({"DATABASE_URL": "postgresql://coach@db/coach"})
    assert settings.log_db_url == settings.tracker_db_url == "postgresql://coach@db/coach"


@pytest.mark.parametrize("value, stored", [("false", False), ("0", False), ("off", False), ("true", True), ("", True)])
def test_storing_text_can_be_switched_off(value, stored):
    assert load({"COACH_STORE_TEXT": value}).store_text is stored


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_a_bad_retention_period_is_refused_with_its_name(value):
    with pytest.raises(SettingsError, match="COACH_RETENTION_DAYS"):
        load({"COACH_RETENTION_DAYS": value})
