"""``kefu channels ...``: run the SMTP receiving endpoint, poll the channels once.

kefu channels smtp-server [--host 127.0.0.1] [--port 2525]   receive support mail over SMTP
kefu channels poll                          fetch what is new on every polling account, once
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def add_commands(commands: Any) -> None:
    channels = commands.add_parser("channels", help="the channels customers write on")
    actions = channels.add_subparsers(dest="action", required=True)
    server = actions.add_parser(
        "smtp-server", help="receive support mail over SMTP for the email accounts' addresses"
    )
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=2525)
    actions.add_parser("poll", help="fetch new messages of every active polling account once")


def run(arguments: argparse.Namespace) -> int:
    if arguments.action == "smtp-server":
        return _smtp_server(arguments.host, arguments.port)
    return _poll()


def _smtp_server(host: str, port: int) -> int:
    from kefu.intake.channels.email.smtp_server import smtp_controller

    controller = smtp_controller(host, port)
    try:
        controller.start()
    except (OSError, RuntimeError) as error:
        print(
            f"kefu channels smtp-server: cannot listen on {host}:{port}: {error}", file=sys.stderr
        )
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    print(f"Receiving support mail on {host}:{port}; stop with Ctrl-C.", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def _poll() -> int:
    from kefu.intake.adapters import adapter_for
    from kefu.intake.models import ChannelAccount
    from kefu.intake.schedule import poll_due

    fetched = poll_due(force=True)
    failed = 0
    for account in ChannelAccount.objects.filter(is_active=True).order_by("pk"):
        if not adapter_for(account.kind).polls:
            continue
        if account.pk in fetched:
            print(f"{account}: {fetched[account.pk]} new")
        else:
            failed += 1
            print(f"{account}: failed: {account.last_error}")
    return 1 if failed else 0
