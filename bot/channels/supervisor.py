"""Keeps the messaging connectors (Telegram, Slack) running under `make run` (bot/run.py).

A connector that stops (a network error at start-up, a missing dependency, a crash) is
started again after a pause that doubles with each failure in a row (1 s, 2 s, 4 s ... up
to a minute), and each stop is reported on stderr. A connector that then runs for a while
is healthy again: its next failure waits a second. The web chat, the dashboard and Rasa
never stop because of a connector: they do not depend on Telegram's or Slack's cloud.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class _Connector:
    command: Sequence[str]
    env: Mapping[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # in a row
    restart_at: float | None = None


@dataclass
class Supervisor:
    commands: Mapping[str, Sequence[str]]
    cwd: Path
    env: Mapping[str, Mapping[str, str]]  # per connector: the whole environment of its process
    first_delay: float = 1.0
    max_delay: float = 60.0
    healthy_after: float = 60.0  # seconds of running that reset the back-off
    report: Callable[[str], None] = _to_stderr
    _connectors: dict[str, _Connector] = field(default_factory=dict, init=False)

    def start(self) -> Supervisor:
        for name, command in self.commands.items():
            self._connectors[name] = _Connector(command, self.env[name])
            self._launch(name)
        return self

    def delay(self, failures: int) -> float:
        """The pause before the restart that follows `failures` failures in a row (1 or more)."""
        return min(self.first_delay * 2 ** (failures - 1), self.max_delay)

    def check(self) -> None:
        """Notes the connectors that stopped and restarts those whose pause is over; call it often."""
        now = time.monotonic()
        for name, connector in self._connectors.items():
            if connector.restart_at is not None:
                if now >= connector.restart_at:
                    self._launch(name)
            elif connector.process is not None and (code := connector.process.poll()) is not None:
                self._failed(name, f"stopped (exit code {code})")
            elif now - connector.started_at >= self.healthy_after:
                connector.failures = 0

    def running(self) -> list[str]:
        return [name for name, c in self._connectors.items() if c.process is not None and c.process.poll() is None]

    def stop(self, timeout: float = 15.0) -> None:
        processes = [c.process for c in self._connectors.values() if c.process is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _launch(self, name: str) -> None:
        connector = self._connectors[name]
        try:
            connector.process = subprocess.Popen(connector.command, cwd=self.cwd, env=dict(connector.env))
        except OSError as error:  # e.g. the interpreter went away during an upgrade
            connector.process = None
            self._failed(name, f"could not start ({error})")
            return
        connector.started_at, connector.restart_at = time.monotonic(), None

    def _failed(self, name: str, what: str) -> None:
        connector = self._connectors[name]
        connector.failures += 1
        pause = self.delay(connector.failures)
        connector.restart_at = time.monotonic() + pause
        self.report(f"coach: the {name} connector {what}; starting it again in {pause:g} s")
