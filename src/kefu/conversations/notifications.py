"""Emails to customers about their tickets (the email channel proper comes later)."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from kefu.accounts.services import get_brand
from kefu.conversations.models import Message

logger = logging.getLogger(__name__)


def tracking_url(token: str) -> str:
    """The absolute address of a ticket's private tracking page."""
    return settings.SITE_URL + reverse("intake:track", args=[token])


def send_reply_notification(message_id: int) -> bool:
    """Email the customer an agent's public reply with the tracking link.

    Safe to run twice for the same message only in the sense that it sends again; it returns
    False (and sends nothing) when the message is an internal note, or the customer has no email.
    """
    message = (
        Message.objects.select_related("conversation__customer", "author")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.is_internal:
        return False
    conversation = message.conversation
    customer = conversation.customer
    if not customer.email:
        return False
    language = "zh-hans" if conversation.language == "zh" else "en"
    brand = get_brand()
    with translation.override(language):
        context = {
            "brand": brand,
            "conversation": conversation,
            "message": message,
            "tracking_url": tracking_url(conversation.tracking_token),
        }
        subject = render_to_string("conversations/email/reply_subject.txt", context).strip()
        text = render_to_string("conversations/email/reply.txt", context)
        html = render_to_string("conversations/email/reply.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        headers={"Auto-Submitted": "auto-replied", "X-Kefu-Ticket": str(conversation.pk)},
    )
    email.attach_alternative(html, "text/html")
    try:
        email.send()
    except (SMTPException, OSError):
        logger.warning("could not email the reply to ticket %s", conversation.pk, exc_info=True)
        raise
    return True
