"""The product as `make run` starts it, once per test session, with fake Telegram and Slack
clouds on 127.0.0.1 (the real client libraries talk to them) and its own databases."""
from __future__ import annotations

import collections
import shutil
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram

MODEL = ROOT / "models" / "coach.tar.gz"
PORTS = (5005, 5055, 8000, 8050)
TEAM_MEMBER = f"e2e-team-{uuid.uuid4()}"
TELEGRAM_ALLOWED = (1001, 1002, 1003)
TELEGRAM_JOIN_CODE = "crm-pilot-2026"


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def fake_telegram():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


SLACK_LOCALES = {"U1": "es-ES", "U2": "en-GB", "U3": "it-IT"}


@pytest.fixture(scope="session")
def fake_slack():
    fake = FakeSlack(SLACK_LOCALES).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def product_env(tmp_path_factory, fake_telegram, fake_slack):
    """The product's own databases, key and teams file in a folder of this run, and the fake clouds."""
    var = tmp_path_factory.mktemp("var")
    # Trainers' edits in these tests go to copies, never to the repository's files.
    shutil.copytree(ROOT / "knowledge", var / "knowledge")
    shutil.copytree(ROOT / "data", var / "data")
    (var / "teams.yml").write_text(f'north: ["webchat:{TEAM_MEMBER}"]\n')
    overrides = {
        "COACH_VAR_DIR": str(var), "COACH_KNOWLEDGE_DIR": str(var / "knowledge"), "COACH_DATA_DIR": str(var / "data"),
        "COACH_TEAMS_FILE": str(var / "teams.yml"), "RASA_TELEMETRY_ENABLED": "false",
        "TELEGRAM_TOKEN": fake_telegram.token, "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "TELEGRAM_ALLOWED_USERS": ",".join(map(str, TELEGRAM_ALLOWED)), "TELEGRAM_JOIN_CODE": TELEGRAM_JOIN_CODE,
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_BASE_URL": fake_slack.base_url,
    }
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "COACH_SECRET_KEY") and not k.startswith(("TELEGRAM_", "SLACK_"))}
    return {**env, **overrides}


@pytest.fixture(scope="session")
def product(product_env):
    if not MODEL.exists():
        pytest.skip("no trained model: `make test` trains it first (make model)")
    busy = [p for p in PORTS if port_in_use(p)]
    if busy:
        pytest.skip(f"ports {busy} are in use (is `make run` running?)")
    process = subprocess.Popen([sys.executable, "-m", "bot.run"], cwd=ROOT, env=product_env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = collections.deque(maxlen=2000)
    deadline = time.monotonic() + 240
    for line in process.stdout:
        output.append(line)
        if "The CRM coach is running" in line:
            break
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the product did not start:\n" + "".join(output))
    # Keep reading its output, or a full pipe would stall it.
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    yield process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    # For whoever reads a failure: the product's last output, next to its databases.
    (Path(product_env["COACH_VAR_DIR"]) / "product.log").write_text("".join(output))
    assert not any(port_in_use(p) for p in PORTS), "a component outlived Ctrl-C"
