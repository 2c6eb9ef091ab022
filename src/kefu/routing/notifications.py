"""Staff notifications: stored for the console's list and pushed live to the recipient's
consoles. Any app may notify staff through :func:`notify`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations.events import agent_group
from kefu.lib.live import LiveEvent, publish_on_commit
from kefu.routing.models import Notification, NotificationKind


def notify(
    recipients: Iterable[User],
    kind: NotificationKind,
    *,
    conversation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Store one notification per distinct active recipient and push each after the commit.

    ``data`` is what the text is made from when shown (in the reader's language): keep it to
    ids, enum values and short strings.
    """
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user, kind=kind, conversation_id=conversation_id, data=data or {}
            )
        )
    created = Notification.objects.bulk_create(rows)
    for row in created:
        publish_on_commit(
            LiveEvent(
                (agent_group(row.recipient_id),),
                {
                    "type": "notification",
                    "kind": str(kind),
                    "conversation": conversation_id,
                    "data": data or {},
                },
            )
        )
    return created


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all when no ids are given); returns how many."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=timezone.now())
