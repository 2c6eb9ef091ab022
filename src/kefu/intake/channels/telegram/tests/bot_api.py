"""A local server that speaks the Bot API methods Kefu uses, for the tests.

It keeps queued updates for getUpdates (honouring ``offset``, which confirms the earlier
ones), records every method call, answers sendMessage/sendPhoto/sendDocument with a new
message id, serves getFile and the file download, refuses getUpdates while a webhook is set
(409, as Telegram does), and can be told to fail a method a number of times.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "123456789:AAHkefuTestTokenForTheLocalBotApi_x9"
BOT_ID = 123456789
BOT_USERNAME = "kefu_help_bot"


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    raw: bytes | None = None  # an answer that is not Bot API JSON (a proxy's error page)
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


class BotApi:
    """The state of the fake Bot API, shared with the server thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.url = ""
        self.updates: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.webhook: dict[str, Any] | None = None
        self.downloads = 0
        self._ids = itertools.count(9001)

    def queue(self, *updates: dict[str, Any]) -> None:
        with self.lock:
            self.updates += updates

    def fail(self, method: str, failure: Failure, *, times: int = 1) -> None:
        with self.lock:
            self.failures.setdefault(method, []).extend([failure] * times)

    def add_file(self, file_id: str, path: str, data: bytes) -> None:
        with self.lock:
            self.files[file_id] = (path, data)

    def called(self, *methods: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.method in methods]

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        with self.lock:
            pending = self.failures.get(method)
            if pending:
                failure = pending.pop(0)
                if failure.raw is not None:
                    return failure.status, failure.raw
                parameters = dict(failure.parameters)
                if failure.retry_after is not None:
                    parameters["retry_after"] = failure.retry_after
                return failure.status, _json(
                    {
                        "ok": False,
                        "error_code": failure.status,
                        "description": failure.description,
                        "parameters": parameters,
                    }
                )
            return 200, _json({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Kefu", "username": BOT_USERNAME}
        if method == "getUpdates":
            if self.webhook is not None:
                raise _Conflict()
            offset = int(params.get("offset", 0))
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            return self.updates[: int(params.get("limit", 100))]
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "deleteWebhook":
            self.webhook = None
            return True
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            return {
                "message_id": next(self._ids),
                "chat": {"id": int(params["chat_id"])},
                "date": 1767225600,
                "text": params.get("text", ""),
            }
        if method == "getFile":
            path, data = self.files[params["file_id"]]
            return {"file_id": params["file_id"], "file_path": path, "file_size": len(data)}
        raise KeyError(method)


class _Conflict(Exception):
    pass


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    document = parser.parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in document.iter_parts():
        name = part.get_param("name", header="content-disposition")
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename:
            files[str(name)] = (filename, payload)
        else:
            params[str(name)] = payload.decode("utf-8")
    return params, files


@contextmanager
def running_bot_api() -> Iterator[BotApi]:
    state = BotApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            token, method = ([*self.path.split("/")[1:3], "", ""])[:2]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if token != f"bot{TOKEN}":
                self._send(404, _json({"ok": False, "error_code": 404, "description": "Not Found"}))
                return
            content_type = self.headers.get("Content-Type", "")
            files: dict[str, tuple[str, bytes]] = {}
            if content_type.startswith("multipart/form-data"):
                params, files = _multipart(content_type, body)
            else:
                params = json.loads(body or b"{}")
            with state.lock:
                state.calls.append(Call(method, params, files))
            try:
                status, answer = state.answer(method, params)
            except _Conflict:
                status, answer = (
                    409,
                    _json(
                        {
                            "ok": False,
                            "error_code": 409,
                            "description": "Conflict: can't use getUpdates method while "
                            "webhook is active; use deleteWebhook to delete the webhook first",
                        }
                    ),
                )
            self._send(status, answer)

        def do_GET(self) -> None:
            prefix = f"/file/bot{TOKEN}/"
            with state.lock:
                state.downloads += 1
                found = [data for path, data in state.files.values() if prefix + path == self.path]
            if not found:
                self._send(404, b"not found")
                return
            self._send(200, found[0], content_type="application/octet-stream")

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
