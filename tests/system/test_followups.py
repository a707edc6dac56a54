"""The follow-ups' worker as `make run` starts it (`python -m bot.followups.worker`): it starts with a
connector's settings, says so, and stops cleanly (exit 0) on SIGTERM and on SIGINT; without a
connector it does not start, and says why. Planning and sending themselves are tested with a
controlled clock in tests/unit/followups/."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.system.product import ROOT

STARTED = "followups: started"


def _environment(tmp_path, **settings: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "COACH_"))}
    return {**env, "COACH_VAR_DIR": str(tmp_path), "DATABASE_URL": "", "COACH_SECRET_KEY": "", **settings}


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.followups.worker"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_starts_with_a_connector_and_stops_cleanly_on_a_signal(tmp_path, fake_telegram, stop):
    settings = {
        "TELEGRAM_TOKEN": fake_telegram.token,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "TELEGRAM_ALLOWED_USERS": "1",
        "COACH_TIMEZONE": "Europe/Rome",
    }
    worker = _start(_environment(tmp_path, **settings))
    try:
        assert worker.stderr is not None
        lines = [worker.stderr.readline()]
        while not lines[-1].startswith(STARTED) and lines[-1]:  # until it says so, or stops
            lines.append(worker.stderr.readline())
        assert "telegram" in lines[-1] and "Europe/Rome" in lines[-1], lines
        time.sleep(0.5)  # into its first pass or its wait: either way it stops
        worker.send_signal(stop)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()


def test_without_a_connector_or_with_a_wrong_setting_it_says_why(tmp_path):
    cases = [({}, "no Telegram or Slack connector"), ({"COACH_WORK_HOURS": "18-9"}, "COACH_WORK_HOURS")]
    for settings, reason in cases:
        result = subprocess.run(
            [sys.executable, "-m", "bot.followups.worker"],
            cwd=ROOT,
            env=_environment(tmp_path, SLACK_BOT_TOKEN="xoxb-x", SLACK_APP_TOKEN="xapp-x", **settings)
            if settings
            else _environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and reason in result.stderr, result.stderr
