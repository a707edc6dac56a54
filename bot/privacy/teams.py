"""Which team a salesperson belongs to, from a file the adoption lead maintains.

The file names people by their channel account ("telegram:123456789",
"slack:U024BE7LH"), so it is personal data: it stays out of version control
(`teams.example.yml` shows the format). It is read again whenever it changes, so
the lead never restarts the bot to move someone.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)


class TeamDirectory:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._team_of: dict[str, str] = {}

    def team(self, channel: str, user_id: str) -> str | None:
        self._reload_if_changed()
        return self._team_of.get(f"{channel}:{user_id}")

    def _reload_if_changed(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._team_of, self._stamp = {}, None
            return
        stamp = (stat.st_mtime, stat.st_size)
        with self._lock:
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                self._team_of = parse(yaml.safe_load(self.path.read_text(encoding="utf-8")))
            except (yaml.YAMLError, ValueError) as error:
                # Keep the last good mapping: a typo must not drop everyone's team.
                logger.error("%s: not used, fix it: %s", self.path, error)


def parse(data) -> dict[str, str]:
    """{team: [channel:user id, ...]} -> {channel:user id: team}; an account in two teams is an error."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of team name to a list of accounts")
    team_of: dict[str, str] = {}
    for team, accounts in data.items():
        if not isinstance(accounts, list):
            raise ValueError(f"team {team!r}: expected a list of accounts like telegram:123456789")
        for account in accounts:
            account = str(account).strip()
            if ":" not in account:
                raise ValueError(f"team {team!r}: {account!r} should be channel:user id, e.g. telegram:123456789")
            if account in team_of and team_of[account] != str(team):
                raise ValueError(f"{account} is in two teams: {team_of[account]} and {team}")
            team_of[account] = str(team)
    return team_of
