"""Working days and hours in the company's time zone, and settings that cannot work."""

import datetime as dt

import pytest

from bot.followups.schedule import Schedule
from bot.settings import SettingsError
from tests.unit.followups.conftest import MONDAY, ROME

FRIDAY_EVENING = MONDAY + dt.timedelta(days=4, hours=10)  # Friday 18:00 in Rome


def test_working_time_is_monday_to_friday_within_the_hours_in_the_companys_zone():
    assert not ROME.is_working_time(MONDAY)  # 8:00 in Rome (7:00 UTC)
    assert ROME.is_working_time(MONDAY + dt.timedelta(hours=1))  # 9:00 in Rome
    assert ROME.is_working_time(FRIDAY_EVENING - dt.timedelta(minutes=1))
    assert not ROME.is_working_time(FRIDAY_EVENING)
    assert not ROME.is_working_time(MONDAY + dt.timedelta(days=5, hours=4))  # Saturday noon


def test_outside_working_time_the_next_moment_is_the_next_working_days_start():
    assert ROME.next_working_time(MONDAY) == MONDAY + dt.timedelta(hours=1)
    assert ROME.next_working_time(FRIDAY_EVENING) == MONDAY + dt.timedelta(days=7, hours=1)
    noon = MONDAY + dt.timedelta(hours=4)
    assert ROME.next_working_time(noon) == noon


def test_working_days_skip_the_weekend_and_keep_the_local_time():
    thursday_ten = MONDAY + dt.timedelta(days=3, hours=2)
    assert ROME.after_working_days(thursday_ten, 3) == thursday_ten + dt.timedelta(days=5)  # Tuesday
    late = MONDAY + dt.timedelta(hours=12)  # Monday 20:00 -> Thursday 20:00 -> Friday 9:00
    assert ROME.after_working_days(late, 3) == MONDAY + dt.timedelta(days=4, hours=1)


def test_weeks_are_local_iso_weeks_and_the_weekly_moments_fall_in_working_hours():
    sunday_late = MONDAY + dt.timedelta(days=6, hours=16)  # Sunday 23:30 UTC is Monday 0:30 in Rome
    assert ROME.week_of(sunday_late + dt.timedelta(minutes=30)) == (MONDAY + dt.timedelta(days=7)).date()
    week = MONDAY.date()
    assert ROME.pulse_time(week) == MONDAY + dt.timedelta(days=4, hours=7)  # Friday 15:00 in Rome
    assert ROME.refresher_time(week) == MONDAY + dt.timedelta(days=1, hours=2)  # Tuesday 10:00
    assert all(ROME.is_working_time(moment) for moment in (ROME.pulse_time(week), ROME.refresher_time(week)))


def test_defaults_and_settings():
    default = Schedule.from_environment({})
    assert (str(default.zone), default.start_hour, default.end_hour, default.followup_days) == ("UTC", 9, 18, 3)
    custom = Schedule.from_environment(
        {"COACH_TIMEZONE": "America/Bogota", "COACH_WORK_HOURS": "8-17", "COACH_FOLLOWUP_DAYS": "2"}
    )
    assert (str(custom.zone), custom.start_hour, custom.end_hour, custom.followup_days) == ("America/Bogota", 8, 17, 2)


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"COACH_TIMEZONE": "Mars/Olympus"}, "COACH_TIMEZONE"),
        ({"COACH_TIMEZONE": "../../etc/passwd"}, "COACH_TIMEZONE"),
        ({"COACH_WORK_HOURS": "18-9"}, "COACH_WORK_HOURS"),
        ({"COACH_WORK_HOURS": "nine to five"}, "COACH_WORK_HOURS"),
        ({"COACH_FOLLOWUP_DAYS": "0"}, "COACH_FOLLOWUP_DAYS"),
        ({"COACH_FOLLOWUP_DAYS": "-3"}, "COACH_FOLLOWUP_DAYS"),
    ],
)
def test_a_setting_that_cannot_work_is_named_with_how_to_write_it(environ, named):
    with pytest.raises(SettingsError, match=named):
        Schedule.from_environment(environ)
