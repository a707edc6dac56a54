"""The connectors' supervisor with real processes: one that stops is started again after a
pause that doubles up to a cap, a healthy neighbour is left alone, and a connector that ran
for a while starts over from the shortest pause."""

from __future__ import annotations

import os
import re
import sys
import time

from bot.channels.supervisor import Supervisor

FIRST, CAP = 0.05, 0.2


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _supervise(commands: dict[str, list[str]], tmp_path, healthy_after: float = 60.0) -> tuple[Supervisor, list[str]]:
    reports: list[str] = []
    supervisor = Supervisor(
        commands,
        tmp_path,
        {name: dict(os.environ) for name in commands},
        first_delay=FIRST,
        max_delay=CAP,
        healthy_after=healthy_after,
        report=reports.append,
    )
    return supervisor.start(), reports


def _until(supervisor: Supervisor, reports: list[str], count: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while len(reports) < count and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.01)


def _pauses(reports: list[str]) -> list[float]:
    return [float(re.search(r"again in ([0-9.]+) s", report).group(1)) for report in reports]


def test_a_failing_connector_is_restarted_with_growing_pauses_and_its_neighbour_keeps_running(tmp_path):
    starts = tmp_path / "starts"
    supervisor, reports = _supervise(
        {
            "flaky": _python(f"import sys; open({str(starts)!r}, 'a').write('x'); sys.exit(1)"),
            "steady": _python("import time; time.sleep(60)"),
        },
        tmp_path,
    )
    try:
        _until(supervisor, reports, 5)
        assert _pauses(reports) == [FIRST, 2 * FIRST, CAP, CAP, CAP]
        assert all(report.startswith("coach: the flaky connector stopped (exit code 1)") for report in reports)
        assert len(starts.read_text()) >= 5  # every pause was followed by a real start
        assert "steady" in supervisor.running()
    finally:
        supervisor.stop()
    assert supervisor.running() == []


def test_a_connector_that_ran_long_enough_starts_over_from_the_shortest_pause(tmp_path):
    supervisor, reports = _supervise(
        {"slow_to_fail": _python("import sys, time; time.sleep(0.3); sys.exit(3)")}, tmp_path, healthy_after=0.1
    )
    try:
        _until(supervisor, reports, 3)
    finally:
        supervisor.stop()
    assert _pauses(reports) == [FIRST, FIRST, FIRST]
    assert "exit code 3" in reports[0]


def test_a_command_that_cannot_start_is_reported_and_tried_again(tmp_path):
    supervisor, reports = _supervise({"missing": [str(tmp_path / "no-such-program")]}, tmp_path)
    try:
        _until(supervisor, reports, 2)
    finally:
        supervisor.stop()
    assert _pauses(reports) == [FIRST, 2 * FIRST]
    assert "could not start" in reports[0] and "no-such-program" in reports[0]
