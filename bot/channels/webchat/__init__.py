"""The local web chat: a page and a same-origin proxy to Rasa's REST channel."""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

logger = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("index.html")
MAX_BODY = 64 * 1024
NO_REPLY = "the coach could not answer this time; your message was received, try again in a moment"


def make_handler(rasa_webhook: str, timeout: float = 30.0):
    class WebChatHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path not in ("/", "/index.html"):
                return self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})
            body = PAGE.read_bytes()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/api/message":
                return self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self._send(HTTPStatus.BAD_REQUEST, {"error": "the message is empty or too long"})
            try:
                request = json.loads(self.rfile.read(length))
                payload = {
                    "sender": str(request["sender"])[:128],
                    "message": str(request["message"])[:4000],
                    "metadata": {"channel": "webchat", "language_hint": str(request.get("language_hint", ""))[:5]},
                }
            except (ValueError, KeyError, TypeError):
                return self._send(HTTPStatus.BAD_REQUEST, {"error": "expected JSON with sender and message"})
            try:
                replies = _post_json(rasa_webhook, payload, timeout)
            except (urllib.error.URLError, OSError, ValueError) as error:
                logger.warning("Rasa did not answer: %s", error)
                return self._send(HTTPStatus.BAD_GATEWAY, {"error": "the coach is not reachable right now, try again in a moment"})
            if not replies:  # every turn has a reply, so an empty one means a component failed
                return self._send(HTTPStatus.BAD_GATEWAY, {"error": NO_REPLY})
            self._send(HTTPStatus.OK, replies)

        def _send(self, status: HTTPStatus, data) -> None:
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            logger.debug(format, *args)

    return WebChatHandler


def _post_json(url: str, payload: dict, timeout: float):
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"[]")


def serve(host: str, port: int, rasa_webhook: str) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(rasa_webhook))
