"""Tickets from the web form and the API."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation
from kefu.lib.language import normalise_language
from kefu.lib.uploads import CheckedUpload


def create_ticket(
    *,
    email: str,
    subject: str,
    body: str,
    name: str = "",
    language: str = "",
    external_id: str = "",
    uploads: Sequence[CheckedUpload] = (),
    from_api: bool = False,
) -> Conversation:
    """Open a ticket for the customer with this email (or exchange id) and return it.

    A new customer and their ticket are written in one transaction.
    """
    with transaction.atomic():
        customer = conversations.identify_customer(
            external_id=external_id or None,
            email=email.strip().lower(),
            name=name.strip(),
            language=normalise_language(language),
        )
        posted = conversations.start_conversation(
            customer=customer,
            channel=Channel.API if from_api else Channel.FORM,
            body=body,
            subject=subject,
            language=normalise_language(language) if language else None,
            uploads=uploads,
        )
    return posted.conversation
