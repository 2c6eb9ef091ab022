"""Fill a Kefu database with N conversations quickly, for benchmarks of large tables.

Rows are written with bulk inserts, not through the services: a hundred thousand conversations
through the full write path would take longer than the benchmark itself. Run with the same
environment (DATABASE_URL or KEFU_DATA_DIR) as the server under test:

    python bench/seed.py --conversations 100000
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from datetime import timedelta

import harness  # noqa: F401 - puts src/ on sys.path

BATCH = 5000


def seed(total: int, seed_value: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from kefu.conversations.models import (
        AuthorType,
        Channel,
        Conversation,
        Customer,
        Message,
        Priority,
        Status,
    )
    from kefu.lib.taxonomy import queues

    rng = random.Random(seed_value)
    batch_id = secrets.token_hex(4)
    now = timezone.now()
    queue_names = list(queues())
    statuses = [Status.OPEN] * 3 + [Status.PENDING, Status.RESOLVED, Status.CLOSED] * 2
    customers = [
        Customer(
            external_id=f"seed-{batch_id}-{n}",
            name=f"Seed customer {n}",
            email=f"seed{n}@example.com",
            language=rng.choice(["en", "zh"]),
        )
        for n in range(max(1, total // 5))
    ]
    with transaction.atomic():
        customers = Customer.objects.bulk_create(customers, batch_size=BATCH)
    made = 0
    while made < total:
        count = min(BATCH, total - made)
        rows = []
        for _ in range(count):
            at = now - timedelta(seconds=rng.randint(0, 90 * 24 * 3600))
            rows.append(
                Conversation(
                    customer=rng.choice(customers),
                    channel=rng.choice(Channel.values),
                    status=rng.choice(statuses),
                    priority=rng.choice(Priority.values),
                    queue=rng.choice(queue_names),
                    subject=f"Seeded question {made}",
                    tracking_token=secrets.token_urlsafe(24),
                    last_message_at=at,
                    message_count=1,
                )
            )
        with transaction.atomic():
            created = Conversation.objects.bulk_create(rows, batch_size=BATCH)
            Message.objects.bulk_create(
                [
                    Message(
                        conversation=c,
                        author_type=AuthorType.CUSTOMER,
                        body=c.subject,
                        language="en",
                    )
                    for c in created
                ],
                batch_size=BATCH,
            )
        made += count
    # Production databases keep their statistics fresh (autovacuum); a bulk load must do it now.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    started = time.perf_counter()
    seed(arguments.conversations, arguments.seed)
    sys.stdout.write(f"seeded {arguments.conversations} in {time.perf_counter() - started:.1f}s\n")


if __name__ == "__main__":
    main()
