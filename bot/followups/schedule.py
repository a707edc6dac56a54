"""When the coach may write first: working days (Monday to Friday) within working hours, in
the company's time zone, and which ISO week a moment belongs to (the weekly cap counts by it).

    COACH_TIMEZONE       an IANA zone such as Europe/Rome (default UTC)
    COACH_WORK_HOURS     9-18: from 9:00 to before 18:00 local time (default)
    COACH_FOLLOWUP_DAYS  working days between a tip and the question whether it worked (default 3)

Everything here takes the moment it reasons about (`now`): nothing reads the clock, so the
tests drive a simulated month. Moments in and out are naive UTC, as the database stores them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings import SettingsError

FRIDAY, TUESDAY = 4, 1
_HOURS = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")
_MAX_FOLLOWUP_DAYS = 20


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    start_hour: int = 9
    end_hour: int = 18
    followup_days: int = 3

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Schedule:
        """The schedule of the settings; SettingsError says which one is wrong and how to write it."""
        name = environ.get("COACH_TIMEZONE", "").strip() or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"COACH_TIMEZONE must be a time zone such as Europe/Rome, not {name!r}") from None
        hours = environ.get("COACH_WORK_HOURS", "").strip() or "9-18"
        match = _HOURS.match(hours)
        if not match or not 0 <= int(match[1]) < int(match[2]) <= 24:
            raise SettingsError(f"COACH_WORK_HOURS must be two hours like 9-18 (start before end), not {hours!r}")
        days = environ.get("COACH_FOLLOWUP_DAYS", "").strip() or "3"
        if not days.isdigit() or not 1 <= int(days) <= _MAX_FOLLOWUP_DAYS:
            raise SettingsError(f"COACH_FOLLOWUP_DAYS must be a number of working days (1-20), not {days!r}")
        return cls(zone, int(match[1]), int(match[2]), int(days))

    # --- between UTC and local time ---------------------------------------------------
    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(tzinfo=dt.timezone.utc).astimezone(self.zone)

    def utc(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """`hour` o'clock local time on `day`, as naive UTC."""
        local = dt.datetime.combine(day, dt.time(hour % 24, minute), tzinfo=self.zone)
        if hour == 24:
            local += dt.timedelta(days=1)
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    # --- working time ---------------------------------------------------------------------
    def is_working_time(self, moment: dt.datetime) -> bool:
        local = self.local(moment)
        return local.weekday() < 5 and self.start_hour <= local.hour < self.end_hour

    def next_working_time(self, moment: dt.datetime) -> dt.datetime:
        """`moment` if it is working time, else the start of the next working day."""
        if self.is_working_time(moment):
            return moment
        local = self.local(moment)
        day = local.date()
        if local.weekday() < 5 and local.hour < self.start_hour:
            return self.utc(day, self.start_hour)
        return self.utc(_next_working_day(day), self.start_hour)

    def after_working_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The same local time `days` working days later, moved into working hours if it is outside."""
        local = self.local(moment)
        day = local.date()
        for _ in range(days):
            day = _next_working_day(day)
        return self.next_working_time(self.utc(day, local.hour, local.minute))

    # --- weeks --------------------------------------------------------------------------------
    def week_of(self, moment: dt.datetime) -> dt.date:
        """The Monday (local date) of the ISO week `moment` falls in."""
        day = self.local(moment).date()
        return day - dt.timedelta(days=day.weekday())

    def week_end(self, monday: dt.date) -> dt.datetime:
        """The end of that week: the next Monday at midnight local time, as naive UTC."""
        return self.utc(monday + dt.timedelta(days=7), 0)

    def pulse_time(self, monday: dt.date) -> dt.datetime:
        """Friday afternoon: three hours before the working day ends (not before it starts)."""
        return self.utc(monday + dt.timedelta(days=FRIDAY), max(self.start_hour, self.end_hour - 3))

    def refresher_time(self, monday: dt.date) -> dt.datetime:
        """Tuesday, an hour into the working day (not after it ends)."""
        return self.utc(monday + dt.timedelta(days=TUESDAY), min(self.start_hour + 1, self.end_hour - 1))


def _next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day
