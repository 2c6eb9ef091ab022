"""Real Kefu server processes for end-to-end tests: ``kefu run`` on loopback ports.

Each server set gets its own data directory, and on PostgreSQL its own database, so tests
never share state with the test database or with each other.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

import pytest

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scaleout_urls() -> tuple[str, str] | None:
    database, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    return (database, redis) if database and redis else None


def require_scaleout() -> tuple[str, str]:
    urls = scaleout_urls()
    if urls is None:
        if os.environ.get("KEFU_REQUIRE_SCALEOUT"):
            pytest.fail("KEFU_REQUIRE_SCALEOUT is set but DATABASE_URL/REDIS_URL are not")
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    return urls


@contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to the one in ``database_url``."""
    import psycopg

    name = f"kefu_e2e_{secrets.token_hex(4)}"
    parts = urlsplit(database_url)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(
    data_dir: Path, *, database_url: str = "", redis_url: str = ""
) -> dict[str, str]:
    """The environment of a server process: the caller's, minus the test suite's own settings."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KEFU_")
        and k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(
        {
            "KEFU_DATA_DIR": str(data_dir),
            "SECRET_KEY": "e2e-" + secrets.token_hex(16),
            "KEFU_REDIS_PREFIX": f"kefu-e2e-{secrets.token_hex(4)}",
            # The default language model is trained once per machine, not once per server.
            "KEFU_MODELS_DIR": str(Path(tempfile.gettempdir()) / "kefu-test-models"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        environment["DATABASE_URL"] = database_url
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


def kefu_command(*arguments: str) -> list[str]:
    """The ``kefu`` command line, run with this interpreter."""
    return [sys.executable, "-m", "kefu.cli", *arguments]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    environment: dict[str, str]

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            with urlopen(server.url + "/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not become healthy:\n{server.output()}")


@contextmanager
def kefu_servers(
    count: int = 1,
    *,
    database_url: str = "",
    redis_url: str = "",
    settings: dict[str, str] | None = None,
    workers: int = 1,
    background: bool = True,
) -> Iterator[list[Server]]:
    """Load the demo once, then start ``count`` servers sharing one database. Without
    ``background`` they run as scale-out servers do (``--no-worker``: no task or analysis
    worker in them)."""
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-e2e-"))
    environment = server_environment(data_dir, database_url=database_url, redis_url=redis_url)
    environment.update(settings or {})
    subprocess.run(  # noqa: S603 - our own command line
        kefu_command("demo"),
        env=environment,
        check=True,
        capture_output=True,
        timeout=180,
    )
    servers: list[Server] = []
    try:
        for index in range(count):
            port = free_port()
            log = data_dir / f"server-{index}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(  # noqa: S603 - our own command line
                    kefu_command(
                        "run",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--no-demo",
                        "--workers",
                        str(workers),
                        *(() if background else ("--no-worker",)),
                    ),
                    env=environment,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            servers.append(Server(f"http://127.0.0.1:{port}", process, log, environment))
        for server in servers:
            wait_until_healthy(server)
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def console_session_cookie(base: str, username: str) -> str:
    """Sign a demo agent in through the real pages (password, then TOTP); return the session."""
    import re

    import httpx
    import pyotp

    from kefu.demo_staff import DEMO_PASSWORD, STAFF

    secret = next(person.totp_secret for person in STAFF if person.username == username)
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as client:

        def post_form(path: str, data: dict[str, str]) -> httpx.Response:
            page = client.get(path)
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            if csrf is None:
                raise RuntimeError(f"no CSRF token on {path}")
            return client.post(
                path, data={"csrfmiddlewaretoken": csrf.group(1), **data}, headers={"Referer": base}
            )

        step = post_form("/console/auth/login/", {"username": username, "password": DEMO_PASSWORD})
        if step.headers.get("location") != "/console/auth/verify/":
            raise RuntimeError(f"password step failed: {step.status_code}")
        done = post_form("/console/auth/verify/", {"code": pyotp.TOTP(secret).now()})
        if done.status_code != 302:
            raise RuntimeError(f"code step failed: {done.status_code}")
        return str(client.cookies["sessionid"])
