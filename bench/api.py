"""REST API benchmark: ticket creation under concurrency, and listing the newest conversations
as the table grows (1,000 to 100,000 rows).

For each database (SQLite embedded; PostgreSQL + Redis) one ``kefu run`` process serves the
API. ``--clients`` concurrent HTTP clients (keep-alive) create tickets for ``--seconds``; then the
table is grown step by step with bench/seed.py and, at each size, clients list the newest 20
conversations through the staff endpoint, as an administrator (every queue) and as an agent
(two queues).

    python bench/api.py --mode both
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

import harness
from tests.servers import Server, console_session_cookie, fresh_database, kefu_servers

SERVER_SETTINGS = {"KEFU_RATELIMIT": "false", "KEFU_LOG_LEVEL": "WARNING"}
SEED = Path(__file__).with_name("seed.py")


async def load(
    base: str,
    clients: int,
    seconds: float,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``clients`` loops of ``request`` for ``seconds``; latency and throughput."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(number: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
            sequence = 0
            while time.perf_counter() < deadline:
                sequence += 1
                started = time.perf_counter()
                response = await request(client, number * 1_000_000 + sequence)
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 400:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "latency": harness.summary_ms(latencies),
    }


async def create_ticket(client: httpx.AsyncClient, number: int) -> httpx.Response:
    return await client.post(
        "/api/v1/tickets",
        json={
            "email": f"bench{number % 5000}@example.com",
            "name": "Bench",
            "subject": f"Withdrawal {number} pending",
            "body": "我的USDT提现一直在处理中，请帮我查一下 / my USDT withdrawal is still pending",
        },
    )


async def list_newest(client: httpx.AsyncClient, number: int) -> httpx.Response:
    return await client.get("/api/v1/staff/conversations?limit=20&status=any")


def staff_token(server: Server, username: str) -> str:
    """Create an API token through the console's profile page, as the staff member would."""
    import re

    cookie = console_session_cookie(server.url, username)
    with httpx.Client(base_url=server.url, cookies={"sessionid": cookie}, timeout=30) as client:
        page = client.get("/console/profile/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if csrf is None:
            raise RuntimeError("no CSRF token on the profile page")
        created = client.post(
            "/console/profile/",
            data={"csrfmiddlewaretoken": csrf.group(1), "name": "bench"},
            headers={"Referer": server.url},
        )
        token = re.search(r'id="new-token">(kefu_[^<]+)<', created.text)
        if token is None:
            raise RuntimeError("the profile page did not show a new token")
        return token.group(1)


def grow_to(server: Server, current: int, target: int) -> int:
    if target > current:
        subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(SEED), "--conversations", str(target - current)],
            env=server.environment,
            check=True,
            capture_output=True,
        )
    return max(current, target)


def measure(server: Server, *, clients: int, seconds: float, sizes: list[int]) -> dict[str, Any]:
    creates = asyncio.run(load(server.url, clients, seconds, create_ticket))
    tokens = {"admin": staff_token(server, "admin"), "agent": staff_token(server, "tom")}
    listing: dict[str, Any] = {}
    rows = 10 + int(creates["requests_per_second"] * seconds)
    for size in sizes:
        rows = grow_to(server, rows, size)
        listing[str(size)] = {
            who: asyncio.run(
                load(
                    server.url,
                    clients,
                    seconds / 2,
                    list_newest,
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            for who, token in tokens.items()
        }
    return {"clients": clients, "ticket_create": creates, "list_newest_20_by_table_size": listing}


@contextmanager
def server_for(mode: str, database_url: str, redis_url: str, workers: int) -> Iterator[Server]:
    if mode == "embedded":
        with kefu_servers(1, settings=SERVER_SETTINGS) as (server,):
            yield server
        return
    with (
        fresh_database(database_url) as database,
        kefu_servers(
            1,
            database_url=database,
            redis_url=redis_url,
            settings=SERVER_SETTINGS,
            workers=workers,
        ) as (server,),
    ):
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["embedded", "scaleout", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes in scale-out mode (kefu run)"
    )
    parser.add_argument("--database-url", default=harness.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    modes = ["embedded", "scaleout"] if arguments.mode == "both" else [arguments.mode]
    results: dict[str, Any] = {}
    for mode in modes:
        with server_for(
            mode, arguments.database_url, arguments.redis_url, arguments.workers
        ) as server:
            results[mode] = measure(
                server, clients=arguments.clients, seconds=arguments.seconds, sizes=sizes
            )
    harness.report("REST API", results, as_json=arguments.json)


if __name__ == "__main__":
    main()
