"""Receiving one mail, however it came (IMAP polling or the SMTP endpoint): the size limit,
auto-replies, bounces and loops, the ticket tag, then :func:`kefu.intake.ingest.ingest`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from django.db import transaction

from kefu.conversations.errors import MessageEmpty
from kefu.conversations.events import record_timeline
from kefu.conversations.models import Conversation, TimelineKind
from kefu.intake import ingest as intake
from kefu.intake.channels.email import loops
from kefu.intake.channels.email.config import email_config
from kefu.intake.channels.email.parsing import (
    ParsedMail,
    parse_mail,
    peek_message_id,
    raw_external_id,
    to_inbound,
)
from kefu.intake.channels.email.tokens import tags_in
from kefu.intake.models import ChannelAccount, DeliveryStatus, OutboundDelivery

logger = logging.getLogger(__name__)
TOO_LARGE = "too-large"
NO_SENDER = "no-sender"
EMPTY = "empty"


def receive_mail(
    account: ChannelAccount, raw: bytes, *, envelope_recipients: Iterable[str] = ()
) -> intake.IngestResult:
    """Store one raw mail that arrived on ``account``, or record why it was skipped.

    Idempotent on the mail's Message-ID (the hash of its bytes when it has none). A mail over
    the account's ``max_message_bytes`` is skipped as ``too-large``; auto-replies, bounces,
    bulk mail and loops are skipped with their reason and never answered.
    """
    config = email_config(account)
    if len(raw) > config.max_message_bytes:
        external_id = peek_message_id(raw) or raw_external_id(raw)
        logger.info("skipping a mail of %d bytes on account %s", len(raw), account.pk)
        return intake.skip(account, external_id, TOO_LARGE)
    mail = parse_mail(raw)
    if intake.already_seen(account, mail.external_id):
        return intake.ingest(account, to_inbound(mail))
    reason = loops.automatic_reason(mail)
    if not reason and config.address and mail.from_address == config.address:
        # "From" the support address itself: answering it would mail ourselves.
        reason = loops.LOOP
    if reason == loops.BOUNCE:
        note_bounce(account, mail)
    if reason:
        return intake.skip(account, mail.external_id, reason)
    if not mail.from_address:
        return intake.skip(account, mail.external_id, NO_SENDER)
    if loops.is_over_rate_limit(account, mail.from_address):
        logger.warning("account %s: too many mails from one sender; skipping", account.pk)
        return intake.skip(account, mail.external_id, loops.LOOP)
    conversation_id = tagged_conversation(mail, envelope_recipients)
    inbound = to_inbound(mail, conversation_id=conversation_id)
    if not inbound.body.strip() and not inbound.attachments:
        # Only a subject ("Withdrawal stuck!"): the subject is the message.
        inbound = replace(inbound, body=mail.clean_subject)
    try:
        return intake.ingest(account, inbound)
    except MessageEmpty:
        # Nothing at all to show; recorded, so the mailbox is not read again for it.
        return intake.skip(account, mail.external_id, EMPTY)


def tagged_conversation(mail: ParsedMail, envelope_recipients: Iterable[str] = ()) -> int | None:
    """The conversation a mail's ticket tag names, only when the tag's token verifies and the
    mail comes from that conversation's customer: a typed or forged "[#123]" attaches nothing,
    and nor does a genuine tag forwarded to someone else."""
    tags = [*mail.ticket_tags, *tags_in("", list(envelope_recipients))]
    for tag in tags:
        if not tag.is_valid:
            continue
        conversation = Conversation.objects.filter(pk=tag.number).select_related("customer").first()
        if conversation is None:
            continue
        if conversation.customer.email.strip().lower() == mail.from_address:
            return conversation.pk
    return None


def note_bounce(account: ChannelAccount, mail: ParsedMail) -> int:
    """Mark the sent deliveries a bounce reports as failed, on their conversation's
    timeline; return how many."""
    ids = [*mail.reported_message_ids, *mail.thread_keys]
    if not ids:
        return 0
    deliveries = list(
        OutboundDelivery.objects.filter(
            account=account, external_id__in=ids, status=DeliveryStatus.SENT
        ).select_related("message__conversation")
    )
    for delivery in deliveries:
        with transaction.atomic():
            updated = OutboundDelivery.objects.filter(
                pk=delivery.pk, status=DeliveryStatus.SENT
            ).update(status=DeliveryStatus.FAILED, last_error="bounced")
            if updated:
                record_timeline(
                    delivery.message.conversation,
                    TimelineKind.DELIVERY_FAILED,
                    data={
                        "message": delivery.message_id,
                        "reason": "bounced",
                        "attempts": delivery.attempts,
                    },
                )
    return len(deliveries)
