"""``kefu risk ...``: ingest events from a file, load screening lists, screen an address.

kefu risk ingest FILE.jsonl                          one event per line (see docs/risk.md)
kefu risk load-list --list ofac|scam FILE [--asset ASSET] [--source NAME]
kefu risk screen ADDRESS [--asset ASSET]
kefu risk consume [--stream NAME] [--name CONSUMER]  read events from the Redis Stream (REDIS_URL)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

MAX_LINE_BYTES = 64 * 1024


def add_commands(commands: Any) -> None:
    risk = commands.add_parser("risk", help="risk events and address screening")
    actions = risk.add_subparsers(dest="action", required=True)
    ingest = actions.add_parser("ingest", help="store the events of a JSON Lines file")
    ingest.add_argument("file", type=Path)
    load = actions.add_parser("load-list", help="replace a screening list from a file")
    load.add_argument("--list", dest="list_name", choices=["ofac", "scam"], required=True)
    load.add_argument("file", type=Path)
    load.add_argument("--asset", help="the asset the addresses are listed under (e.g. ETH)")
    load.add_argument("--source", help="name of the source (default: the file's name)")
    consume = actions.add_parser("consume", help="read events from the Redis Stream until stopped")
    consume.add_argument("--stream", default="kefu:risk:events")
    consume.add_argument("--name", default="", help="this consumer's name (default: host-pid)")
    screen = actions.add_parser("screen", help="look an address up on every list")
    screen.add_argument("address")
    screen.add_argument("--asset", default="")


def run(arguments: argparse.Namespace) -> int:
    if arguments.action == "ingest":
        return _ingest(arguments.file)
    if arguments.action == "load-list":
        return _load_list(arguments)
    if arguments.action == "consume":
        return _consume(arguments.stream, arguments.name)
    return _screen(arguments.address, arguments.asset)


def _ingest(path: Path) -> int:
    from kefu.risk.errors import RejectionCode
    from kefu.risk.models import EventSource
    from kefu.risk.services import MAX_BATCH_EVENTS, ingest_events

    try:
        handle = path.open("rb")
    except OSError as error:
        print(f"kefu risk ingest: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    accepted = duplicates = rejected = 0
    with handle:
        batch: list[object] = []
        lines: list[int] = []
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            event, problem = _parse_line(raw)
            if problem:
                rejected += 1
                print(f"line {number}: {RejectionCode.INVALID_JSON}: {problem}")
                continue
            batch.append(event)
            lines.append(number)
            if len(batch) == MAX_BATCH_EVENTS:
                counts = _send(batch, lines, ingest_events, EventSource.FILE)
                accepted, duplicates, rejected = _add((accepted, duplicates, rejected), counts)
                batch, lines = [], []
        if batch:
            counts = _send(batch, lines, ingest_events, EventSource.FILE)
            accepted, duplicates, rejected = _add((accepted, duplicates, rejected), counts)
    print(f"accepted {accepted}, duplicates {duplicates}, rejected {rejected}")
    return 1 if rejected else 0


def _parse_line(raw: bytes) -> tuple[object, str]:
    if len(raw) > MAX_LINE_BYTES:
        return None, f"longer than {MAX_LINE_BYTES} bytes"
    try:
        return json.loads(raw), ""
    except (ValueError, RecursionError):
        return None, "not valid JSON"


def _send(batch: list[object], lines: list[int], ingest: Any, source: Any) -> tuple[int, int, int]:
    report = ingest(batch, source=source)
    for rejection in report.rejected:
        print(f"line {lines[rejection.index]}: {rejection.code}: {rejection.message}")
    for hit in report.screening_hits:
        print(
            f"screening hit: {hit.event_id} {hit.address} is on the {hit.list} list ({hit.label})"
        )
    return len(report.accepted), len(report.duplicates), len(report.rejected)


def _add(totals: tuple[int, int, int], counts: tuple[int, int, int]) -> tuple[int, int, int]:
    return totals[0] + counts[0], totals[1] + counts[1], totals[2] + counts[2]


def _load_list(arguments: argparse.Namespace) -> int:
    from kefu.risk.errors import ScreeningListInvalid
    from kefu.risk.models import ScreeningList
    from kefu.risk.services import load_screening_list

    try:
        version = load_screening_list(
            ScreeningList(arguments.list_name),
            arguments.file,
            asset=arguments.asset,
            source=arguments.source,
            loaded_by="cli",
        )
    except ScreeningListInvalid as error:
        print(f"kefu risk load-list: {error}", file=sys.stderr)
        return 1
    print(
        f"{version.list} {version.asset} from {version.source}: {version.count} addresses "
        f"(sha256 {version.sha256})"
    )
    return 0


def _screen(address: str, asset: str) -> int:
    from kefu.risk.screening import screen_address

    result = screen_address(address, asset)
    if not result.is_listed:
        print(f"{result.normalised}: not on any loaded list")
        return 0
    for match in result.matches:
        label = f" ({match.label})" if match.label else ""
        print(f"{result.normalised}: {match.list} list, {match.asset}{label}, from {match.source}")
    return 1


def _consume(stream: str, name: str) -> int:
    import os
    import signal
    import socket
    import threading

    from django.conf import settings

    from kefu.risk.stream import connect, consume_forever

    if not settings.REDIS_URL:
        print("kefu risk consume needs REDIS_URL (the stream lives in Redis).", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    consumer = name or f"{socket.gethostname()}-{os.getpid()}"
    print(f"Reading {stream} as {consumer}; stop with Ctrl-C.", flush=True)
    try:
        consume_forever(connect(settings.REDIS_URL), consumer, stop, stream=stream)
    except KeyboardInterrupt:
        stop.set()
    return 0
