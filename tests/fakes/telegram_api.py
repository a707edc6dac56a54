"""A local Telegram Bot API server: the methods the connector uses, over real HTTP on 127.0.0.1.

python-telegram-bot runs unchanged against it (its `base_url`); the test queues
updates and reads what the bot sent. sendPhoto (the weekly digest's chart) comes as a
multipart upload: the photo is read as bytes, the other fields as in any other call.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT = {
    "id": 999000,
    "is_bot": True,
    "first_name": "Coach",
    "username": "CoachBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []  # {"method", "params"}
        self._next_update = 1
        self._next_message = 1
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/bot"

    def start(self) -> FakeTelegram:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a test does -------------------------------------------------------
    def push(self, update: dict[str, Any]) -> int:
        with self._lock:
            update = {"update_id": self._next_update, **update}
            self._next_update += 1
            self.updates.append(update)
            self._lock.notify_all()
            return update["update_id"]

    def sent(self, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [
            c["params"] for c in self.calls if c["method"] == method and int(c["params"].get("chat_id", 0)) == chat_id
        ]

    def wait_for(
        self, chat_id: int, count: int, method: str = "sendMessage", seconds: float = 60
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.sent(chat_id, method)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{method} to {chat_id}: expected {count}, got {self.sent(chat_id, method)}")

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c["params"] for c in self.calls if c["method"] == method]

    # --- the Bot API ------------------------------------------------------------
    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append({"method": method, "params": params})
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            return self._updates(int(params.get("offset") or 0), float(params.get("timeout") or 0))
        if method in ("sendMessage", "sendPhoto"):
            return self._message(params)
        if method in ("deleteWebhook", "setWebhook", "sendChatAction", "answerCallbackQuery", "editMessageReplyMarkup"):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        raise KeyError(method)

    def _updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + min(timeout, 1.0)
        with self._lock:
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending
                self._lock.wait(timeout=0.1)

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message_id, self._next_message = self._next_message, self._next_message + 1
        chat_id = int(params["chat_id"])
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "from": BOT,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
        }
        if "photo" not in params:
            return {**message, "text": params.get("text", "")}
        size = {"file_id": f"ph{message_id}", "file_unique_id": f"u-ph{message_id}", "width": 640, "height": 320}
        return {**message, "photo": [size], "caption": params.get("caption")}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                method = self.path[len(prefix) :].split("?")[0]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    result = fake._answer(method, _params(body, self.headers.get("Content-Type", "")))
                except KeyError:
                    return self._reply(400, {"ok": False, "error_code": 400, "description": f"unknown method {method}"})
                self._reply(200, {"ok": True, "result": result})

            do_GET = do_POST  # noqa: N815

            def _reply(self, status: int, data: Any) -> None:
                body = json.dumps(data).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    if content_type.startswith("multipart/form-data"):
        fields = _multipart(body, content_type)
    else:
        fields = {key: values[0] for key, values in urllib.parse.parse_qs(body.decode("utf-8")).items()}
    return {key: value if isinstance(value, bytes) else _decoded(value) for key, value in fields.items()}


def _decoded(value: str) -> Any:
    """A form field as the Bot API reads it: JSON where it is JSON (a keyboard, a number), else the text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _multipart(body: bytes, content_type: str) -> dict[str, str | bytes]:
    """The fields of a multipart/form-data body: a file's as bytes, the others as text."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = part.get_param("name", header="content-disposition")
        fields[name] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


# --- updates as Telegram sends them ----------------------------------------------
def user(user_id: int, language: str | None = "it") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": language}


def text_message(
    user_id: int,
    text: str,
    language: str | None = "it",
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra,
) -> dict[str, Any]:
    chat_id = chat_id or user_id
    return {
        "message": {
            "message_id": int(time.time() * 1000) % 10**9,
            "date": int(time.time()),
            "from": user(user_id, language),
            "chat": {"id": chat_id, "type": chat_type},
            "text": text,
            **extra,
        }
    }


def sticker(user_id: int, language: str = "it") -> dict[str, Any]:
    update = text_message(user_id, "", language)
    del update["message"]["text"]
    update["message"]["sticker"] = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    return update


def edited(user_id: int, text: str, language: str = "it") -> dict[str, Any]:
    return {"edited_message": {**text_message(user_id, text, language)["message"], "edit_date": int(time.time())}}


def click(user_id: int, data: str, language: str = "it", message_id: int = 1) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": f"cb{time.time_ns()}",
            "from": user(user_id, language),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "from": BOT,
                "chat": {"id": user_id, "type": "private"},
                "text": "...",
            },
        }
    }
