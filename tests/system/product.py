"""The product as `make run` starts it, once per test session, with fake Telegram and Slack
clouds on 127.0.0.1 (the real client libraries talk to them) and its own databases.

It listens on free ports of its own (RASA_PORT, ACTIONS_PORT, DASHBOARD_PORT, as `make run`
reads them), so the tests run next to a developer's `make run`; tests take the addresses
from the `product` fixture."""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.services import unavailable

MODEL = ROOT / "models" / "coach.tar.gz"
TEAM_MEMBER = f"e2e-team-{uuid.uuid4()}"
TELEGRAM_ALLOWED = (1001, 1002, 1003)
TELEGRAM_JOIN_CODE = "crm-pilot-2026"
PORT_VARIABLES = ("RASA_PORT", "ACTIONS_PORT", "DASHBOARD_PORT")


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on at 127.0.0.1 (the system picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def require_model() -> None:
    if not MODEL.exists():
        unavailable("no trained model in models/coach.tar.gz", "`make test` trains it first (make model)")


@dataclass(frozen=True)
class Product:
    process: subprocess.Popen
    rasa_port: int
    actions_port: int
    dashboard_port: int
    log: Path  # all the product said, as it says it

    def said(self, *marks: str) -> list[str]:
        """The product's output lines that hold any of `marks`."""
        with self.log.open(encoding="utf-8", errors="replace") as lines:
            return [line.rstrip() for line in lines if any(mark in line for mark in marks)]

    @property
    def ports(self) -> list[int]:
        return [self.rasa_port, self.actions_port, self.dashboard_port]

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def webchat_url(self) -> str:
        """The page; its messages go to `webchat_url + "webhook"`."""
        return f"{self.rasa_url}/webhooks/webchat/"

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"


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
    """The product's own databases, key, teams file and ports in a folder of this run, and the fake clouds."""
    var = tmp_path_factory.mktemp("var")
    # Trainers' edits in these tests go to copies, never to the repository's files.
    shutil.copytree(ROOT / "knowledge", var / "knowledge")
    shutil.copytree(ROOT / "data", var / "data")
    (var / "teams.yml").write_text(f'north: ["webchat:{TEAM_MEMBER}"]\n')
    overrides = {
        "COACH_VAR_DIR": str(var),
        "COACH_KNOWLEDGE_DIR": str(var / "knowledge"),
        "COACH_DATA_DIR": str(var / "data"),
        "COACH_TEAMS_FILE": str(var / "teams.yml"),
        "RASA_TELEMETRY_ENABLED": "false",
        "COACH_HOST": "127.0.0.1",
        # Empty rather than absent: a developer's .env does not fill them in (it never overrides).
        "DATABASE_URL": "",
        "COACH_SECRET_KEY": "",
        "COACH_CONNECTOR_SECRET": "",  # generated in the var folder too
        "RASA_API_TOKEN": "",  # generated in the var folder, where rasa_api_token() reads it
        "ACTIONS_TOKEN": "",
        **dict(zip(PORT_VARIABLES, map(str, free_ports(len(PORT_VARIABLES))), strict=True)),
        "TELEGRAM_TOKEN": fake_telegram.token,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "TELEGRAM_ALLOWED_USERS": ",".join(map(str, TELEGRAM_ALLOWED)),
        "TELEGRAM_JOIN_CODE": TELEGRAM_JOIN_CODE,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_BASE_URL": fake_slack.base_url,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))}
    return {**env, **overrides}


@pytest.fixture(scope="session")
def product(product_env) -> Iterator[Product]:
    with running(product_env) as coach:
        yield coach


@contextlib.contextmanager
def running(env: dict) -> Iterator[Product]:
    """The product as `make run` starts it with `env` (its ports, databases, connectors), stopped on exit."""
    require_model()
    ports = [int(env[name]) for name in PORT_VARIABLES]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = collections.deque(maxlen=2000)
    deadline = time.monotonic() + 240
    started = False
    for line in process.stdout:  # ends when it stops; bot.run gives up on its own after 180 s
        output.append(line)
        started = "The CRM coach is running" in line
        if started or time.monotonic() > deadline:
            break
    if not started:
        process.kill()
        pytest.fail("the product did not start:\n" + "".join(output))
    # Keep reading its output, or a full pipe would stall it; for whoever reads a failure, all
    # of it goes next to its databases.
    log = Path(env["COACH_VAR_DIR"]) / "product.log"
    log.write_text("".join(output), encoding="utf-8")
    threading.Thread(target=_copy_lines, args=(process.stdout, log), daemon=True).start()
    coach = Product(process, *ports, log)
    try:
        yield coach
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert not any(port_in_use(p) for p in coach.ports), "a component outlived Ctrl-C"


def _copy_lines(source, path: Path) -> None:
    with path.open("a", encoding="utf-8") as sink:
        for line in source:
            sink.write(line)
            sink.flush()


def exported_rows(env: dict) -> list:
    """The adoption log as `coach export --format jsonl` gives it, one dict per row."""
    import json

    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--format", "jsonl"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def rasa_api_token(env: dict) -> str:
    """The token of the product's Rasa HTTP API, as `coach train --reload-url` finds it (its var folder)."""
    from bot.rasa_plugins.start import api_token
    from bot.settings import load

    return api_token(load(env))
