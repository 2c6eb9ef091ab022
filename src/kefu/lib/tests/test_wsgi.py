"""HTTP requests through the ASGI entry point run the WSGI application in one worker thread."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kefu.asgi import application
from kefu.lib.wsgi import ThreadedWsgi, environ

pytestmark = pytest.mark.django_db(transaction=True)


async def call(app: Any, scope: dict[str, Any], body: bytes = b"") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(
    path: str,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "query_string": query,
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("10.0.0.7", 5555),
        "headers": [(b"host", b"testserver"), *(headers or [])],
    }


async def test_a_page_is_served_through_the_asgi_entry_point() -> None:
    sent = await call(application, http_scope("/healthz"))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    body = b"".join(message.get("body", b"") for message in sent[1:])
    assert json.loads(body)["status"] == "ok"
    assert sent[-1].get("more_body", False) is False


async def test_the_request_reaches_the_application_as_sent() -> None:
    seen: dict[str, Any] = {}

    def probe(environ_: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ_)
        seen["body"] = environ_["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Probe", "yes")])
        return [b"one ", b"", b"two"]

    payload = b"x" * 300_000
    sent = await call(
        ThreadedWsgi(probe),
        http_scope(
            "/t/abc/",
            "POST",
            [
                (b"content-type", b"text/plain"),
                (b"x-forwarded-for", b"1.2.3.4"),
                (b"x_forwarded_for", b"6.6.6.6"),
                (b"accept", b"a"),
                (b"accept", b"b"),
            ],
            query=b"q=%E4%B8%AD",
        ),
        payload,
    )
    assert sent[0]["status"] == 201
    assert (b"x-probe", b"yes") in sent[0]["headers"]
    assert b"".join(message.get("body", b"") for message in sent[1:]) == b"one two"
    assert seen["body"] == payload
    assert (seen["REQUEST_METHOD"], seen["PATH_INFO"], seen["QUERY_STRING"]) == (
        "POST",
        "/t/abc/",
        "q=%E4%B8%AD",
    )
    assert seen["REMOTE_ADDR"] == "10.0.0.7"
    # A header spelled with underscores cannot pose as the real one.
    assert seen["HTTP_X_FORWARDED_FOR"] == "1.2.3.4"
    assert seen["HTTP_ACCEPT"] == "a,b"


def test_environ_keeps_the_path_below_the_script_name() -> None:
    from io import BytesIO

    values = environ({**http_scope("/kefu/console/"), "root_path": "/kefu"}, BytesIO())
    assert (values["SCRIPT_NAME"], values["PATH_INFO"]) == ("/kefu", "/console/")
