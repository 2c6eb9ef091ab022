"""REST API benchmark: ticket creation under concurrency, and listing the newest conversations
as the table grows (1,000 to 100,000 rows).

For each database (SQLite embedded, one process; PostgreSQL + Redis, ``--workers`` processes of
one ``kefu run``), a load generator keeps ``--clients`` keep-alive connections busy:

1. ``POST /api/v1/tickets`` for ``--seconds`` (ticket creates per second, latency);
2. the table is grown step by step (bench/seed.py) and at each size the staff endpoint lists
   the newest 20 conversations, as an administrator (every queue) and as an agent (two queues),
   with ``--clients`` connections (throughput) and with one (latency of a lone request);
3. for scale: ``GET /brand.css``, a request that does no database work, on the same server.

The load generator is wrk (Debian: ``apt-get install wrk``), so the client's own CPU cost is
small; without wrk a Python (httpx) generator is used and the report says so.

    python bench/api.py --mode both
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

import harness
from tests.servers import Server, console_session_cookie, fresh_database, kefu_servers

SERVER_SETTINGS = {"KEFU_RATELIMIT": "false", "KEFU_LOG_LEVEL": "WARNING"}
SEED = Path(__file__).with_name("seed.py")
TICKET_BODY = "我的USDT提现一直在处理中，请帮我查一下 / my USDT withdrawal is still pending"
LIST_PATH = "/api/v1/staff/conversations?limit=20&status=any"

WRK_SCRIPT = """
counter = 0
request = function()
  if wrk.method == "POST" then
    counter = counter + 1
    local body = string.format(
      '{"email":"bench%d@example.com","name":"Bench","subject":"Withdrawal %d pending",'
      .. '"body":"BODY"}', counter % 5000, counter)
    return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format(nil, nil)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'KEFU_RESULT {"requests": %d, "errors": %d, "seconds": %f, '
    .. '"p50_ms": %f, "p95_ms": %f, "p99_ms": %f, "mean_ms": %f}\\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.mean / 1e3))
end
"""


def wrk_load(
    url: str, clients: int, seconds: float, *, method: str = "GET", token: str = ""
) -> dict[str, Any]:
    """Drive ``url`` with wrk; requests per second and latency percentiles."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "{method}"\n' + WRK_SCRIPT.replace("BODY", TICKET_BODY))
    command = [
        "wrk",
        "-t",
        str(min(2, clients)),
        "-c",
        str(clients),
        "-d",
        f"{max(1, round(seconds))}s",
        "-s",
        script.name,
        "--timeout",
        "10s",
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run(  # noqa: S603 - a fixed command line
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    Path(script.name).unlink()
    match = re.search(r"KEFU_RESULT (\{.*\})", output)
    if match is None:
        raise RuntimeError(f"wrk gave no result:\n{output}")
    raw = json.loads(match.group(1))
    return {
        "requests_per_second": round(raw["requests"] / raw["seconds"], 1),
        "errors": raw["errors"],
        "latency": {key: round(raw[key], 2) for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")}
        | {"n": raw["requests"]},
    }


async def python_load(
    url: str, clients: int, seconds: float, *, method: str = "GET", token: str = ""
) -> dict[str, Any]:
    """The same measurement with httpx, for machines without wrk (the client costs more CPU)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def client_loop(number: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(headers=headers, timeout=30) as client:
            sequence = 0
            while time.perf_counter() < deadline:
                sequence += 1
                started = time.perf_counter()
                if method == "POST":
                    response = await client.post(
                        url,
                        json={
                            "email": f"bench{(number * 100_000 + sequence) % 5000}@example.com",
                            "name": "Bench",
                            "subject": f"Withdrawal {sequence} pending",
                            "body": TICKET_BODY,
                        },
                    )
                else:
                    response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "latency": harness.summary_ms(latencies),
    }


def load(url: str, clients: int, seconds: float, **options: str) -> dict[str, Any]:
    if shutil.which("wrk"):
        return wrk_load(url, clients, seconds, **options)
    return asyncio.run(python_load(url, clients, seconds, **options))


def staff_token(server: Server, username: str) -> str:
    """Create an API token through the console's profile page, as the staff member would."""
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


def measure(
    server: Server, *, clients: int, seconds: float, sizes: list[int], warmup: float
) -> dict[str, Any]:
    # A fresh process first imports code, fills its connection pools and prepares statements:
    # warm it up with the same load before measuring.
    load(server.url + "/api/v1/tickets", clients, warmup, method="POST")
    creates = load(server.url + "/api/v1/tickets", clients, seconds, method="POST")
    baseline = load(server.url + "/brand.css", clients, seconds / 2)
    tokens = {"admin": staff_token(server, "admin"), "agent": staff_token(server, "tom")}
    listing: dict[str, Any] = {}
    rows = 10 + creates["latency"]["n"] * (1 + warmup / seconds)
    for size in sizes:
        rows = grow_to(server, int(rows), size)
        load(server.url + LIST_PATH, clients, warmup / 3, token=tokens["admin"])
        listing[str(size)] = {
            who: {
                f"{clients}_clients": load(
                    server.url + LIST_PATH, clients, seconds / 2, token=token
                ),
                "1_client": load(server.url + LIST_PATH, 1, seconds / 2, token=token),
            }
            for who, token in tokens.items()
        }
    return {
        "clients": clients,
        "load_generator": "wrk" if shutil.which("wrk") else "httpx",
        "ticket_create": creates,
        "no_database_request_brand_css": baseline,
        "list_newest_20_by_table_size": listing,
    }


@contextmanager
def server_for(
    mode: str, database_url: str, redis_url: str, workers: int, *, background: bool = False
) -> Iterator[Server]:
    """Embedded: one ``kefu run``, its task and analysis workers included. Scale-out: the
    server as the README deploys it (``--no-worker``), unless ``background``."""
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
            background=background,
        ) as (server,),
    ):
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["embedded", "scaleout", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before measuring")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes in scale-out mode (kefu run)"
    )
    parser.add_argument("--database-url", default=harness.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    parser.add_argument(
        "--workers-in-servers",
        action="store_true",
        help="scale-out: run the task and analysis workers inside the server",
    )
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    modes = ["embedded", "scaleout"] if arguments.mode == "both" else [arguments.mode]
    results: dict[str, Any] = {}
    for mode in modes:
        with server_for(
            mode,
            arguments.database_url,
            arguments.redis_url,
            arguments.workers,
            background=arguments.workers_in_servers,
        ) as server:
            results[mode] = measure(
                server,
                clients=arguments.clients,
                seconds=arguments.seconds,
                sizes=sizes,
                warmup=arguments.warmup,
            )
            if mode == "scaleout":
                results[mode]["workers"] = arguments.workers
                results[mode]["workers_in_servers"] = arguments.workers_in_servers
    harness.report("REST API", results, as_json=arguments.json)


if __name__ == "__main__":
    main()
