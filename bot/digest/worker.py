"""`python -m bot.digest.worker`: sends the weekly digest on COACH_DIGEST_DAY at COACH_DIGEST_HOUR
in COACH_TIMEZONE, once per week; `make run` starts it (bot/run.py) when the digest has
somewhere to go, and its Supervisor restarts it with back-off if it stops.

At each scheduled moment the digest of the last week that is over goes out: the company's (in
COACH_DIGEST_LANGUAGE) to COACH_DIGEST_RECIPIENTS and the chat, and each team's with recipients
to them, unless the team's week rests on fewer than 5 people. A worker started up to a day
late (a restart, a reboot) still sends that week's digest; later it waits for the next week.

Once per week: before sending, the worker creates `var/digest/<YYYY-Www>.sent` atomically
(O_CREAT | O_EXCL); if the file exists, that week went already and a restart does not send it
again. The file is removed again only when nothing was delivered, so that the worker tries once
more. Caveat: the file is on one machine. Two replicas on two machines, each running `make run`
with the same destinations, would each send it: configure the digest on one of them only.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

from bot.digest import delivery, render
from bot.digest import settings as digest_settings
from bot.digest.figures import TooFewPeopleError, Week
from bot.digest.settings import DigestSettings

CATCH_UP = dt.timedelta(days=1)  # how late a digest still goes out
RETRY = dt.timedelta(minutes=10)  # after a week that could not be delivered anywhere
MAX_NAP = 300.0  # seconds: wake up often enough to notice a clock change


def _at(day: dt.date, hour: int, timezone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone)


def last_slot(now: dt.datetime, day: int, hour: int, timezone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The latest scheduled moment at or before `now` (an aware datetime), in the time zone's
    wall-clock time: 08:00 on Mondays stays 08:00 across daylight-saving changes."""
    local = now.astimezone(timezone)
    date = local.date() - dt.timedelta(days=(local.weekday() - day) % 7)
    slot = _at(date, hour, timezone)
    return slot if slot <= now else _at(date - dt.timedelta(days=7), hour, timezone)


def next_slot(now: dt.datetime, day: int, hour: int, timezone: zoneinfo.ZoneInfo) -> dt.datetime:
    return _at(last_slot(now, day, hour, timezone).date() + dt.timedelta(days=7), hour, timezone)


def due_week(now: dt.datetime, settings: DigestSettings) -> Week | None:
    """The week whose digest should go out now (the last one over at the latest scheduled
    moment, if that moment is at most CATCH_UP ago), else None."""
    slot = last_slot(now, settings.day, settings.hour, settings.timezone)
    return Week.last_complete(slot.date()) if now - slot <= CATCH_UP else None


def seconds_to_wait(now: dt.datetime, settings: DigestSettings) -> float:
    until = next_slot(now, settings.day, settings.hour, settings.timezone) - now
    return max(1.0, min(until.total_seconds(), MAX_NAP))


class Lease:
    """The mark that a week's digest went out (or is going): a file created atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, week: Week) -> Path:
        return self.folder / f"{week}.sent"

    def claim(self, week: Week) -> bool:
        """True for the first caller for that week, False ever after."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path(week), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w") as mark:
            mark.write(dt.datetime.now(dt.timezone.utc).isoformat() + "\n")
        return True

    def release(self, week: Week) -> None:
        self.path(week).unlink(missing_ok=True)


def send_week(engine, knowledge_dir: Path, settings: DigestSettings, week: Week) -> delivery.Delivery:
    """The company's digest and each configured team's, for `week`; what went and what failed.
    A team whose week rests on fewer than 5 people is skipped, and the reason is listed."""
    from bot.dashboard.queries import filter_options
    from bot.knowledge import base as knowledge

    kb = knowledge.load(knowledge_dir)  # the trainers' current answers
    result = delivery.Delivery([], [])
    teams = [None, *(t for t in filter_options(engine)["team"] if settings.recipients_of(t))]
    for team in teams:
        if team is None and not (settings.recipients or settings.slack_channel or settings.telegram_chat):
            continue
        try:
            sent = delivery.deliver(settings, render.build(engine, kb, week, team, settings.language))
        except TooFewPeopleError as small:
            result.skipped.append(str(small))
            continue
        result.sent.extend(sent.sent)
        result.failed.extend(sent.failed)
    return result


def run_once(
    now: dt.datetime, settings: DigestSettings, lease: Lease, send: Callable[[Week], delivery.Delivery]
) -> delivery.Delivery | None:
    """One look at the clock: sends the due week's digest if nobody has yet; None if nothing was due."""
    week = due_week(now, settings)
    if week is None or not lease.claim(week):
        return None
    try:
        result = send(week)
    except Exception:
        lease.release(week)
        raise
    if result.failed and not result.sent:
        lease.release(week)  # nothing went anywhere: try again
    return result


def _say(line: str) -> None:
    print(f"digest: {line}", file=sys.stderr, flush=True)


def main() -> int:
    from bot import settings
    from bot.adoption_log.store import LogStore

    try:
        current = settings.load()
        configured = digest_settings.load()
    except settings.SettingsError as error:
        _say(str(error))
        return 2
    store = LogStore(current.log_db_url)
    lease = Lease(Path(os.environ.get("COACH_VAR_DIR", str(settings.VAR))) / "digest")
    _say(
        f"next weekly digest at {next_slot(dt.datetime.now(dt.timezone.utc), configured.day, configured.hour, configured.timezone):%Y-%m-%d %H:%M %Z}"
    )
    try:
        while True:
            now = dt.datetime.now(dt.timezone.utc)
            result = run_once(
                now, configured, lease, lambda w: send_week(store.engine, current.knowledge_dir, configured, w)
            )
            if result is not None:
                for line in result.sent:
                    _say(f"sent: {line}")
                for line in result.skipped:
                    _say(f"no digest: {line}")
                for line in result.failed:
                    _say(f"NOT SENT: {line}")
                if result.failed and not result.sent:
                    time.sleep(RETRY.total_seconds())
                    continue
            time.sleep(seconds_to_wait(dt.datetime.now(dt.timezone.utc), configured))
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
