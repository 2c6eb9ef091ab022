"""Chat relay benchmark: N customer/agent pairs talking through the real websocket consumers.

Every message is persisted (the server acknowledges only after the commit). Each pair keeps
``--window`` customer messages in flight; the agent answers each one, so a round trip stores
two messages. Reported: persisted messages per second, and the delivery latency from one
party's send to the other party's receipt, both directions together.

Modes:
  embedded  one ``kefu run`` process, SQLite, in-memory channel layer
  scaleout  two ``kefu run`` processes on PostgreSQL + Redis; customers connect to the first,
            agents to the second, so every message crosses processes through Redis

    python bench/chat.py --mode both --pairs 10 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.typing import Origin

import harness
from tests.servers import Server, console_session_cookie, fresh_database, kefu_servers

# The benchmark is its own flood: lift the per-connection and per-address limits.
SERVER_SETTINGS = {
    "KEFU_WIDGET_BURST": "100000000",
    "KEFU_RATELIMIT": "false",
    "KEFU_LOG_LEVEL": "WARNING",
}


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    persisted: int = 0
    measuring: bool = False


@dataclass
class Pair:
    index: int
    customer: Any
    agent: Any
    conversation: int = 0
    sent_at: dict[str, float] = field(default_factory=dict)
    in_flight: int = 0
    sequence: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)


async def _next(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if event["type"] == kind:
            return event


async def open_pair(
    index: int, customer_base: str, agent_base: str, cookie: str, http: httpx.AsyncClient
) -> Pair:
    token = (await http.post(customer_base + "/api/v1/widget/session", json={})).json()[
        "visitor_token"
    ]
    customer = await websockets.connect(
        customer_base.replace("http", "ws") + f"/ws/customer/?visitor={token}",
        origin=Origin(customer_base),
        max_queue=None,
    )
    agent = await websockets.connect(
        agent_base.replace("http", "ws") + "/ws/console/",
        origin=Origin(agent_base),
        additional_headers={"Cookie": f"sessionid={cookie}"},
        max_queue=None,
    )
    await _next(customer, "history")
    await _next(agent, "ready")
    await customer.send(json.dumps({"type": "message", "body": "hello", "client_id": f"{index}-o"}))
    conversation = (await _next(customer, "conversation"))["conversation"]["id"]
    await agent.send(json.dumps({"type": "subscribe", "conversation": conversation}))
    await _next(agent, "subscribed")
    return Pair(index, customer, agent, conversation)


async def customer_loop(pair: Pair, stats: Stats, window: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        while pair.in_flight < window and not stop.is_set():
            pair.sequence += 1
            client_id = f"{pair.index}-c{pair.sequence}"
            pair.sent_at[client_id] = time.perf_counter()
            pair.in_flight += 1
            await pair.customer.send(
                json.dumps(
                    {
                        "type": "message",
                        "client_id": client_id,
                        "body": f"USDT充值没到账 #{pair.sequence} txid 0x{pair.sequence:064x}",
                    }
                )
            )
        pair.wake.clear()
        await pair.wake.wait()


async def customer_reader(pair: Pair, stats: Stats) -> None:
    async for raw in pair.customer:
        event = json.loads(raw)
        if event["type"] == "ack" and event.get("created"):
            if stats.measuring:
                stats.persisted += 1
        elif event["type"] == "message" and event["message"]["author_type"] == "agent":
            sent = pair.sent_at.pop(event["message"]["client_id"], None)
            if sent is not None and stats.measuring:
                stats.latencies.append(time.perf_counter() - sent)
            pair.in_flight -= 1
            pair.wake.set()


async def agent_reader(pair: Pair, stats: Stats) -> None:
    async for raw in pair.agent:
        event = json.loads(raw)
        if event["type"] == "ack" and event.get("created"):
            if stats.measuring:
                stats.persisted += 1
        elif event["type"] == "message" and event["message"]["author_type"] == "customer":
            client_id = event["message"]["client_id"]
            sent = pair.sent_at.get(client_id)
            if sent is not None and stats.measuring:
                stats.latencies.append(time.perf_counter() - sent)
            reply_id = "r" + client_id
            pair.sent_at[reply_id] = time.perf_counter()
            await pair.agent.send(
                json.dumps(
                    {
                        "type": "reply",
                        "conversation": pair.conversation,
                        "client_id": reply_id,
                        "body": f"已收到，正在为您查询 ({client_id})",
                    }
                )
            )


async def relay(
    customer: Server, agent: Server, *, pairs: int, seconds: float, window: int, warmup: float
) -> dict[str, Any]:
    cookie = console_session_cookie(agent.url, "tom")
    async with httpx.AsyncClient(timeout=30) as http:
        opened = [await open_pair(i, customer.url, agent.url, cookie, http) for i in range(pairs)]
    stats = Stats()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(coroutine)
        for pair in opened
        for coroutine in (
            customer_reader(pair, stats),
            agent_reader(pair, stats),
            customer_loop(pair, stats, window, stop),
        )
    ]
    await asyncio.sleep(warmup)
    stats.measuring = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    stats.measuring = False
    elapsed = time.perf_counter() - started
    stop.set()
    for pair in opened:
        pair.wake.set()
    for pair in opened:
        await pair.customer.close()
        await pair.agent.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "pairs": pairs,
        "window": window,
        "seconds": round(elapsed, 1),
        "persisted_messages": stats.persisted,
        "messages_per_second": round(stats.persisted / elapsed, 1),
        "delivery_latency": harness.summary_ms(stats.latencies),
    }


@contextmanager
def servers_for(
    mode: str,
    database_url: str,
    redis_url: str,
    settings: dict[str, str],
    *,
    background: bool = False,
) -> Iterator[tuple[Server, Server]]:
    """Embedded: one ``kefu run``, its task and analysis workers included. Scale-out: two
    servers as the README deploys them (``--no-worker``: workers run elsewhere), unless
    ``background``, which puts the workers on the same cores too."""
    if mode == "embedded":
        with kefu_servers(1, settings=settings) as (only,):
            yield only, only
        return
    with (
        fresh_database(database_url) as database,
        kefu_servers(
            2,
            database_url=database,
            redis_url=redis_url,
            settings=settings,
            background=background,
        ) as (a, b),
    ):
        yield a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["embedded", "scaleout", "both"], default="both")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument(
        "--window", default="1,2,3,4", help="customer messages in flight per pair (a list sweeps)"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure the simple alternative: each message in its own transaction",
    )
    parser.add_argument("--database-url", default=harness.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    parser.add_argument(
        "--workers-in-servers",
        action="store_true",
        help="scale-out: run the task and analysis workers inside the two servers",
    )
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    modes = ["embedded", "scaleout"] if arguments.mode == "both" else [arguments.mode]
    windows = [int(window) for window in arguments.window.split(",")]
    variants = {"batched": SERVER_SETTINGS}
    if arguments.compare:
        variants["one_transaction_per_message"] = {**SERVER_SETTINGS, "KEFU_CHAT_WRITE_BATCH": "1"}
    results: dict[str, Any] = {}
    for mode in modes:
        for variant, settings in variants.items():
            runs = []
            for window in windows:
                with servers_for(
                    mode,
                    arguments.database_url,
                    arguments.redis_url,
                    settings,
                    background=arguments.workers_in_servers,
                ) as (
                    first,
                    second,
                ):
                    runs.append(
                        asyncio.run(
                            relay(
                                first,
                                second,
                                pairs=arguments.pairs,
                                seconds=arguments.seconds,
                                window=window,
                                warmup=arguments.warmup,
                            )
                        )
                    )
            results[f"{mode}/{variant}"] = runs
    results["workers_in_servers"] = arguments.workers_in_servers
    harness.report("chat relay", results, as_json=arguments.json)


if __name__ == "__main__":
    main()
