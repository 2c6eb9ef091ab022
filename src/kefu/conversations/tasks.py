"""Background work of conversations: load by id, call a service. Each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from kefu.conversations import notifications


@task()
def notify_customer_of_reply(message_id: int) -> bool:
    """Email the customer an agent's reply to their ticket."""
    return notifications.send_reply_notification(message_id)
