"""The repo's fake Telegram and Slack servers (tests/fakes/), extended with what the digest
calls: Telegram's sendPhoto (a multipart upload) and Slack's three-step files_upload_v2
(files.getUploadURLExternal, the upload itself, files.completeUploadExternal)."""

from __future__ import annotations

import json
import time
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import BOT, FakeTelegram


def _multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Form fields of a multipart/form-data body: text as str, files as bytes."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[name] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


class _Replies(BaseHTTPRequestHandler):
    def reply(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, *args) -> None:
        pass


class PhotoTelegram(FakeTelegram):
    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method != "sendPhoto":
            return super()._answer(method, params)
        self.calls.append({"method": method, "params": params})
        size = {"file_id": "ph1", "file_unique_id": "u-ph1", "width": 640, "height": 320}
        return {
            "message_id": 1,
            "date": int(time.time()),
            "from": BOT,
            "chat": {"id": int(params["chat_id"]), "type": "group"},
            "photo": [size],
            "caption": params.get("caption"),
        }

    def _handler(self):
        fake = self

        class Handler(_Replies):
            def do_POST(self) -> None:
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    return self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                method = self.path[len(prefix) :].split("?")[0]
                content_type = self.headers.get("Content-Type", "")
                body = self.body()
                if content_type.startswith("multipart/form-data"):
                    params = _multipart(body, content_type)
                elif body:
                    params = json.loads(body) if "json" in content_type else dict(urllib.parse.parse_qsl(body.decode()))
                else:
                    params = {}
                self.reply(200, {"ok": True, "result": fake._answer(method, params)})

        return Handler


class UploadSlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__()
        self.uploads: dict[str, bytes] = {}

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            self.calls.append({"method": method, "params": params})
            file_id = f"F{len(self.uploads) + 1}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}upload/{file_id}"}
        if method == "files.completeUploadExternal":
            self.calls.append({"method": method, "params": params})
            files = params["files"] if isinstance(params["files"], list) else json.loads(params["files"])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return super()._answer(method, params)

    def _handler(self):
        fake = self

        class Handler(_Replies):
            def do_POST(self) -> None:
                method = self.path.split("/api/", 1)[-1].split("?")[0]
                body = self.body()
                if method.startswith("upload/"):
                    fake.uploads[method.split("/", 1)[1]] = body
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                if "json" in self.headers.get("Content-Type", ""):
                    params = json.loads(body or b"{}")
                else:
                    params = dict(urllib.parse.parse_qsl(body.decode("utf-8")))
                self.reply(200, fake._answer(method, params))

        return Handler
