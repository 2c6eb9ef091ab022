"""``kefu exchange ...``: the demo exchange's data and the REST contract's OpenAPI file.

kefu exchange load [FILE]        replace the demo exchange's data (default: exchange.yaml)
kefu exchange openapi [--out F]  print (or write) the contract as OpenAPI JSON
kefu exchange check USER_ID      look a user up through the configured adapter
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any


def add_commands(commands: Any) -> None:
    parser = commands.add_parser("exchange", help="the exchange back office: demo data, contract")
    actions = parser.add_subparsers(dest="action", required=True)
    load = actions.add_parser("load", help="replace the demo exchange's data")
    load.add_argument("file", nargs="?", type=Path)
    openapi = actions.add_parser("openapi", help="the REST contract as OpenAPI JSON")
    openapi.add_argument("--out", type=Path)
    check = actions.add_parser("check", help="look a user up through the configured adapter")
    check.add_argument("user_id")


def run(arguments: argparse.Namespace) -> int:
    if arguments.action == "load":
        from kefu.exchange.demo.adapter import DATA_FILE, DemoDataError, load_demo_exchange

        try:
            report = load_demo_exchange(arguments.file or DATA_FILE)
        except DemoDataError as error:
            print(f"kefu exchange load: {error}", file=sys.stderr)
            return 1
        print(
            f"demo exchange: {report.networks} networks, {report.accounts} accounts, "
            f"{report.deposits} deposits, {report.withdrawals} withdrawals"
        )
        return 0
    if arguments.action == "openapi":
        text = json.dumps(openapi_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if arguments.out:
            arguments.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    return _check(arguments.user_id)


def openapi_schema() -> dict[str, Any]:
    from kefu.exchange.demo.api import exchange_api

    return dict(exchange_api.get_openapi_schema(path_prefix=""))


def _check(user_id: str) -> int:
    from kefu.exchange.services import exchange
    from kefu.lib.errors import KefuError

    adapter = exchange()
    try:
        profile = adapter.profile(user_id)
        deposits = adapter.deposits(user_id, limit=5)
        withdrawals = adapter.withdrawals(user_id, limit=5)
    except KefuError as error:
        print(f"kefu exchange check: {error.message}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "profile": dataclasses.asdict(profile),
                "deposits": [dataclasses.asdict(row) for row in deposits],
                "withdrawals": [dataclasses.asdict(row) for row in withdrawals],
            },
            default=str,
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0
