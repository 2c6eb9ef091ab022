"""Django's HTTP pages and API served under the ASGI server, in one hop to a worker thread.

Kefu's views are synchronous (the ORM is). Django's own ASGI handler runs them in a new thread
per request and moves between that thread and the event loop several times (around each
middleware that is not synchronous, around the view, per response chunk), and a new thread
means a new database connection. Here each HTTP request hands the WSGI application (the same
middleware and views) to a pool of worker threads once: the whole request runs there, with the
thread's database connection kept between requests, and the response comes back in one piece.
Websockets stay with Channels on the event loop.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from asgiref.sync import SyncToAsync
from django.conf import settings

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIReceive = Callable[[], Any]
ASGISend = Callable[[dict[str, Any]], Any]
SPOOL_BYTES = 1024 * 1024


@dataclass
class _Response:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.HTTP_THREADS, thread_name_prefix="kefu-http")


class ThreadedWsgi:
    """An ASGI application that runs a WSGI application on the worker-thread pool."""

    def __init__(self, application: WsgiApp) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] != "http":
            raise ValueError(f"{type(self).__name__} serves HTTP only, not {scope['type']}")
        with SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body.write(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body.seek(0)
            run = SyncToAsync(self._run, thread_sensitive=False, executor=_executor())
            response = await run(scope, body)
        await send(
            {"type": "http.response.start", "status": response.status, "headers": response.headers}
        )
        for chunk in response.chunks[:-1]:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send(
            {"type": "http.response.body", "body": response.chunks[-1] if response.chunks else b""}
        )

    def _run(self, scope: dict[str, Any], body: IO[bytes]) -> _Response:
        response = _Response()

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            response.status = int(status.split(" ", 1)[0])
            response.headers = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]

        result = self.application(environ(scope, body), start_response)
        try:
            response.chunks = [chunk for chunk in result if chunk]
        finally:
            # Closing the response fires request_finished: database connections are tidied up.
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return response


def environ(scope: dict[str, Any], body: IO[bytes]) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP scope."""
    script_name = scope.get("root_path", "").encode("utf-8").decode("latin-1")
    path = scope["path"].encode("utf-8").decode("latin-1")
    if script_name and path.startswith(script_name):
        path = path[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    values: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        values["REMOTE_ADDR"] = scope["client"][0]
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1")
        if "_" in name:
            # "X_Forwarded_For" would pass for "X-Forwarded-For" in the environ: drop it.
            continue
        value = raw_value.decode("latin-1")
        if name == "content-length":
            key = "CONTENT_LENGTH"
        elif name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        values[key] = f"{values[key]},{value}" if key in values else value
    return values
