"""A local Slack: the Web API methods the connector calls (HTTP) and the Socket Mode
websocket it dials, both on 127.0.0.1. slack-bolt and slack-sdk run unchanged against
them (WebClient's `base_url`; apps.connections.open hands out a ws:// address here).
A file (the weekly digest's chart) comes in files_upload_v2's three steps: an upload address
from files.getUploadURLExternal, the bytes posted there (kept in `uploads`), then
files.completeUploadExternal shares it in a channel."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import websockets

TEAM = "T0COACH"
BOT_USER = "U0BOT"


class FakeSlack:
    def __init__(self, locales: dict[str, str] | None = None) -> None:
        self.locales = locales or {}
        self.calls: list[dict[str, Any]] = []
        self.acks: list[str] = []
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes posted to its upload address
        self._loop = asyncio.new_event_loop()
        self._sockets: set = set()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._http.server_port}/api/"
        self._ws_port = 0

    def start(self) -> FakeSlack:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        ready = threading.Event()
        threading.Thread(target=self._run_websocket, args=(ready,), daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._loop.call_soon_threadsafe(self._loop.stop)

    # --- what a test does -------------------------------------------------------
    def connected(self) -> bool:
        return bool(self._sockets)

    def send(self, envelope_type: str, payload: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        message = json.dumps(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        asyncio.run_coroutine_threadsafe(self._broadcast(message), self._loop).result(10)
        return envelope_id

    def event(self, event: dict[str, Any], team: str = TEAM) -> str:
        return self.send(
            "events_api",
            {
                "token": "t",
                "team_id": team,
                "api_app_id": "A0COACH",
                "type": "event_callback",
                "event_id": f"Ev{uuid.uuid4().hex[:8]}",
                "event_time": int(time.time()),
                "event": event,
            },
        )

    def posted(self, channel: str) -> list[dict[str, Any]]:
        return [
            c["params"]
            for c in self.calls
            if c["method"] == "chat.postMessage" and c["params"].get("channel") == channel
        ]

    def wait_for(self, channel: str, count: int, seconds: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.posted(channel)) >= count:
                return self.posted(channel)
            time.sleep(0.1)
        raise AssertionError(f"chat.postMessage to {channel}: expected {count}, got {self.posted(channel)}")

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c["params"] for c in self.calls if c["method"] == method]

    # --- Socket Mode --------------------------------------------------------------
    def _run_websocket(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def session(socket, path):
            self._sockets.add(socket)
            await socket.send(
                json.dumps(
                    {"type": "hello", "num_connections": 1, "debug_info": {}, "connection_info": {"app_id": "A0COACH"}}
                )
            )
            try:
                async for message in socket:
                    envelope = json.loads(message)
                    if "envelope_id" in envelope:
                        self.acks.append(envelope["envelope_id"])
            finally:
                self._sockets.discard(socket)

        server = self._loop.run_until_complete(websockets.serve(session, "127.0.0.1", 0))
        self._ws_port = server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    async def _broadcast(self, message: str) -> None:
        for socket in list(self._sockets):
            await socket.send(message)

    # --- Web API --------------------------------------------------------------------
    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append({"method": method, "params": params})
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://coach.slack.test/",
                "team": "Coach",
                "user": "coach",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0COACH",
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self._ws_port}/link/?ticket=t"}
        if method == "users.info":
            user = params.get("user", "")
            return {"ok": True, "user": {"id": user, "team_id": TEAM, "locale": self.locales.get(user, "en-US")}}
        if method in ("chat.postMessage", "chat.update"):
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": f"{time.time():.6f}",
                "message": {"text": params.get("text")},
            }
        if method == "views.publish":  # the App Home tab: the view stands until the next publish
            return {"ok": True, "view": {"id": "V0HOME", **params.get("view", {})}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.called(method))}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}upload/{file_id}"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in params["files"]]}
        return {"ok": False, "error": "unknown_method"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.split("/api/", 1)[-1].split("?")[0]
                content = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if method.startswith("upload/"):  # a file's bytes, to the address handed out for it
                    fake.uploads[method.removeprefix("upload/")] = content
                    return self._reply(b"OK", "text/plain")
                body = content.decode("utf-8")
                if "json" in self.headers.get("Content-Type", "") and body:
                    params = json.loads(body)
                else:
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
                for key in ("blocks", "files"):  # JSON in a form field
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                self._reply(json.dumps(fake._answer(method, params)).encode("utf-8"), "application/json")

            def _reply(self, data: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return Handler


def direct_message(user: str, text: str, channel: str | None = None, **extra) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": channel or f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "channel_type": "im",
        "team": TEAM,
        **extra,
    }


def mention(user: str, text: str, channel: str = "C0SALES") -> dict[str, Any]:
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": f"{time.time():.6f}",
        "team": TEAM,
    }


def _block_actions(user: str, container: dict[str, Any]) -> dict[str, Any]:
    """What every button click's payload starts with."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "coach"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0COACH",
        "token": "t",
        "trigger_id": "tr",
        "container": container,
    }


def button_click(user: str, channel: str, value: str, message_ts: str = "1.0") -> dict[str, Any]:
    return {
        **_block_actions(user, {"type": "message", "message_ts": message_ts}),
        "channel": {"id": channel, "name": "dm"},
        "message": {
            "ts": message_ts,
            "text": "...",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "..."}},
                {"type": "actions", "elements": []},
            ],
        },
        "actions": [
            {
                "type": "button",
                "action_id": "coach_button_1",
                "block_id": "b",
                "value": value,
                "text": {"type": "plain_text", "text": "Tip"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def home_opened(user: str, channel: str | None = None, tab: str = "home") -> dict[str, Any]:
    """The event Slack sends when a person opens the app's Home tab (`channel`: their DM with the app)."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or f"D{user}",
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def home_click(user: str, view: dict[str, Any], action: int = 0) -> dict[str, Any]:
    """A click on a button of a published Home view (as views.publish received it)."""
    [button] = [
        element
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"].endswith(f"_{action}")
    ]
    return {
        **_block_actions(user, {"type": "view", "view_id": "V0HOME"}),
        "view": {"id": "V0HOME", "type": "home", "private_metadata": view.get("private_metadata", "")},
        "actions": [{**button, "block_id": "b", "type": "button", "action_ts": f"{time.time():.6f}"}],
    }
