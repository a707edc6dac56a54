"""Tests that attack: the bad-input corpus (tests/system/attack_corpus.py) against the running
product, every door: the REST channel, the web chat, Rasa's API, the action server, the
dashboard, Telegram and Slack (real clients, local fake clouds), the CLI and the knowledge files.

Each case gets its expected outcome (a quick 200 with a polite reply, or a 4xx with a message),
never a 5xx or a hang (every client call has a timeout); at the end every chat message that got
an answer must be in `coach export`: nothing that reached the coach is lost."""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import shutil
import string
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests

from bot import settings
from bot.knowledge.base import load
from bot.privacy.pseudonyms import load_key, pseudonym
from bot.rasa_plugins.patches import ACTIONS_TOKEN_HEADER
from bot.rasa_plugins.start import actions_token
from tests.conftest import ROOT
from tests.fakes import slack_api as slack
from tests.fakes import telegram_api as tg
from tests.system import attack_corpus as corpus
from tests.system.product import TELEGRAM_JOIN_CODE, exported_rows

TIMEOUT = (5, 60)  # connect, read: a hang fails the case instead of the run
ADMIN = ("g-admin", "g-admin-password-2026")
KB = load()
UNAVAILABLE = {KB.conversation[language].texts["coach_unavailable"][0] for language in KB.conversation}
# Messages that were answered, by their marker, and their case: all must reach the log (the last test).
ANSWERED: dict[str, str] = {}
PENDING: dict[str, str] = {}  # markers sent to a messaging platform, until the reply is in


def new_marker() -> str:
    """A word of letters only (no digits for the redaction to take for a number), unique to a message."""
    return "".join(string.ascii_lowercase[int(c, 16)] for c in uuid.uuid4().hex[:12])


def polite_replies(replies: object) -> bool:
    return (
        isinstance(replies, list)
        and bool(replies)
        and all(isinstance(r, dict) and isinstance(r.get("text"), str) and r["text"].strip() for r in replies)
        and not any("Traceback" in r["text"] or r["text"] in UNAVAILABLE for r in replies)
    )


def _unsecure_cookies(session: requests.Session):
    """Like Chromium on 127.0.0.1 (a secure context), send the dashboard's Secure cookie over http."""

    def hook(response, *args, **kwargs):
        for cookie in session.cookies:
            cookie.secure = False

    return hook


def browser() -> requests.Session:
    session = requests.Session()
    session.hooks["response"].append(_unsecure_cookies(session))
    return session


def csrf_token(session: requests.Session, dashboard: str) -> str:
    """The session's CSRF token, as the login page carries it."""
    page = session.get(dashboard + "/login", timeout=TIMEOUT)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on the login page ({page.status_code})"
    return found.group(1)


def log_in(dashboard: str, next_path: str | None = None) -> tuple[requests.Session, requests.Response]:
    """A fresh session's login as the test's admin, and the response to the form (not followed)."""
    session = browser()
    query = f"?next={next_path}" if next_path is not None else ""
    token = csrf_token(session, dashboard)
    response = session.post(
        f"{dashboard}/login{query}",
        data={"csrf_token": token, "username": ADMIN[0], "password": ADMIN[1]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return session, response


def coach(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def admin(product, product_env) -> requests.Session:
    result = coach(product_env, "user", "add", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    assert result.returncode == 0 or "already exists" in result.stderr, result.stderr
    session, response = log_in(product.dashboard_url)
    assert response.status_code in (302, 303), response.text[:500]
    return session


@pytest.fixture(scope="module")
def knowledge_kept(product_env):
    """The dashboard cases may save a knowledge file of the product's copy: put it back for later tests."""
    answers = Path(product_env["COACH_KNOWLEDGE_DIR"]) / "answers"
    saved = {path: path.read_bytes() for path in answers.glob("*.yml")}
    yield
    for path, content in saved.items():
        path.write_bytes(content)


# --- where `next` sends a browser after logging in ------------------------------------------------


def off_site(location: str, dashboard: str) -> bool:
    """Where a browser would go: it drops tabs and newlines, reads a backslash as a slash, and may
    decode the escapes again on the way; anything that leaves the dashboard's host is off-site."""
    for candidate in (location, urllib.parse.unquote(location)):
        cleaned = re.sub(r"[\t\n\r]", "", candidate).replace("\\", "/").strip()
        target = urllib.parse.urlsplit(urllib.parse.urljoin(dashboard + "/login", cleaned))
        if target.scheme not in ("http", "https") or target.netloc != urllib.parse.urlsplit(dashboard).netloc:
            return True
    return False


@pytest.mark.parametrize("next_path", corpus.HOSTILE_NEXT)
def test_after_logging_in_next_never_leaves_the_dashboard(product, admin, next_path):
    _, response = log_in(product.dashboard_url, next_path)
    if 400 <= response.status_code < 500:  # refused outright: the browser goes nowhere
        assert response.text.strip() and "Traceback" not in response.text
        return
    assert response.status_code in (302, 303), f"{response.status_code}: {response.text[:300]}"
    location = response.headers["Location"]
    assert not off_site(location, product.dashboard_url), f"?next={next_path} sent the browser to {location!r}"


# --- the HTTP corpus ------------------------------------------------------------------------------


def _url(product, case: corpus.Http) -> str:
    base = {
        "rest": product.rest_url,
        "webchat": product.webchat_url + "webhook",
        "rasa_api": product.rasa_url,
        "actions": f"http://127.0.0.1:{product.actions_port}",
        "dashboard": product.dashboard_url,
        "dashboard_visitor": product.dashboard_url,
    }[case.door]
    return base + case.path


def _send(product, product_env, admin, case: corpus.Http, marker: str) -> requests.Response:
    headers = {k: v.format(origin=product.rasa_url) for k, v in case.headers.items()}
    body = case.payload().replace(corpus.MARKER.encode(), marker.encode())
    if case.with_actions_token:
        headers[ACTIONS_TOKEN_HEADER] = actions_token(settings.load(product_env))
    if case.door == "dashboard":
        session = admin
    elif case.door == "dashboard_visitor":
        session = browser()
    else:
        session = requests.Session()
    if case.form is not None:
        form = {k: v.replace(corpus.MARKER, marker) if isinstance(v, str) else v for k, v in case.form.items()}
        form["csrf_token"] = csrf_token(session, product.dashboard_url)
        return session.post(_url(product, case), data=form, allow_redirects=False, timeout=TIMEOUT)
    return session.request(
        case.method, _url(product, case), data=body or None, headers=headers, allow_redirects=False, timeout=TIMEOUT
    )


@pytest.mark.parametrize("case", corpus.HTTP, ids=[case.name for case in corpus.HTTP])
def test_bad_input_gets_a_reply_or_a_clear_refusal(product, product_env, admin, knowledge_kept, case):
    marker = new_marker()
    peak_before = action_server_peak_memory(product.actions_port) if case.door == "actions" else 0
    response = _send(product, product_env, admin, case, marker)
    expect = case.expect
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    assert response.status_code in expect.statuses, f"{response.status_code}: {response.text[:500]}"
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.text.strip(), "a refusal says why"
    if response.status_code == 200 and expect.reply:
        assert polite_replies(response.json()), response.text[:500]
        if corpus.MARKER.encode() in case.payload():
            ANSWERED[marker] = case.name
    if expect.contains:
        assert expect.contains in response.text
    if expect.absent:
        assert expect.absent not in response.text
    if case.door == "actions":
        grown = action_server_peak_memory(product.actions_port) - peak_before
        assert grown < 64 * corpus.MB, f"the action server's peak memory grew by {grown // corpus.MB} MB"
        assert requests.get(_url(product, case).replace("/webhook", "/health"), timeout=TIMEOUT).status_code == 200


def test_a_burst_of_payloads_for_one_conversation_is_answered_and_logged(product):
    sender = f"g-burst-{uuid.uuid4()}"
    markers = [new_marker() for _ in range(40)]

    def click(marker: str) -> requests.Response:
        body = corpus.chat(f'/ask_tip{{"note": "{marker}"}}', sender)
        return requests.post(product.rest_url, data=body, headers=corpus.JSON, timeout=TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(click, markers))
    assert [r.status_code for r in responses] == [200] * len(markers)
    assert all(polite_replies(r.json()) for r in responses), [r.text[:200] for r in responses]
    ANSWERED.update(dict.fromkeys(markers, "a burst of payloads"))


# --- Rasa's action server and every server: on 127.0.0.1 only -------------------------------------


def listening_sockets(port: int) -> list[tuple[str, str]]:
    """(local address, inode) of each socket listening on `port`, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.append((_address(address), fields[9]))
    return found


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw))
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]  # /proc prints each 32-bit word in host order
    return str(ipaddress.IPv6Address(b"".join(words)))


def action_server_peak_memory(port: int) -> int:
    """The largest peak resident memory (VmHWM) among the processes holding the port's listening socket."""
    sockets = {f"socket:[{inode}]" for _, inode in listening_sockets(port)}
    peak = 0
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if not any(str(fd.readlink()) in sockets for fd in (process / "fd").iterdir()):
                continue
            status = (process / "status").read_text()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        peak = max(peak, int(found.group(1)) * 1024 if found else 0)
    assert peak, f"no process found listening on {port}"
    return peak


def test_every_server_listens_on_127_0_0_1_only(product):
    for port in product.ports:
        addresses = {address for address, _ in listening_sockets(port)}
        assert addresses, f"nothing listens on {port}"
        assert addresses <= {"127.0.0.1", "::1", "::ffff:127.0.0.1"}, f"port {port} listens on {addresses}"


# --- identities that an unsigned client claims ---------------------------------------------------


def _key(env: dict) -> bytes:
    return load_key(None, Path(env["COACH_VAR_DIR"]) / "secret.key")


def _post_rest(product, sender: str, message: str, **metadata: str) -> requests.Response:
    body = corpus.chat(message, sender, **metadata)
    return requests.post(product.rest_url, data=body, headers=corpus.JSON, timeout=TIMEOUT)


def _wait_for_text(env: dict, text: str, seconds: float = 30) -> list[dict]:
    """The log once a row with `text` is in it: what was queued before it has been delivered too."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = exported_rows(env)
        if any(text in (row["text"] or "") for row in rows):
            return rows
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never reached the log")


def _attack_erasure(product, env: dict, sender: str, **metadata: str) -> list[dict]:
    """/forget and its confirmation from an unsigned client claiming `sender`; then the log once
    whatever that queued has been delivered (a later message of another sender is in it)."""
    for message in ("grazie", "/forget", "/affirm"):
        response = _post_rest(product, sender, message, **metadata)
        assert response.status_code in (200, 401, 403), response.text[:300]
    after = new_marker()
    assert _post_rest(product, f"g-bystander-{uuid.uuid4()}", f"grazie {after}").status_code == 200
    return _wait_for_text(env, after)


def joined_telegram_account(telegram, account: int) -> int:
    """An account of this module's own (the allowed ones belong to test_telegram.py), joined with the code."""
    telegram.push(tg.text_message(account, TELEGRAM_JOIN_CODE, "it"))
    telegram.wait_for(account, 1)
    return account


def test_an_unsigned_client_cannot_speak_as_a_telegram_member_nor_erase_them(product, product_env, telegram):
    victim = joined_telegram_account(telegram, 3002)
    said = new_marker()
    telegram.push(tg.text_message(victim, f"non ho tempo per il CRM {said}", "it"))
    telegram.wait_for(victim, 2)
    rows = _attack_erasure(product, product_env, str(victim), channel="telegram")
    user = pseudonym(_key(product_env), "telegram", str(victim))
    assert any(said in (row["text"] or "") for row in rows if row["user"] == user), "the member's history was erased"
    claimed = [row for row in rows if row["user"] == user and "grazie" in (row["text"] or "")]
    assert claimed == [], "an unsigned client's message landed in a Telegram member's conversation"


def test_a_pseudonym_as_sender_is_not_that_person(product, product_env):
    account = f"g-victim-{uuid.uuid4()}"
    said = new_marker()
    page = {**corpus.JSON, "Origin": product.rasa_url}
    body = corpus.chat(f"mis clientes son míos {said}", account)
    assert requests.post(product.webchat_url + "webhook", data=body, headers=page, timeout=TIMEOUT).status_code == 200
    victim = pseudonym(_key(product_env), "webchat", account)
    rows = _attack_erasure(product, product_env, victim)
    assert any(said in (row["text"] or "") for row in rows if row["user"] == victim), "the victim's history was erased"
    assert not any("grazie" in (row["text"] or "") for row in rows if row["user"] == victim)


# --- Telegram and Slack: the real client libraries against the fake clouds -----------------------


def _with_marker(text: str, case: str) -> str:
    """`text` with its MARKER replaced; the marker is expected in the log once the message is answered."""
    if corpus.MARKER not in text:
        return text
    marker = new_marker()
    PENDING[marker] = case
    return text.replace(corpus.MARKER, marker)


@pytest.mark.parametrize("case", corpus.TELEGRAM, ids=[case.name for case in corpus.TELEGRAM])
def test_telegram_bad_input_gets_a_polite_reply(telegram, case):
    PENDING.clear()
    account = joined_telegram_account(telegram, 3001) if not telegram.sent(3001) else 3001
    before = len(telegram.sent(account))
    if case.raw is not None:
        telegram.push(tg.click(account, _with_marker(case.raw["data"], f"telegram: {case.name}"), "it"))
    else:
        telegram.push(tg.text_message(account, _with_marker(case.text, f"telegram: {case.name}"), "it"))
    reply = telegram.wait_for(account, before + 1)[-1]
    assert reply["text"].strip() and reply["text"] not in UNAVAILABLE, reply["text"]
    ANSWERED.update(PENDING)


@pytest.fixture(scope="module")
def workspace(product, fake_slack):
    deadline = time.monotonic() + 60
    while not fake_slack.connected():
        assert time.monotonic() < deadline, "the Slack connector never connected"
        time.sleep(0.2)
    return fake_slack


@pytest.mark.parametrize("case", corpus.SLACK, ids=[case.name for case in corpus.SLACK])
def test_slack_bad_input_gets_a_polite_reply(workspace, case):
    PENDING.clear()
    before = len(workspace.posted("DU7"))
    workspace.event(slack.direct_message("U7", _with_marker(case.text, f"slack: {case.name}"), channel="DU7"))
    reply = workspace.wait_for("DU7", before + 1)[-1]
    assert reply["text"].strip() and reply["text"] not in UNAVAILABLE, reply["text"]
    ANSWERED.update(PENDING)


# --- the command line and the knowledge files ------------------------------------------------------


@pytest.fixture(scope="module")
def var_copy(product_env, tmp_path_factory, product) -> dict:
    """The product's settings over a copy of its databases: a purge that wrongly went ahead would
    not take the other tests' rows with it."""
    copy = tmp_path_factory.mktemp("var-copy")
    var = Path(product_env["COACH_VAR_DIR"])
    for name in ("coach.db", "coach.db-wal", "tracker.db", "tracker.db-wal", "secret.key"):
        if (var / name).exists():
            shutil.copy(var / name, copy / name)
    env = {**product_env, "COACH_VAR_DIR": str(copy)}
    assert exported_rows(env), "the copy holds the rows of the chats so far"
    return env


@pytest.mark.parametrize("case", corpus.COMMANDS, ids=[case.name for case in corpus.COMMANDS])
def test_the_cli_answers_bad_arguments_with_a_message(var_copy, case):
    purging = case.args[0] == "purge"
    before = len(exported_rows(var_copy)) if purging else 0
    result = coach({**var_copy, **case.env}, *case.args)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-2000:]
    assert result.returncode in case.exit_codes, f"exit {result.returncode}: {output[-1000:]}"
    assert case.says.lower() in output.lower(), output[-1000:]
    if purging:
        assert len(exported_rows(var_copy)) == before, "a refused purge deleted rows"


@pytest.mark.parametrize("case", corpus.BROKEN_KNOWLEDGE, ids=[case.name for case in corpus.BROKEN_KNOWLEDGE])
def test_kb_check_names_the_broken_file(product_env, tmp_path, case):
    knowledge = tmp_path / "kb-under-test"
    shutil.copytree(ROOT / "knowledge", knowledge)
    broken = knowledge / case.file
    broken.write_text(case.breakage(broken.read_text(encoding="utf-8")), encoding="utf-8")
    result = coach(product_env, "kb", "check", "--knowledge", str(knowledge))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-2000:]
    assert result.returncode == 1
    assert f"kb-under-test/{case.file}" in output, f"nothing names {case.file}:\n{output[-2000:]}"


# --- nothing lost -------------------------------------------------------------------------------------


def test_every_answered_message_is_in_the_log(product, product_env):
    """Last: each message above that got an answer (the ones carrying a marker) is in `coach export`."""
    if not ANSWERED:
        pytest.skip("run with the corpus above: it is what this test looks for in the log")
    deadline = time.monotonic() + 30
    while True:
        logged = "\n".join(row["text"] or "" for row in exported_rows(product_env))
        missing = {marker: case for marker, case in ANSWERED.items() if marker not in logged}
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not missing, f"answered but not in the log: {sorted(set(missing.values()))}"
