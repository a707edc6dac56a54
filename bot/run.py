"""`make run`: the action server, the Rasa server (with the local web chat, bot/channels/webchat),
the dashboard and the connectors whose tokens are set (started again if they stop), stopped
together on Ctrl-C.

Every port comes from the environment (RASA_PORT, ACTIONS_PORT, DASHBOARD_PORT), so that a
second copy, the system tests or the benchmark can run next to a developer's `make run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.channels.supervisor import Supervisor
from bot.settings import PROJECT_ROOT

# Rasa's command line with the coach's adjustments applied first (bot/rasa_plugins/start.py).
RASA = [sys.executable, "-m", "bot.rasa_plugins.start"]
STARTUP_SECONDS = 180
# Concurrency comes from processes (and replicas), not from numeric libraries' threads: with
# several processes on few cores those threads fight over them (two replicas on 2 cores went
# from 9 to 37 msg/s with one thread each), and BLAS threads cost more than they save on one
# message's small matrices. The README's benchmark section has the figures.
ONE_THREAD_PER_PROCESS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def numeric_threads(process: str) -> dict[str, str]:
    """One thread each, except the E5 encoder (OpenMP) in the one Rasa server `make run` starts:
    with the cores to itself it embeds a message in half the time on 2 cores (12 ms to 6 ms),
    and that is most of a single sender's wait. Settings in the environment win."""
    threads = dict(ONE_THREAD_PER_PROCESS)
    if process == "rasa":
        threads["OMP_NUM_THREADS"] = str(len(os.sched_getaffinity(0)))
    return {name: os.environ.get(name, value) for name, value in threads.items()}


@dataclass(frozen=True)
class Addresses:
    """Where `make run` listens: COACH_HOST, RASA_PORT, ACTIONS_PORT, DASHBOARD_PORT (environment or .env)."""

    host: str
    rasa_port: int
    actions_port: int
    dashboard_port: int

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Addresses:
        def port(name: str, default: int) -> int:
            value = environ.get(name, "").strip() or str(default)
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise ValueError(f"{name} must be a port number, not {value!r}")
            return int(value)

        return cls(
            environ.get("COACH_HOST", "127.0.0.1"),
            port("RASA_PORT", 5005),
            port("ACTIONS_PORT", 5055),
            port("DASHBOARD_PORT", 8050),
        )

    @property
    def webchat_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}/webhooks/webchat/"

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}/webhooks/rest/webhook"

    @property
    def dashboard_url(self) -> str:
        return f"http://{self.host}:{self.dashboard_port}/"


def _environments() -> dict[str, dict[str, str]]:
    """What each process gets on top of this one's environment."""
    # Only Rasa calls the action server, at 127.0.0.1 (endpoints.yml), whatever COACH_HOST says.
    return {"actions": {"ACTIONS_HOST": "127.0.0.1", **numeric_threads("actions")}, "rasa": numeric_threads("rasa")}


def rasa_server(host: str, port: int, model: Path | str, endpoints: str = "endpoints.yml") -> list[str]:
    """The command that starts a Rasa server of the coach (also used by the replicas and the tests)."""
    return [*RASA, "run", "--interface", host, "--port", str(port), "--model", str(model),
            "--credentials", "credentials.yml", "--endpoints", endpoints]  # fmt: skip


def action_server(port: int) -> list[str]:
    return [*RASA, "run", "actions", "--port", str(port), "--actions", "actions"]


def _commands(model: Path, at: Addresses) -> dict[str, list[str]]:
    # The API is for `coach train --reload-url`; bot.rasa_plugins.start adds its token.
    return {
        "actions": action_server(at.actions_port),
        "rasa": [*rasa_server(at.host, at.rasa_port, model), "--enable-api"],
    }


def _connectors() -> tuple[dict[str, list[str]], dict[str, str]]:
    """The messaging connectors whose tokens are set (environment or .env), and why any of them
    cannot start: the coach then runs without that one, and says why."""
    from bot.channels.telegram import configuration_problem

    found, refused = {}, {}
    if os.environ.get("TELEGRAM_TOKEN"):
        problem = configuration_problem(os.environ)
        if problem:
            refused["telegram"] = problem
        else:
            found["telegram"] = [sys.executable, "-m", "bot.channels.telegram"]
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_APP_TOKEN"):
        found["slack"] = [sys.executable, "-m", "bot.channels.slack"]
    return found, refused


def _digest_worker() -> dict[str, list[str]]:
    """The weekly digest's sender (bot/digest/worker.py), when the digest has somewhere to go."""
    from bot.digest import settings as digest_settings

    if not digest_settings.load().configured():
        return {}
    return {"digest": [sys.executable, "-m", "bot.digest.worker"]}


def _followups_worker(connectors: Mapping[str, object]) -> dict[str, list[str]]:
    """The follow-ups' planner and sender (bot/followups/worker.py), when a Telegram or Slack
    connector is there to write through; a wrong COACH_TIMEZONE or COACH_WORK_HOURS stops `make run`."""
    from bot.followups.schedule import Schedule

    if not {"telegram", "slack"} & set(connectors):
        return {}
    Schedule.from_environment(os.environ)  # SettingsError says which setting and how to write it
    return {"followups": [sys.executable, "-m", "bot.followups.worker"]}


def _connectors_line(started: Mapping[str, object], refused: Mapping[str, str]) -> str:
    names = [*started, *(f"{name} NOT STARTED: {why}" for name, why in refused.items())]
    return ", ".join(names) or "none (set TELEGRAM_TOKEN or SLACK_BOT_TOKEN + SLACK_APP_TOKEN, see README)"


def _wait_until_up(url: str, processes: dict[str, subprocess.Popen]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} stopped while starting (exit code {process.returncode}); see its output above"
                )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s")


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _dashboard(current, at: Addresses):
    """The dashboard's server, and a note with the first admin's password if there was no user yet."""
    import secrets

    from bot.dashboard.app import create_app
    from bot.dashboard.server import make_server
    from bot.dashboard.users import Users

    app = create_app(current)
    users = Users(app.extensions["coach"]["store"].engine)
    note = ""
    if not users.all():
        password = secrets.token_urlsafe(12)
        users.add("admin", password, "admin")
        note = (
            f"  first dashboard login: admin / {password}  (shown once; add people with "
            f".venv/bin/coach user add NAME --role lead)\n"
        )
    return make_server(app, at.host, at.dashboard_port, proxy=current.dashboard_proxy), note


def _make_folders(current) -> None:
    """The folders of the files the settings name (var/ unless COACH_VAR_DIR or DATABASE_URL say otherwise)."""
    from sqlalchemy.engine import make_url

    files = [current.secret_key_file, current.outbox_file]
    for url in {current.log_db_url, current.tracker_db_url}:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            files.append(Path(parsed.database))
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    from bot import settings
    from bot.knowledge import base as knowledge

    # `kill` (SIGTERM) stops everything as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    os.chdir(PROJECT_ROOT)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    try:
        current = settings.load()  # reads .env into the environment first
        at = Addresses.from_environment()
        _make_folders(current)
        knowledge.load(current.knowledge_dir)
        connectors, refused = _connectors()
        connectors.update(_digest_worker())  # restarted with back-off like a connector
        connectors.update(_followups_worker(connectors))
    except knowledge.KnowledgeError as error:
        print(f"The knowledge base has problems; fix them and run again.\n{error}", file=sys.stderr)
        return 2
    except (settings.SettingsError, ValueError) as error:  # a bad setting or port
        print(f"coach: {error}", file=sys.stderr)
        return 2
    for name, why in refused.items():
        print(f"coach: the {name} connector is not started: {why}", file=sys.stderr)
    os.environ["ACTIONS_PORT"] = str(at.actions_port)  # endpoints.yml reads it
    os.environ["COACH_REST_URL"] = at.rest_url  # the connectors post here
    model = PROJECT_ROOT / "models" / "coach.tar.gz"
    if not model.exists():
        print("No trained model: run `make run`, which trains it first.", file=sys.stderr)
        return 2
    processes: dict[str, subprocess.Popen] = {}  # Rasa and the action server: the coach stops with them
    supervisor = Supervisor(
        connectors, PROJECT_ROOT, {name: {**os.environ, **numeric_threads(name)} for name in connectors}
    )
    dashboard, first_admin = _dashboard(current, at)
    environments = _environments()
    try:
        for name, command in _commands(model, at).items():
            processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **environments[name]})
        _wait_until_up(f"http://127.0.0.1:{at.actions_port}/health", processes)
        _wait_until_up(at.webchat_url, processes)  # the model is loaded and the web chat's channel is on
        supervisor.start()
        threading.Thread(target=dashboard.run, daemon=True).start()
        print(
            f"\nThe CRM coach is running.\n"
            f"  web chat:    {at.webchat_url}\n"
            f"  REST channel: {at.rest_url}\n"
            f'  trainer\'s preview: .venv/bin/coach try "non ho tempo per il CRM"\n'
            f"  adoption log:      .venv/bin/coach export --format csv\n"
            f"  dashboard:   {at.dashboard_url}  (try it on synthetic data: .venv/bin/coach demo-data)\n"
            f"{first_admin}"
            f"  connectors:  {_connectors_line(connectors, refused)}\n"
            f"Ctrl-C stops everything.\n",
            flush=True,
        )
        # A connector that stops is started again (bot/channels/supervisor.py); without Rasa or
        # the action server there is no coach, so those stop everything.
        while all(p.poll() is None for p in processes.values()):
            supervisor.check()
            time.sleep(0.5)
        stopped = ", ".join(name for name, p in processes.items() if p.poll() is not None)
        print(f"coach: {stopped} stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"coach: {error}", file=sys.stderr)
        return 1
    finally:
        dashboard.close()
        supervisor.stop()
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
