"""Replies going out on the channel their conversation came from.

Every public message that is not the customer's (an agent's reply, the bot's answer, the
system's warning) in a conversation of an outbound channel gets an :class:`OutboundDelivery`
row in the same transaction as the message: nothing is lost if the channel, the worker or the
process is down. After the commit a task sends it at once; the channel sweep sends what is due
and retries failures with exponential back-off (30 s, 1 min, 2 min, … up to an hour) until
``MAX_ATTEMPTS``, after which the delivery is marked failed and the agent sees it on the
conversation's timeline. A permanent refusal (the chat no longer exists) fails at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kefu.conversations.events import record_timeline
from kefu.conversations.models import AuthorType, Message, TimelineKind
from kefu.conversations.services.messages import OUTBOUND_CHANNELS
from kefu.intake.adapters import DeliveryError, adapter_for
from kefu.intake.models import ChannelAccount, ChannelThread, DeliveryStatus, OutboundDelivery

logger = logging.getLogger(__name__)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 120
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)


def queue_deliveries(messages: Iterable[Message]) -> list[OutboundDelivery]:
    """Queue the public non-customer messages of outbound-channel conversations; call inside
    the transaction that stores them. Sending starts after the commit."""
    wanted = [
        message
        for message in messages
        if not message.is_internal
        and message.author_type != AuthorType.CUSTOMER
        and message.conversation.channel in OUTBOUND_CHANNELS
    ]
    if not wanted:
        return []
    accounts = dict(
        ChannelThread.objects.filter(
            conversation_id__in={message.conversation_id for message in wanted}
        ).values_list("conversation_id", "account_id")
    )
    now = timezone.now()
    rows = [
        OutboundDelivery(
            account_id=accounts[message.conversation_id],
            message=message,
            next_attempt_at=now,
            created_at=now,
        )
        for message in wanted
        if message.conversation_id in accounts
    ]
    if not rows:
        return []
    created = OutboundDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk is not None]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def _enqueue(ids: list[int]) -> None:
    from kefu.intake.tasks import deliver_replies

    try:
        deliver_replies.enqueue(ids)
    except Exception:
        # The queue is down: the sweep sends them.
        logger.warning(
            "could not queue deliveries %s; the channel sweep sends them", ids, exc_info=True
        )


def deliver(delivery_id: int, *, now: datetime | None = None) -> DeliveryStatus | None:
    """Try to send one delivery that is due; return its status after, or None when it was
    not due or another worker holds it."""
    now = now or timezone.now()
    claimed = OutboundDelivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=delivery_id,
        status__in=PENDING,
        next_attempt_at__lte=now,
        account__is_active=True,
    ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = OutboundDelivery.objects.select_related(
        "account", "message__conversation__customer", "message__author"
    ).get(pk=delivery_id)
    message = delivery.message
    thread = ChannelThread.objects.filter(conversation_id=message.conversation_id).first()
    address = thread.address if thread is not None else {}
    try:
        external_id = adapter_for(delivery.account.kind).deliver(delivery.account, message, address)
    except DeliveryError as error:
        return _failed(delivery, str(error), permanent=error.permanent, now=timezone.now())
    except Exception as error:  # an adapter bug must not stop the others; retried like a fault
        logger.exception("delivering message %s failed", message.pk)
        return _failed(delivery, f"{type(error).__name__}: {error}", permanent=False, now=now)
    sent_at = timezone.now()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT,
        sent_at=sent_at,
        external_id=(external_id or "")[:255],
        claimed_until=None,
        last_error="",
    )
    ChannelAccount.objects.filter(pk=delivery.account_id).update(
        last_outbound_at=sent_at, consecutive_failures=0
    )
    return DeliveryStatus.SENT


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    exponent = max(0, min(attempts - 1, 20))
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2**exponent, MAX_RETRY_SECONDS))


def _failed(
    delivery: OutboundDelivery, reason: str, *, permanent: bool, now: datetime
) -> DeliveryStatus:
    attempts = delivery.attempts
    final = permanent or attempts >= MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        last_error=reason[:300],
        claimed_until=None,
        next_attempt_at=now + retry_delay(attempts),
    )
    record_account_error(delivery.account, reason, now=now)
    if final:
        record_timeline(
            delivery.message.conversation,
            TimelineKind.DELIVERY_FAILED,
            data={"message": delivery.message_id, "reason": reason[:200], "attempts": attempts},
        )
    return status


def record_account_error(account: ChannelAccount, reason: str, *, now: datetime) -> None:
    """Note a failure of the channel (sending or fetching) for its health."""
    ChannelAccount.objects.filter(pk=account.pk).update(
        last_error=reason[:300],
        last_error_at=now,
        consecutive_failures=F("consecutive_failures") + 1,
    )


def retry_now(delivery: OutboundDelivery) -> None:
    """Send a failed or waiting delivery again at once (an agent's "retry")."""
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.RETRYING,
        next_attempt_at=timezone.now(),
        claimed_until=None,
        attempts=0 if delivery.status == DeliveryStatus.FAILED else delivery.attempts,
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: _enqueue([delivery_id]))


def deliver_due(now: datetime | None = None, *, limit: int = 200) -> int:
    """Send the deliveries that are due (oldest first); return how many were sent."""
    now = now or timezone.now()
    due = list(
        OutboundDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status__in=PENDING,
            next_attempt_at__lte=now,
            account__is_active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for delivery_id in due:
        if deliver(delivery_id, now=now) == DeliveryStatus.SENT:
            sent += 1
    return sent
