"""`make run`: the action server, the Rasa server and the local web chat, stopped together on Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Dict, List

from bot.settings import PROJECT_ROOT

# Rasa's command line with the coach's adjustments applied first (bot/rasa_plugins/start.py).
RASA = [sys.executable, "-m", "bot.rasa_plugins.start"]
HOST = os.environ.get("COACH_HOST", "127.0.0.1")
RASA_PORT = int(os.environ.get("RASA_PORT", "5005"))
ACTIONS_PORT = int(os.environ.get("ACTIONS_PORT", "5055"))
WEBCHAT_PORT = int(os.environ.get("WEBCHAT_PORT", "8000"))
DASHBOARD_PORT = int(os.environ.get("DASHBOARD_PORT", "8050"))
STARTUP_SECONDS = 180
# Concurrency comes from processes (and replicas), not from numeric libraries' threads: with
# several processes on few cores those threads fight over them (two replicas on 2 cores went
# from 9 to 37 msg/s with one thread each), and BLAS threads cost more than they save on one
# message's small matrices. The README's benchmark section has the figures.
ONE_THREAD_PER_PROCESS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def numeric_threads(process: str) -> Dict[str, str]:
    """One thread each, except the E5 encoder (OpenMP) in the one Rasa server `make run` starts:
    with the cores to itself it embeds a message in half the time on 2 cores (12 ms to 6 ms),
    and that is most of a single sender's wait. Settings in the environment win."""
    threads = dict(ONE_THREAD_PER_PROCESS)
    if process == "rasa":
        threads["OMP_NUM_THREADS"] = str(len(os.sched_getaffinity(0)))
    return {name: os.environ.get(name, value) for name, value in threads.items()}


def _commands(model: Path) -> Dict[str, List[str]]:
    return {
        "actions": [*RASA, "run", "actions", "--port", str(ACTIONS_PORT), "--actions", "actions"],
        "rasa": [
            *RASA, "run", "--enable-api", "--interface", HOST, "--port", str(RASA_PORT),
            "--model", str(model), "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
        ],
    }


def _connectors() -> Dict[str, List[str]]:
    """The messaging connectors whose tokens are set (environment or .env)."""
    from bot.channels.access import check_config, parse_ids

    found = {}
    if os.environ.get("TELEGRAM_TOKEN"):
        check_config(parse_ids(os.environ.get("TELEGRAM_ALLOWED_USERS")), os.environ.get("TELEGRAM_JOIN_CODE") or None)
        found["telegram"] = [sys.executable, "-m", "bot.channels.telegram"]
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_APP_TOKEN"):
        found["slack"] = [sys.executable, "-m", "bot.channels.slack"]
    return found


def _wait_until_up(url: str, processes: Dict[str, subprocess.Popen]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} stopped while starting (exit code {process.returncode}); see its output above")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s")


def _stop(processes: Dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _dashboard(current):
    """The dashboard's server, and a note with the first admin's password if there was no user yet."""
    import secrets

    from werkzeug.serving import make_server

    from bot.dashboard import create_app
    from bot.dashboard.users import Users

    app = create_app(current)
    users = Users(app.extensions["coach"]["store"].engine)
    note = ""
    if not users.all():
        password = secrets.token_urlsafe(12)
        users.add("admin", password, "admin")
        note = (f"  first dashboard login: admin / {password}  (shown once; add people with "
                f".venv/bin/coach user add NAME --role lead)\n")
    return make_server(HOST, DASHBOARD_PORT, app, threaded=True), note


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    from bot.knowledge import base as knowledge
    from bot import settings
    from bot.channels import webchat

    # `kill` (SIGTERM) stops everything as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    os.chdir(PROJECT_ROOT)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ["ACTIONS_PORT"] = str(ACTIONS_PORT)  # endpoints.yml reads it
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    try:
        knowledge.load(settings.load().knowledge_dir)
        connectors = _connectors()
    except knowledge.KnowledgeError as error:
        print(f"The knowledge base has problems; fix them and run again.\n{error}", file=sys.stderr)
        return 2
    except (settings.SettingsError, ValueError) as error:  # a bad setting or connector configuration
        print(f"coach: {error}", file=sys.stderr)
        return 2
    model = PROJECT_ROOT / "models" / "coach.tar.gz"
    if not model.exists():
        print("No trained model: run `make run`, which trains it first.", file=sys.stderr)
        return 2
    processes: Dict[str, subprocess.Popen] = {}
    chat = webchat.serve(HOST, WEBCHAT_PORT, f"http://{HOST}:{RASA_PORT}/webhooks/rest/webhook")
    dashboard, first_admin = _dashboard(settings.load())
    try:
        for name, command in _commands(model).items():
            processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **numeric_threads(name)})
        _wait_until_up(f"http://127.0.0.1:{ACTIONS_PORT}/health", processes)
        _wait_until_up(f"http://{HOST}:{RASA_PORT}/", processes)
        os.environ["COACH_REST_URL"] = f"http://{HOST}:{RASA_PORT}/webhooks/rest/webhook"
        for name, command in connectors.items():
            processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **numeric_threads(name)})
        threading.Thread(target=chat.serve_forever, daemon=True).start()
        threading.Thread(target=dashboard.serve_forever, daemon=True).start()
        print(
            f"\nThe CRM coach is running.\n"
            f"  web chat:    http://{HOST}:{WEBCHAT_PORT}/\n"
            f"  REST channel: http://{HOST}:{RASA_PORT}/webhooks/rest/webhook\n"
            f"  trainer's preview: .venv/bin/coach try \"non ho tempo per il CRM\"\n"
            f"  adoption log:      .venv/bin/coach export --format csv\n"
            f"  dashboard:   http://{HOST}:{DASHBOARD_PORT}/  (try it on synthetic data: .venv/bin/coach demo-data)\n"
            f"{first_admin}"
            f"  connectors:  {', '.join(connectors) or 'none (set TELEGRAM_TOKEN or SLACK_BOT_TOKEN + SLACK_APP_TOKEN, see README)'}\n"
            f"Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes.values()):
            time.sleep(1)
        print("A component stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"coach: {error}", file=sys.stderr)
        return 1
    finally:
        chat.server_close()
        dashboard.server_close()
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
