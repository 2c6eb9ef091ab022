"""A local server speaking the part of Discord's REST API Kefu uses (open a direct-message
channel, post a message, replace the slash commands), and signed interactions made with a
test key pair, as Discord makes them."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client

from kefu.intake.channels.discord import services
from kefu.intake.models import ChannelAccount

APPLICATION_ID = "1100000000000000001"
BOT_TOKEN = "test-bot-token"
PRIVATE_KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = PRIVATE_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


@dataclass
class Call:
    method: str
    path: str
    authorization: str
    body: Any


@dataclass
class FakeDiscord:
    """Records each call. ``failures`` maps "dm", "message" or "commands" to the statuses the
    next calls of that kind answer (then they succeed)."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)
    next_id: int = 5000

    def of(self, kind: str) -> list[Call]:
        return [call for call in self.calls if _kind(call.path) == kind]


def _kind(path: str) -> str:
    if path == "/api/v10/users/@me/channels":
        return "dm"
    if re.fullmatch(r"/api/v10/channels/[0-9]+/messages", path):
        return "message"
    if path == f"/api/v10/applications/{APPLICATION_ID}/commands":
        return "commands"
    return ""


ERRORS: dict[int, dict[str, Any]] = {
    403: {"message": "Cannot send messages to this user", "code": 50007},
    404: {"message": "Unknown Channel", "code": 10003},
    429: {"message": "You are being rate limited.", "retry_after": 0.5, "global": False},
    500: {"message": "500: Internal Server Error", "code": 0},
}


def serve() -> Iterator[FakeDiscord]:
    state = FakeDiscord()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, document: object) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _handle(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body: Any = json.loads(raw) if raw else {}
            call = Call(self.command, self.path, self.headers.get("Authorization", ""), body)
            state.calls.append(call)
            kind = _kind(self.path)
            if call.authorization != f"Bot {BOT_TOKEN}":
                return self._answer(401, {"message": "401: Unauthorized", "code": 0})
            pending = state.failures.get(kind, [])
            if pending:
                status = pending.pop(0)
                return self._answer(status, ERRORS.get(status, {"code": 0}))
            state.next_id += 1
            if kind == "dm" and self.command == "POST":
                return self._answer(200, {"id": f"9{body['recipient_id']}", "type": 1})
            if kind == "message" and self.command == "POST":
                channel_id = self.path.split("/")[-2]
                return self._answer(
                    200, {"id": str(state.next_id), "channel_id": channel_id, **body}
                )
            if kind == "commands" and self.command == "PUT":
                return self._answer(
                    200, [{"id": str(state.next_id + i), **c} for i, c in enumerate(body)]
                )
            return self._answer(404, {"message": "404: Not Found", "code": 0})

        do_POST = do_PUT = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def discord_account(api_url: str) -> ChannelAccount:
    return services.connect_discord_account(
        name="Support bot",
        application_id=APPLICATION_ID,
        public_key=PUBLIC_KEY,
        bot_token=BOT_TOKEN,
        api_url=api_url,
    )


def command(
    interaction_id: str = "1300000000000000001",
    text: object = "My deposit has not arrived",
    *,
    user_id: str = "8000000000000000042",
    locale: str = "en-US",
    in_guild: bool = True,
) -> dict[str, Any]:
    """A /support interaction as Discord sends it (with some of the fields Kefu ignores)."""
    user = {"id": user_id, "username": "dana", "global_name": "Dana", "discriminator": "0"}
    document: dict[str, Any] = {
        "id": interaction_id,
        "application_id": APPLICATION_ID,
        "type": 2,
        "token": "interaction-token",
        "version": 1,
        "locale": locale,
        "data": {
            "id": "1200000000000000001",
            "name": "support",
            "type": 1,
            "options": [{"name": "message", "type": 3, "value": text}],
        },
    }
    if in_guild:
        document["guild_id"] = "7000000000000000001"
        document["member"] = {"user": user, "roles": [], "nick": None}
    else:
        document["user"] = user
    return document


def post_interaction(
    client: Client,
    account: ChannelAccount,
    document: object = None,
    *,
    body: bytes | None = None,
    key: Ed25519PrivateKey = PRIVATE_KEY,
    signature: str | None = None,
    signed_body: bytes | None = None,
) -> Any:
    """Post an interaction signed with ``key`` (over ``signed_body`` when given, to forge)."""
    raw = body if body is not None else json.dumps(document).encode()
    timestamp = str(int(time.time()))
    signed = key.sign(timestamp.encode() + (raw if signed_body is None else signed_body)).hex()
    return client.post(
        f"/api/v1/channels/discord/{account.pk}/interactions",
        data=raw,
        content_type="application/json",
        headers={
            "X-Signature-Ed25519": signed if signature is None else signature,
            "X-Signature-Timestamp": timestamp,
        },
    )
