"""Bad input for every door of the running product, each with the outcome the house rules ask for:
a quick 200 with a polite reply (and the message in the log), or a 4xx with a message; never a
5xx, a hang or a lost row. tests/system/test_attacks.py sends them.

In bodies and texts, MARKER becomes a word of letters unique to the case: an answered message is
then looked up in `coach export` by it. In headers, {origin} becomes the web chat's own origin.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

MARKER = "MARKER"
MB = 1024 * 1024
ERROR_STATUSES = frozenset({400, 403, 404, 405, 411, 413, 415, 422})


@dataclass(frozen=True)
class Expect:
    """What may come back. `reply`: a 200 must carry chat replies with text, and the message its
    MARKER in the log. `contains` / `absent`: text that must (not) be in the body."""

    statuses: frozenset[int]
    reply: bool = False
    contains: str = ""
    absent: str = ""


ANSWERED = Expect(frozenset({200}), reply=True)
# Input the rules allow either way: answered politely (and logged), or refused with a message.
ANSWERED_OR_REFUSED = Expect(frozenset({200}) | ERROR_STATUSES, reply=True)


def refused(*statuses: int, contains: str = "") -> Expect:
    return Expect(frozenset(statuses), contains=contains)


def shown(contains: str = "", absent: str = "", statuses: tuple[int, ...] = (200,)) -> Expect:
    """A dashboard page or a JSON answer (or a 4xx that says why), never a 5xx."""
    return Expect(frozenset(statuses) | ERROR_STATUSES, contains=contains, absent=absent)


@dataclass(frozen=True)
class Http:
    """One request to a door: rest (/webhooks/rest/webhook), webchat (/webhooks/webchat/webhook),
    rasa_api (Rasa's HTTP API), actions (the action server), dashboard (logged in as an admin),
    dashboard_visitor (not logged in). `form`: fields of a dashboard form (its CSRF token added)."""

    name: str
    door: str
    expect: Expect
    body: bytes | Callable[[], bytes] = b""
    method: str = "POST"
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str | list[str]] | None = None
    with_actions_token: bool = False  # the secret the Rasa server sends the action server

    def payload(self) -> bytes:
        return self.body() if callable(self.body) else self.body


def chat(message: object, sender: object = "g-attacker", **metadata: object) -> bytes:
    return json.dumps({"sender": sender, "message": message, "metadata": metadata}).encode()


def raw_chat(message_json: str, sender: str = "g-attacker") -> bytes:
    """A body whose message is written as JSON source: escapes such as \\ud800 stay as sent."""
    return f'{{"sender": "{sender}", "message": {message_json}}}'.encode()


def nested(depth: int) -> bytes:
    return b'{"sender": "g-nested", "message": "MARKER", "metadata": ' + b"[" * depth + b"]" * depth + b"}"


def deflate_bomb(inflated: int = 256 * MB) -> bytes:
    """A valid action-server call of `inflated` bytes, deflated (~256 KB) as rasa_sdk inflates it."""
    head = b'{"next_action": "action_coach_reply", "sender_id": "g-bomb", "tracker": {"sender_id": "g-bomb"}, "pad": "'
    tail = b'"}'
    packer = zlib.compressobj(9)
    chunks = [packer.compress(head)]
    chunk = b"a" * MB
    for _ in range((inflated - len(head) - len(tail)) // MB):
        chunks.append(packer.compress(chunk))
    chunks += [packer.compress(tail), packer.flush()]
    return b"".join(chunks)


JSON = {"Content-Type": "application/json"}
PAGE = {**JSON, "Origin": "{origin}"}  # what the web chat's page sends
FOREIGN = "https://evil.example"
PAYLOADS = 300
ENTITIES = 400

HTTP: list[Http] = [
    # --- the REST channel: what the connectors and scripts post --------------------------------
    Http("rest: NUL inside the text", "rest", ANSWERED, chat("non ho tempo\x00 per il CRM MARKER\x00"), headers=JSON),
    Http(
        "rest: a lone surrogate (\\ud800)",
        "rest",
        ANSWERED,
        raw_chat('"\\ud800 no tengo tiempo MARKER \\udfff"'),
        headers=JSON,
    ),
    Http("rest: a 1 MB message", "rest", refused(413), chat("MARKER " + "x" * MB), headers=JSON),
    Http("rest: 1 MB of nested JSON", "rest", refused(400, 413), lambda: nested(MB // 2), headers=JSON),
    Http("rest: 20,000 levels of nesting under the size limit", "rest", refused(400), nested(20_000), headers=JSON),
    Http("rest: not JSON", "rest", refused(400), b"sender=x&message=MARKER", headers=JSON),
    Http("rest: invalid UTF-8", "rest", refused(400), b'{"sender": "g", "message": "\xff\xfe MARKER"}', headers=JSON),
    Http(
        "rest: a form post",
        "rest",
        refused(400, 415),
        b"sender=g-form&message=MARKER",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Http(
        "rest: cross-site text/plain with a foreign Origin",
        "rest",
        refused(403, 415),
        chat("non ho tempo MARKER"),
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    ),
    Http(
        "rest: JSON with a foreign Origin",
        "rest",
        refused(403),
        chat("non ho tempo MARKER"),
        headers={**JSON, "Origin": FOREIGN},
    ),
    Http("rest: a JSON list", "rest", refused(400), b'["MARKER"]', headers=JSON),
    Http("rest: message is a number", "rest", ANSWERED_OR_REFUSED, chat(42), headers=JSON),
    Http("rest: message is null", "rest", ANSWERED_OR_REFUSED, chat(None), headers=JSON),
    Http("rest: sender is an object", "rest", ANSWERED_OR_REFUSED, chat("MARKER grazie", {"id": 1}), headers=JSON),
    Http(
        "rest: a 10,000-character sender",
        "rest",
        ANSWERED_OR_REFUSED,
        chat("MARKER grazie", "s" * 10_000),
        headers=JSON,
    ),
    Http(
        "rest: right-to-left overrides",
        "rest",
        ANSWERED,
        chat("\u202e" * 2000 + "non ho tempo MARKER" + "\u202d\u2067" * 500),
        headers=JSON,
    ),
    Http(
        "rest: a zero-width flood",
        "rest",
        ANSWERED,
        chat("\u200b\u200c\u200d\u2060\ufeff" * 700 + " MARKER"),
        headers=JSON,
    ),
    Http("rest: an emoji flood", "rest", ANSWERED, chat("MARKER " + "😡👍🏽👨‍👩‍👧" * 600), headers=JSON),
    Http("rest: combining marks", "rest", ANSWERED, chat("MARKER Z" + "\u0301\u0336" * 1900), headers=JSON),
    Http(
        "rest: 300 button payloads in one message",
        "rest",
        ANSWERED,
        chat("/ask_more " * PAYLOADS + "MARKER"),
        headers=JSON,
    ),
    Http(
        "rest: a payload with an unknown language",
        "rest",
        ANSWERED,
        chat('/set_language{"chosen_language": "../../etc", "note": "MARKER"}'),
        headers=JSON,
    ),
    Http(
        "rest: a payload with a list where a text is expected",
        "rest",
        ANSWERED,
        chat('/set_language{"chosen_language": ["it", {"x": 1}], "note": "MARKER"}'),
        headers=JSON,
    ),
    Http(
        "rest: a payload with infinity and deep nesting",
        "rest",
        ANSWERED,
        chat('/ask_tip{"note": "MARKER", "n": 1e999, "deep": ' + "[" * 500 + "]" * 500 + "}"),
        headers=JSON,
    ),
    Http(
        "rest: a payload with 400 entities",
        "rest",
        ANSWERED,
        chat('/greet{"note": "MARKER", ' + ", ".join(f'"e{i}": {i}' for i in range(ENTITIES)) + "}"),
        headers=JSON,
    ),
    Http("rest: a payload with broken JSON", "rest", ANSWERED, chat('/ask_tip{"note": "MARKER", '), headers=JSON),
    Http("rest: an intent that does not exist", "rest", ANSWERED, chat('/drop_tables{"note": "MARKER"}'), headers=JSON),
    Http("rest: a path as an intent", "rest", ANSWERED, chat("/../../etc/passwd MARKER"), headers=JSON),
    Http("rest: GET", "rest", refused(405), method="GET"),
    # --- the web chat: the page's own endpoint --------------------------------------------------
    Http("webchat: NUL inside the text", "webchat", ANSWERED, chat("grazie\x00 MARKER"), headers=PAGE),
    Http(
        "webchat: a lone surrogate (\\ud800)",
        "webchat",
        ANSWERED,
        raw_chat('"mis clientes son m\\u00edos \\ud800 MARKER"'),
        headers=PAGE,
    ),
    Http("webchat: a 1 MB message", "webchat", refused(413), chat("MARKER " + "x" * MB), headers=PAGE),
    Http("webchat: 1 MB of nested JSON", "webchat", refused(400, 413), lambda: nested(MB // 2), headers=PAGE),
    Http("webchat: 20,000 levels of nesting", "webchat", refused(400), nested(20_000), headers=PAGE),
    Http(
        "webchat: cross-site text/plain with a foreign Origin",
        "webchat",
        refused(403, 415),
        chat("non ho tempo MARKER"),
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    ),
    Http(
        "webchat: text/plain without an Origin",
        "webchat",
        refused(403, 415),
        chat("non ho tempo MARKER"),
        headers={"Content-Type": "text/plain"},
    ),
    Http(
        "webchat: JSON with a foreign Origin",
        "webchat",
        refused(403),
        chat("non ho tempo MARKER"),
        headers={**JSON, "Origin": FOREIGN},
    ),
    Http(
        "webchat: a foreign Host (DNS rebinding)",
        "webchat",
        refused(403, 421),
        chat("non ho tempo MARKER"),
        headers={**JSON, "Host": "evil.example", "Origin": "http://evil.example"},
    ),
    Http("webchat: an emoji flood", "webchat", ANSWERED, chat("MARKER " + "🙃" * 4000), headers=PAGE),
    Http(
        "webchat: a payload with hostile entities",
        "webchat",
        ANSWERED,
        chat('/set_language{"chosen_language": "<script>", "note": "MARKER"}'),
        headers=PAGE,
    ),
    # --- Rasa's HTTP API: behind a token -------------------------------------------------------
    Http(
        "rasa api: a tracker without a token",
        "rasa_api",
        refused(401, 403),
        method="GET",
        path="/conversations/x/tracker",
    ),
    Http(
        "rasa api: a tracker with a wrong token",
        "rasa_api",
        refused(401, 403),
        method="GET",
        path="/conversations/x/tracker?token=guess",
    ),
    Http(
        "rasa api: PUT /model without a token",
        "rasa_api",
        refused(401, 403),
        json.dumps({"model_file": "/tmp/G-no-such-model.tar.gz"}).encode(),
        method="PUT",
        path="/model",
        headers=JSON,
    ),
    Http(
        "rasa api: a message as anyone without a token",
        "rasa_api",
        refused(401, 403),
        json.dumps({"text": "MARKER", "sender": "user"}).encode(),
        path="/conversations/g-api/messages",
        headers=JSON,
    ),
    Http("rasa api: the status without a token", "rasa_api", refused(401, 403), method="GET", path="/status"),
    # --- the action server: only Rasa calls it, with its token ---------------------------------------
    Http(
        "actions: a call without the token",
        "actions",
        refused(401, 403),
        json.dumps({"next_action": "action_coach_reply", "sender_id": "g", "tracker": {}}).encode(),
        path="/webhook",
        headers=JSON,
    ),
    Http(
        "actions: a deflate bomb with the token",
        "actions",
        refused(400, 413),
        deflate_bomb,
        path="/webhook",
        headers={**JSON, "Content-Encoding": "deflate"},
        with_actions_token=True,
    ),
    Http(
        "actions: a deflate bomb without the token",
        "actions",
        refused(401, 403, 413),
        deflate_bomb,
        path="/webhook",
        headers={**JSON, "Content-Encoding": "deflate"},
    ),
    Http(
        "actions: not JSON, with the token",
        "actions",
        refused(400),
        b"\x00\xff not json",
        path="/webhook",
        headers=JSON,
        with_actions_token=True,
    ),
    # --- the dashboard ---------------------------------------------------------------------------
    Http("dashboard: ?end=9999-12-31", "dashboard", shown(), method="GET", path="/?end=9999-12-31"),
    Http("dashboard: ?endpoint=x", "dashboard", shown(), method="GET", path="/?endpoint=x"),
    Http("dashboard: ?start=0000-00-00", "dashboard", shown(), method="GET", path="/objections?start=0000-00-00"),
    Http(
        "dashboard: repeated filters",
        "dashboard",
        shown(),
        method="GET",
        path="/answers?team=a&team=b&language=it&language=xx",
    ),
    Http("dashboard: non-UTF-8 escapes", "dashboard", shown(), method="GET", path="/?team=%ff%fe&start=%c0%af"),
    Http(
        "dashboard: a script as a filter",
        "dashboard",
        shown(absent="<script>alert(1)</script>"),
        method="GET",
        path="/conversations?q=%3Cscript%3Ealert(1)%3C/script%3E&language=%3Cscript%3Ealert(1)%3C/script%3E",
    ),
    Http(
        "dashboard: a 50,000-character search",
        "dashboard",
        shown(statuses=(200, 414, 431)),
        method="GET",
        path="/conversations?q=" + "a" * 50_000,
    ),
    Http(
        "dashboard: a CSV with a huge date",
        "dashboard",
        shown(),
        method="GET",
        path="/csv/objections.csv?end=9999-12-31&start=1-01-01",
    ),
    Http(
        "dashboard: a transcript of nobody",
        "dashboard",
        refused(404),
        method="GET",
        path="/conversations/" + "p-" + "0" * 500,
    ),
    Http(
        "dashboard: an unknown knowledge language",
        "dashboard",
        refused(404),
        method="GET",
        path="/knowledge/objection_no_time/xx",
    ),
    Http("dashboard: a path as an intent", "dashboard", refused(404), method="GET", path="/knowledge/..%2F..%2Fetc/it"),
    Http(
        "dashboard: a knowledge edit of 200,000 characters",
        "dashboard",
        refused(400, 413, 422),
        path="/knowledge/objection_no_time/it",
        form={"topic": "x", "short": ["a" * 200_000], "more": "m", "tip": "t", "for_leads": "l"},
    ),
    Http(
        "dashboard: a template in a knowledge preview",
        "dashboard",
        shown(absent="SECRET_KEY"),  # what {{config}} would show if the texts were rendered as templates
        path="/knowledge/objection_no_time/it/preview",
        form={
            "topic": "{{7*7}}",
            "short": ["{{7*7}} {{config}} {% debug %}", "{{ self.__init__ }} {{config.items()}}", "{{ config }}"],
            "more": "{{7*7}}",
            "tip": "t",
            "for_leads": "l",
        },
    ),
    Http(
        "dashboard: examples for a language that does not exist",
        "dashboard",
        shown(statuses=(200, 302)),
        path="/not-understood/assign",
        form={"language": "../../etc", "intent": "objection_no_time", "text": ["MARKER"]},
    ),
    Http(
        "dashboard: a login with NUL and a 100 KB password",
        "dashboard_visitor",
        refused(400, 401, 413, 429),
        path="/login",
        form={"username": "admin\x00", "password": "p" * 100_000},
    ),
    Http(
        "dashboard: a login with repeated fields",
        "dashboard_visitor",
        refused(400, 401, 429),
        path="/login",
        form={"username": ["admin", "g-admin"], "password": ["x", "y"]},
    ),
    Http(
        "dashboard: a form without its CSRF token",
        "dashboard_visitor",
        refused(400, 403),
        b"username=a&password=b",
        path="/login",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Http(
        "dashboard: JSON to the login form",
        "dashboard_visitor",
        refused(400, 403),
        b'{"username": "a"}',
        path="/login",
        headers=JSON,
    ),
    Http(
        "dashboard: a visitor asks a page with odd filters",
        "dashboard_visitor",
        shown(statuses=(200, 302)),
        method="GET",
        path="/?endpoint=x&end=9999-12-31",
    ),
]

# Where `next` may send a browser after logging in: all of these must stay on the dashboard.
HOSTILE_NEXT = [
    "/%09/evil.example",
    "//evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%0d%0a/evil.example",
    " //evil.example",
]


@dataclass(frozen=True)
class Command:
    """`coach ARGS` against the product's own settings (`env` on top), and what it must say."""

    name: str
    args: tuple[str, ...]
    exit_codes: frozenset[int]
    says: str = ""
    env: dict[str, str] = field(default_factory=dict)


COMMANDS = [
    Command("export in an unknown format", ("export", "--format", "xml"), frozenset({2}), "invalid choice"),
    Command(
        "export since a date that is not one", ("export", "--since", "9999-99-99"), frozenset({2}), "is not a date"
    ),
    Command("export since year 1", ("export", "--format", "jsonl", "--since", "0001-01-01"), frozenset({0})),
    Command(
        "export into a folder that does not exist",
        ("export", "--output", "/nonexistent-G/x.csv"),
        frozenset({1, 2}),
        "/nonexistent-G/x.csv",
    ),
    Command(
        "export from a database that is not there",
        ("export",),
        frozenset({1, 2}),
        "DATABASE_URL",
        {"DATABASE_URL": "postgresql://coach@127.0.0.1:9/nowhere"},
    ),
    Command(
        "export with a bad retention setting",
        ("export",),
        frozenset({1, 2}),
        "COACH_RETENTION_DAYS",
        {"COACH_RETENTION_DAYS": "forever"},
    ),
    Command("purge of everything (--days 0)", ("purge", "--days", "0"), frozenset({1, 2}), "day"),
    Command("purge with negative days", ("purge", "--days", "-3"), frozenset({1, 2}), "day"),
    Command("purge with words as days", ("purge", "--days", "all"), frozenset({2}), "--days"),
    Command("an unknown command", ("launch",), frozenset({2}), "invalid choice"),
    Command(
        "a user with an unknown role", ("user", "add", "mallory", "--role", "root"), frozenset({2}), "invalid choice"
    ),
]


@dataclass(frozen=True)
class BrokenKnowledge:
    """A copy of the knowledge base with `breakage` applied to one file: `coach kb check` must name it."""

    name: str
    file: str
    breakage: Callable[[str], str]


def _without_section(language: str) -> Callable[[str], str]:
    def cut(text: str) -> str:
        start = text.index(f"\n{language}:")
        following = [text.find(f"\n{other}:", start + 1) for other in ("it", "es", "en")]
        end = min((i for i in following if i > start), default=len(text))
        return text[:start] + text[end:]

    return cut


BROKEN_KNOWLEDGE = [
    BrokenKnowledge("a file that is not YAML", "answers/objection_no_time.yml", lambda t: t + "\n  - [unclosed\n"),
    BrokenKnowledge("a missing language", "answers/objection_feel_stupid.yml", _without_section("es")),
    BrokenKnowledge("a list where texts belong", "conversation/es.yml", lambda t: "- just\n- a list\n"),
    BrokenKnowledge(
        "NUL bytes in a file", "answers/objection_bad_data.yml", lambda t: t.replace("intent:", "\x00intent:", 1)
    ),
    BrokenKnowledge("an empty file", "answers/objection_small_clients.yml", lambda t: ""),
]


@dataclass(frozen=True)
class ChatMessage:
    """A message a messaging platform delivers: its text, or a whole update/event (`raw`)."""

    name: str
    text: str = ""
    raw: dict | None = None


# Telegram caps a message at 4,096 characters; Slack at 40,000.
TELEGRAM = [
    ChatMessage("NUL inside the text", "non ho tempo\x00 MARKER"),
    ChatMessage("right-to-left overrides", "\u202e" * 1000 + " MARKER non ho tempo"),
    ChatMessage("a zero-width flood", "MARKER " + "\u200b" * 4000),
    ChatMessage("an emoji flood", "MARKER " + "🤬" * 2000),
    # A command is logged as the intent it stands for: no MARKER to look up.
    ChatMessage("a command with hostile arguments", "/lang ../../etc " + "x" * 3000),
    ChatMessage("a payload typed as text", '/set_language{"chosen_language": ["x"], "note": "MARKER"}'),
    ChatMessage("a callback with hostile data", raw={"data": '/ask_tip{"note": "MARKER", "deep": [[[[[[[[]]]]]]]]}'}),
]
SLACK = [
    ChatMessage("NUL inside the text", "grazie\x00 MARKER"),
    ChatMessage("40,000 emoji (Slack's limit)", "MARKER " + "😡" * 39_990),
    ChatMessage("a mention flood", "MARKER " + "<@U0BOT> <!channel> " * 1000),
    ChatMessage("a payload typed as text", '/ask_tip{"note": "MARKER", "n": 1e999}'),
]
