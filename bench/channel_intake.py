"""Channels benchmark: how fast messages come in through a channel, how cheap a redelivery is,
and what the phishing link check costs per chat message, each next to the simple alternative.

1. Inbound: ``--messages`` signed webhook calls (``POST /api/v1/channels/webhook/{id}/messages``,
   through Django's full request handling in this process, no network), spread over
   ``--threads`` partner threads so most continue a conversation; then every one of them
   delivered again (the partner's retries), which must store nothing. The simple alternative
   is the same messages written straight through ``post_customer_message`` into the same
   number of conversations: no HTTP, no signature, no idempotency, no thread lookup.
2. Links: ``--texts`` customer messages of the NLU's test split, with a link added to every
   fifth one (a phishing domain from the list, an official one, an unknown one, in turn),
   through ``check_message_links``; next to a naive loop that searches each message for each
   domain of the block list.

SQLite in this process (a fresh data directory), like the embedded default. Run it as
``python bench/channel_intake.py`` (``--json`` prints one JSON object as the last line).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

if "KEFU_DATA_DIR" not in os.environ:  # (setdefault would make a directory either way)
    os.environ["KEFU_DATA_DIR"] = tempfile.mkdtemp(prefix="kefu-bench-channels-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
os.environ["KEFU_NLU"] = "false"
os.environ["KEFU_BOT"] = "false"
os.environ["KEFU_FAST_PASSWORD_HASHER"] = "true"  # noqa: S105 - a switch, not a password

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from kefu.conversations import services as conversations  # noqa: E402
from kefu.conversations.models import Channel, Message  # noqa: E402
from kefu.intake.models import ChannelAccount, ChannelKind  # noqa: E402
from kefu.intake.phishing import check_message_links, phishing_lists  # noqa: E402
from kefu.lib.signing import HEADER, signature_header  # noqa: E402

SECRET = "bench-secret-of-the-partner-0123456789"  # noqa: S105 - a benchmark's own
TEXTS = Path(__file__).resolve().parent.parent / "src/kefu/nlu/data/messages"


def _body(index: int, threads: int) -> bytes:
    document = {
        "message_id": f"m-{index}",
        "thread_id": f"t-{index % threads}",
        "sender": {"id": f"u-{index % threads}", "name": "Bench"},
        "text": f"我的USDT充值还没到账 #{index}, TXID 0x{index:064x}",
    }
    return json.dumps(document).encode("utf-8")


def _post(client: Client, account: ChannelAccount, body: bytes) -> int:
    headers = {HEADER: signature_header(SECRET, int(time.time()), body)}
    response = client.post(
        f"/api/v1/channels/webhook/{account.pk}/messages",
        body,
        content_type="application/json",
        headers=headers,
    )
    return response.status_code


def inbound(messages: int, threads: int) -> dict[str, Any]:
    account = ChannelAccount.objects.create(
        kind=ChannelKind.WEBHOOK, name="bench", config={"secret": SECRET}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    bodies = [_body(index, threads) for index in range(messages)]
    # Warm: the first request imports the URL configuration and the API.
    _post(client, account, json.dumps({**json.loads(_body(-1, 1)), "thread_id": "w"}).encode())
    timings, statuses = [], []
    started = time.perf_counter()
    for body in bodies:
        began = time.perf_counter()
        statuses.append(_post(client, account, body))
        timings.append(time.perf_counter() - began)
    first = time.perf_counter() - started
    stored = Message.objects.count()
    again_timings: list[float] = []
    started = time.perf_counter()
    for body in bodies:
        began = time.perf_counter()
        statuses.append(_post(client, account, body))
        again_timings.append(time.perf_counter() - began)
    again = time.perf_counter() - started
    if not set(statuses) <= {200, 201}:
        raise SystemExit(f"the webhook refused messages: {sorted(set(statuses))}")
    if not Message.objects.count() == stored == messages + 1:
        raise SystemExit(f"redeliveries were stored: {stored} then {Message.objects.count()}")
    # The simple alternative: the same writes straight into conversations.
    customer = conversations.identify_customer(email="bench@example.com")
    opened = [
        conversations.start_conversation(
            customer=customer, channel=Channel.API, body="first"
        ).conversation.pk
        for _ in range(threads)
    ]
    direct_timings = []
    started = time.perf_counter()
    for index in range(messages):
        began = time.perf_counter()
        conversations.post_customer_message(
            opened[index % threads], body=f"我的USDT充值还没到账 #{index}"
        )
        direct_timings.append(time.perf_counter() - began)
    direct = time.perf_counter() - started
    return {
        "messages": messages,
        "threads": threads,
        "signed webhook, new": {
            "messages_per_second": round(messages / first),
            **harness.summary_ms(timings),
        },
        "signed webhook, redelivered (nothing stored)": {
            "messages_per_second": round(messages / again),
            **harness.summary_ms(again_timings),
        },
        "post_customer_message directly (baseline)": {
            "messages_per_second": round(messages / direct),
            **harness.summary_ms(direct_timings),
        },
    }


def _texts(count: int) -> list[str]:
    texts: list[str] = []
    for path in sorted(TEXTS.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            texts.append(line.split("\t")[0])
    random.Random(7).shuffle(texts)
    blocked = sorted(phishing_lists().blacklist)
    links = [f"https://{blocked[0]}/login", "https://novaex.example/help", "see bit.example.org"]
    chosen = texts[:count]
    return [
        f"{text} {links[(index // 5) % len(links)]}" if index % 5 == 0 else text
        for index, text in enumerate(chosen)
    ]


def links(count: int) -> dict[str, Any]:
    texts = _texts(count)
    check_message_links(texts[0])  # loads the lists once
    started = time.perf_counter()
    flagged = sum(
        any(finding.is_dangerous for finding in check_message_links(text)) for text in texts
    )
    checked = time.perf_counter() - started
    blocked = sorted(phishing_lists().blacklist)
    started = time.perf_counter()
    naive = sum(any(domain in text.lower() for domain in blocked) for text in texts)
    looped = time.perf_counter() - started
    return {
        "texts": len(texts),
        "block list domains": len(blocked),
        "check_message_links": {
            "flagged": flagged,
            "microseconds_per_message": round(checked / len(texts) * 1e6, 1),
        },
        "naive substring loop (baseline)": {
            "flagged": naive,
            "microseconds_per_message": round(looped / len(texts) * 1e6, 1),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    call_command("migrate", verbosity=0)
    results = {
        "inbound (SQLite)": inbound(arguments.messages, arguments.threads),
        "links": links(arguments.texts),
    }
    harness.report("channels", results, as_json=arguments.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
