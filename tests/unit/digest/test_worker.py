"""The weekly sender's clock, with a controlled clock (no sleeping): when the next digest is
due, which week it covers, catching up after a restart, and sending each week once."""

import datetime as dt
import zoneinfo

import pytest

from bot.digest import settings as digest_settings
from bot.digest import worker
from bot.digest.delivery import Delivery
from bot.digest.figures import Week

ROME = zoneinfo.ZoneInfo("Europe/Rome")


def _settings(day="mon", hour="8", timezone="Europe/Rome"):
    return digest_settings.load({"COACH_DIGEST_DAY": day, "COACH_DIGEST_HOUR": hour, "COACH_TIMEZONE": timezone})


def _at(*args, tz=ROME):
    return dt.datetime(*args, tzinfo=tz)


def test_the_next_digest_is_on_the_configured_day_and_hour_in_the_time_zone():
    settings = _settings("mon", "8")
    tuesday = _at(2026, 11, 17, 15, 0)
    assert worker.next_slot(tuesday, settings.day, settings.hour, settings.timezone) == _at(2026, 11, 23, 8, 0)
    just_before = _at(2026, 11, 23, 7, 59)
    assert worker.next_slot(just_before, settings.day, settings.hour, settings.timezone) == _at(2026, 11, 23, 8, 0)
    assert worker.seconds_to_wait(just_before, settings) == 60
    assert worker.seconds_to_wait(tuesday, settings) == worker.MAX_NAP  # wakes up to look at the clock again


def test_the_hour_is_wall_clock_time_across_a_daylight_saving_change():
    settings = _settings("mon", "8")
    # Europe/Rome leaves summer time on 2026-10-25: 08:00 is 06:00 UTC before, 07:00 UTC after.
    before, after = _at(2026, 10, 19, 8), _at(2026, 10, 26, 8)
    assert worker.next_slot(before, settings.day, settings.hour, settings.timezone) == after
    assert after.astimezone(dt.timezone.utc).hour == 7 and before.astimezone(dt.timezone.utc).hour == 6


def test_a_digest_covers_the_last_week_that_is_over_and_is_due_for_a_day():
    settings = _settings("mon", "8")
    assert worker.due_week(_at(2026, 11, 23, 7, 59), settings) is None  # a week after the last slot
    assert worker.due_week(_at(2026, 11, 23, 8, 0), settings) == Week.parse("2026-W47")
    assert worker.due_week(_at(2026, 11, 24, 7, 59), settings) == Week.parse("2026-W47")  # a late start catches up
    assert worker.due_week(_at(2026, 11, 24, 8, 1), settings) is None  # too late: wait for next week
    sunday = _settings("sun", "20")
    assert worker.due_week(_at(2026, 11, 22, 21, 0), sunday) == Week.parse("2026-W46")  # W47 is not over yet


def test_the_time_zone_decides_the_moment():
    utc, tokyo = _settings("mon", "8", "UTC"), _settings("mon", "8", "Asia/Tokyo")
    moment = dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.timezone.utc)  # 09:30 Monday in Tokyo
    assert worker.due_week(moment, utc) is None and worker.due_week(moment, tokyo) == Week.parse("2026-W47")


class Sender:
    def __init__(self, *results):
        self.results, self.weeks = list(results), []

    def __call__(self, week):
        self.weeks.append(week)
        return self.results.pop(0)


def test_each_week_goes_once_even_after_a_restart(tmp_path):
    settings, lease = _settings(), worker.Lease(tmp_path / "digest")
    send = Sender(Delivery(["e-mail to 1 recipients"], []))
    monday = _at(2026, 11, 23, 8, 5)
    assert worker.run_once(monday, settings, lease, send).sent == ["e-mail to 1 recipients"]
    restarted = worker.Lease(tmp_path / "digest")  # a new process: only the file remembers
    assert worker.run_once(monday + dt.timedelta(hours=1), settings, restarted, send) is None
    assert send.weeks == [Week.parse("2026-W47")] and (tmp_path / "digest" / "2026-W47.sent").exists()


def test_a_week_delivered_nowhere_is_tried_again_and_a_partial_one_is_not(tmp_path):
    settings, lease = _settings(), worker.Lease(tmp_path)
    monday = _at(2026, 11, 23, 8, 5)
    send = Sender(Delivery([], ["Slack down"]), Delivery(["Slack channel C1"], ["Telegram down"]))
    assert worker.run_once(monday, settings, lease, send).failed == ["Slack down"]
    assert worker.run_once(monday, settings, lease, send).sent == ["Slack channel C1"]
    assert worker.run_once(monday, settings, lease, send) is None  # the e-mail is not sent twice
    assert len(send.weeks) == 2


def test_a_crash_while_sending_frees_the_week(tmp_path):
    lease = worker.Lease(tmp_path)

    def crash(week):
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        worker.run_once(_at(2026, 11, 23, 8, 5), _settings(), lease, crash)
    assert lease.claim(Week.parse("2026-W47"))  # free again
    assert not lease.claim(Week.parse("2026-W47"))  # and taken only once
