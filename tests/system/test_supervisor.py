"""`make run` when a connector fails: the Telegram connector cannot reach Telegram (a closed
port where its Bot API should be), so it stops at start-up, again and again. It is started again
after growing pauses, each stop reported on stderr, while the web chat, the dashboard and Rasa
keep serving: the coach stops only with Rasa or the action server."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import httpx

from tests.conftest import ROOT
from tests.system.product import PORT_VARIABLES, free_ports, require_model

STARTUP_SECONDS = 240


def _wait_for(lines: list[str], text: str, seconds: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not any(text in line for line in lines):
        assert process.poll() is None, "the coach stopped:\n" + "".join(lines[-80:])
        assert time.monotonic() < deadline, f"no {text!r} in the output:\n" + "".join(lines[-80:])
        time.sleep(0.2)


def test_a_connector_that_keeps_failing_is_restarted_and_the_coach_keeps_serving(product_env, tmp_path):
    require_model()
    [nobody_listens] = free_ports(1)
    env = {name: value for name, value in product_env.items() if not name.startswith("SLACK_")}
    env.update(
        {
            "COACH_VAR_DIR": str(tmp_path),
            **dict(zip(PORT_VARIABLES, map(str, free_ports(len(PORT_VARIABLES))), strict=True)),
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{nobody_listens}/bot",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    try:
        _wait_for(lines, "The CRM coach is running", STARTUP_SECONDS, process)
        _wait_for(lines, "the telegram connector stopped (exit code 1); starting it again in 1 s", 60, process)
        _wait_for(lines, "the telegram connector stopped (exit code 1); starting it again in 2 s", 60, process)

        rasa = f"http://127.0.0.1:{env['RASA_PORT']}"
        answer = httpx.post(
            f"{rasa}/webhooks/rest/webhook",
            json={"sender": f"supervised-{uuid.uuid4()}", "message": "non ho tempo per il CRM"},
            timeout=60,
        )
        assert answer.status_code == 200 and answer.json(), "".join(lines[-80:])
        assert answer.json()[0]["text"]
        with urllib.request.urlopen(f"http://127.0.0.1:{env['DASHBOARD_PORT']}/login", timeout=30) as page:
            assert page.status == 200
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert not any("stopping the others" in line for line in lines)
