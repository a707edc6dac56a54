"""The benchmark: the coach as `make run` starts it, and a bare `rasa init` bot, driven the
same way on their REST channels; figures are printed, nothing passes or fails.

    make bench            (= .venv/bin/python -m bench.load)

For 1, 20 and 50 concurrent senders (each holding conversations of six messages in
it/es/en: objections, button clicks, small talk) it prints reply latency p50/p95/p99, messages per second,
errors, and the peak memory of every process; then training times, whether every
message reached the adoption log, and the ratios against the bare bot. Both bots run at
once and take turns, four short rounds per level, so a noisy neighbour slows both alike. With --replicas, throughput through nginx with one and two replicas
(PostgreSQL tracker store and log, Redis lock store: deploy/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.run import ONE_THREAD_PER_PROCESS, action_server, rasa_server
from tests.databases import fresh_database  # a PostgreSQL database of the run's own

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
REST = "http://127.0.0.1:{port}/webhooks/rest/webhook"
COACH_PORT, BARE_PORT = 5005, 5006
# The coach's other ports as `make run` takes them (bot/run.py reads them from the environment).
COACH_PORTS = {"RASA_PORT": COACH_PORT, "ACTIONS_PORT": 5055, "DASHBOARD_PORT": 8050}
ROUNDS = 4
SCRIPTS = {
    "it": [
        "non ho tempo per compilare il CRM",
        "/ask_more",
        "ciao, come va?",
        "/ask_tip",
        "ho paura che usino i dati per controllarmi",
        "grazie mille",
    ],
    "es": [
        "los clientes son míos, no de la empresa",
        "/ask_tip",
        "hola",
        "/feedback_helpful",
        "nadie me ha enseñado a usarlo",
        "gracias",
    ],
    "en": [
        "I feel stupid using this CRM",
        "/ask_more",
        "hi there",
        "/feedback_not_helpful",
        "my manager never uses it either",
        "thanks a lot",
    ],
}


@dataclass
class Level:
    senders: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unanswered: int = 0  # HTTP 200 with no reply: the bare bot has no response for intents it does not know
    seconds: float = 0.0

    def row(self) -> dict[str, float]:
        ordered = sorted(self.latencies) or [float("nan")]
        pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
        return {
            "senders": self.senders,
            "messages": len(self.latencies),
            "p50_ms": pick(0.5),
            "p95_ms": pick(0.95),
            "p99_ms": pick(0.99),
            "per_second": len(self.latencies) / self.seconds if self.seconds else 0.0,
            "errors": self.errors,
            "no_reply": self.unanswered,
        }


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _wait_for_port(port: int, processes: list[subprocess.Popen], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while _free(port):
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a process stopped while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answered on {port}")
        time.sleep(0.5)


def _wait_until_answering(port: int, processes: list[subprocess.Popen], seconds: float = 300) -> None:
    """Until a message gets a reply: an open port is not yet a bot that answers."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    # "hello": a greeting both bots answer from memory (the bare bot may say nothing to "ciao").
    body = json.dumps({"sender": "bench-probe", "message": "hello"}).encode()
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a process stopped while starting")
        try:
            request = urllib.request.Request(
                REST.format(port=port), data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                if json.loads(response.read()):
                    return
        except (OSError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"nothing answered on {port}")


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                pids += _tree(int(child))
    except OSError:
        pass
    return pids


def peak_memory(pid: int) -> dict[str, float]:
    """Peak resident memory (VmHWM, MB) of a process and all its descendants, by command."""
    peaks = {}
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            command = Path(f"/proc/{member}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
        if kb:
            peaks[_short(command)] = peaks.get(_short(command), 0) + kb / 1024
    return peaks


def _short(command: str) -> str:
    for marker, name in (
        ("run actions", "action server"),
        ("bot.channels", "connector"),
        ("rasa_plugins.start run", "rasa server"),
        ("rasa run", "rasa server"),
        ("bot.run", "launcher + dashboard"),
        ("nginx", "nginx"),
    ):
        if marker in command:
            return name
    return command[:40]


async def drive(port: int, level: Level, seconds: float) -> None:
    """`level.senders` senders for `seconds`; latencies, errors and time add up into `level`."""
    senders = level.senders
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=senders)

    async def sender(number: int, session: aiohttp.ClientSession) -> None:
        script = SCRIPTS[("it", "es", "en")[number % 3]]
        turn = 0
        while time.monotonic() < deadline:
            if turn % len(script) == 0:  # a salesperson's conversation is short: a new one per script
                conversation = f"bench-{uuid.uuid4()}"
            started = time.perf_counter()
            try:
                async with session.post(
                    REST.format(port=port), json={"sender": conversation, "message": script[turn % len(script)]}
                ) as reply:
                    body = await reply.json()
                    if reply.status != 200:
                        level.errors += 1
                    else:
                        level.unanswered += not body
                        level.latencies.append(time.perf_counter() - started)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                level.errors += 1
            turn += 1

    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(sender(n, session) for n in range(senders)))
    level.seconds += time.perf_counter() - started


def warm_up(port: int) -> Level:
    """The first requests load lazily-built parts: not measured."""
    level = Level(2)
    asyncio.run(drive(port, level, 3))
    return level


def measure(ports: dict[str, int], levels: list[int], seconds: float) -> dict[str, list[Level]]:
    """Each level in ROUNDS short rounds, taking turns between the bots: a neighbour's burst on
    a shared machine then slows both alike, and the ratios hold."""
    results: dict[str, list[Level]] = {name: [] for name in ports}
    for senders in levels:
        for name in ports:
            results[name].append(Level(senders))
        for _ in range(ROUNDS):
            for name, port in ports.items():
                asyncio.run(drive(port, results[name][-1], seconds / ROUNDS))
    return results


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def start_coach(var: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "COACH_VAR_DIR": str(var),
        "RASA_TELEMETRY_ENABLED": "false",
        **{name: str(port) for name, port in COACH_PORTS.items()},
    }
    env = {k: v for k, v in env.items() if not k.startswith(("TELEGRAM_", "SLACK_", "DATABASE_URL"))}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def init_bare(work: Path) -> float:
    """`rasa init` creates and trains the bare bot; the seconds it took."""
    work.mkdir(parents=True)
    started = time.monotonic()
    subprocess.run(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(work)],
        cwd=work.parent,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def start_bare(work: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "rasa"),
            "run",
            "--port",
            str(BARE_PORT),
            "--interface",
            "127.0.0.1",
            "--model",
            str(work / "models"),
        ],
        cwd=work,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_bots(levels: list[int], seconds: float, work: Path, with_bare: bool) -> dict[str, dict[str, object]]:
    """The coach as `make run` starts it and, if asked, the bare bot, both up, measured in turns."""
    bare_training = init_bare(work / "bare") if with_bare else None
    processes = {"coach": start_coach(work / "var")}
    if with_bare:
        processes["bare"] = start_bare(work / "bare")
    ports = {"coach": COACH_PORT, "bare": BARE_PORT} if with_bare else {"coach": COACH_PORT}
    try:
        for port in ports.values():
            _wait_until_answering(port, list(processes.values()))
        warmed = warm_up(COACH_PORT)
        if with_bare:
            warm_up(BARE_PORT)
        results = measure(ports, levels, seconds)
        memory = {name: peak_memory(process.pid) for name, process in processes.items()}
    finally:
        for process in processes.values():
            _stop(process)  # the coach's log writer delivers what is left before it exits
    answered = sum(len(level.latencies) for level in [warmed, *results["coach"]]) + 1  # and the probe
    coach = {
        "levels": results["coach"],
        "memory": memory["coach"],
        "logged": _logged(work / "var"),
        "answered": answered,
    }
    bare = (
        {"levels": results["bare"], "memory": memory["bare"], "training_seconds": bare_training} if with_bare else None
    )
    return {"coach": coach, "bare": bare}


def _logged(var: Path) -> dict[str, int]:
    """User messages in the adoption log, and rows not yet delivered, after the coach stopped."""
    import sqlite3

    with sqlite3.connect(var / "coach.db") as db:
        return {
            "user_rows": db.execute("SELECT COUNT(*) FROM message_log WHERE direction = 'user'").fetchone()[0],
            "outbox_left": _outbox_left(var),
        }


def _outbox_left(var: Path) -> int:
    import sqlite3

    path = var / "outbox.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def train_coach(work: Path) -> dict[str, float]:
    started = time.monotonic()
    subprocess.run(
        [
            str(BIN / "rasa"),
            "train",
            "--force",
            "--fixed-model-name",
            "bench",
            "--out",
            str(work),
            "--data",
            "data/nlu",
            "data/rules.yml",
            "data/stories.yml",
        ],
        cwd=ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    model = work / "bench.tar.gz"
    return {"training_seconds": time.monotonic() - started, "model_mb": model.stat().st_size / 1e6}


def run_replicas(replicas: int, seconds: float, work: Path, database_url: str) -> Level:
    """`replicas` Rasa servers and action servers behind nginx, PostgreSQL and Redis, as deploy/ says."""
    nginx_dir = work / f"nginx-{replicas}"
    nginx_dir.mkdir(parents=True)
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = "".join(f"        server 127.0.0.1:{5101 + n};\n" for n in range(replicas))
    conf = conf.replace("        server 127.0.0.1:5101;\n        server 127.0.0.1:5102;\n", upstream)
    (nginx_dir / "nginx.conf").write_text(conf)
    base = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COACH_SECRET_KEY": "bench",
        "COACH_VAR_DIR": str(work),
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "6",
        "RASA_TELEMETRY_ENABLED": "false",
        **ONE_THREAD_PER_PROCESS,
    }
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"], env=base, cwd=ROOT, check=True, capture_output=True
    )
    processes = []
    try:
        for n in range(replicas):
            env = {
                **base,
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{5151 + n}/webhook",
                "COACH_OUTBOX_FILE": str(work / f"outbox-{replicas}-{n}.db"),
            }
            processes.append(
                subprocess.Popen(
                    action_server(5151 + n),
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            processes.append(
                subprocess.Popen(
                    rasa_server("127.0.0.1", 5101 + n, "models/coach.tar.gz", "deploy/endpoints.yml"),
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for n in range(replicas):
            _wait_for_port(5151 + n, processes)
            _wait_until_answering(5101 + n, processes)  # each replica answered once before it is measured
        processes.append(
            subprocess.Popen(
                ["nginx", "-c", str(nginx_dir / "nginx.conf"), "-p", str(nginx_dir), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_until_answering(5100, processes)
        warm_up(5100)
        return measure({"replicas": 5100}, [20], seconds)["replicas"][0]
    finally:
        for process in processes:
            _stop(process)


def report(coach: dict, bare: dict | None, training: dict | None, replicas: dict[int, Level]) -> str:
    lines = [
        "",
        "== reply latency and throughput (REST channel, each sender its own conversation)",
        f"{'bot':<6} {'senders':>7} {'messages':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'msg/s':>7} {'errors':>6} {'no reply':>8}",
    ]
    for name, result in (("coach", coach), ("bare", bare)):
        for level in (result or {}).get("levels", []):
            r = level.row()
            lines.append(
                f"{name:<6} {r['senders']:>7} {r['messages']:>8} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} "
                f"{r['p99_ms']:>8.0f} {r['per_second']:>7.1f} {r['errors']:>6} {r['no_reply']:>8}"
            )
    if bare:
        lines.append("\n== ratios, coach / bare (latency: lower is better; throughput: higher is better)")
        for ours, theirs in zip(coach["levels"], bare["levels"], strict=True):
            a, b = ours.row(), theirs.row()
            lines.append(
                f"{a['senders']:>3} senders: p50 x{a['p50_ms'] / b['p50_ms']:.2f}, p95 x{a['p95_ms'] / b['p95_ms']:.2f}, "
                f"throughput x{a['per_second'] / b['per_second']:.2f}"
            )
    lines.append("\n== peak memory (VmHWM, MB)")
    for name, result in (("coach", coach), ("bare", bare)):
        for process, mb in sorted((result or {}).get("memory", {}).items()):
            lines.append(f"{name:<6} {process:<34} {mb:>8.0f}")
    lines.append("\n== adoption log")
    lines.append(
        f"messages answered (warm-up included): {coach['answered']}; user rows in the log: "
        f"{coach['logged']['user_rows']}; rows still in the outbox: {coach['logged']['outbox_left']}"
    )
    if training or bare:
        lines.append("\n== training")
        if training:
            lines.append(
                f"coach: {training['training_seconds']:.0f} s (full `rasa train --force`), model {training['model_mb']:.1f} MB"
            )
        if bare:
            lines.append(f"bare `rasa init` (creates the project and trains): {bare['training_seconds']:.0f} s")
    if replicas:
        lines.append("\n== replicas behind nginx (PostgreSQL tracker store and log, Redis lock store), 20 senders")
        for count, level in sorted(replicas.items()):
            r = level.row()
            lines.append(
                f"{count} replica(s): {r['per_second']:.1f} msg/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, errors {r['errors']}"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,20,50", help="concurrent senders, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare rasa init bot")
    parser.add_argument("--no-train", action="store_true", help="skip timing a full training of the coach")
    parser.add_argument(
        "--replicas",
        action="store_true",
        help="also one and two replicas behind nginx (needs PostgreSQL, Redis, nginx)",
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    ports = (*COACH_PORTS.values(), BARE_PORT)
    if not all(_free(p) for p in ports):
        print(f"bench: ports {', '.join(map(str, ports))} are not all free: stop `make run` first", file=sys.stderr)
        return 2
    levels = [int(n) for n in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as scratch:
        work = Path(scratch)
        print(
            f"bench: the coach{'' if args.no_bare else ' and a bare rasa init bot (init + train first)'}, "
            f"{levels} senders, {args.seconds:.0f} s each, in {ROUNDS} rounds taking turns ...",
            flush=True,
        )
        bots = run_bots(levels, args.seconds, work, with_bare=not args.no_bare)
        coach, bare = bots["coach"], bots["bare"]
        training = None if args.no_train else train_coach(work / "train")
        replicas = {}
        if args.replicas:
            for count in (1, 2):
                print(f"bench: {count} replica(s) behind nginx ...", flush=True)
                with fresh_database(args.database_url) as url:
                    replicas[count] = run_replicas(count, args.seconds, work / f"replicas-{count}", url)
        print(report(coach, bare, training, replicas))
        print(
            json.dumps(
                {
                    "coach": [level.row() for level in coach["levels"]],
                    "bare": [level.row() for level in bare["levels"]] if bare else None,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
