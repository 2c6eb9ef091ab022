"""Background work of the channels. Each task is safe to run twice: a delivery is claimed
before it is sent, and one that was sent is not due any more."""

from __future__ import annotations

from django_tasks import task

from kefu.intake import outbound
from kefu.intake.models import DeliveryStatus


@task()
def deliver_replies(delivery_ids: list[int]) -> int:
    """Send queued replies now (the channel sweep retries the ones that fail)."""
    return sum(outbound.deliver(delivery_id) == DeliveryStatus.SENT for delivery_id in delivery_ids)
