"""The email channel: IMAP polling in, SMTP out.

Polling reads the account's folder from its cursor (``"<UIDVALIDITY>:<last UID>"``) in
batches and moves the cursor past each mail once it is stored or skipped, so a failure part
way through fetches the rest next time; a new UIDVALIDITY (the folder was rebuilt) reads the
whole folder again, and the Message-IDs already seen are not stored twice.

A reply goes out through the account's SMTP server, threaded on the customer's last mail
(In-Reply-To, References), with the ticket tag in the subject, the exchange's brand and the
customer's anti-phishing code. Its Message-ID is remembered, so the customer's answer to it
finds the conversation.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from email.utils import formataddr
from functools import cache
from pathlib import Path
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import Context, Engine
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.services import get_brand
from kefu.conversations.models import Message
from kefu.intake import ingest as intake
from kefu.intake.adapters import ChannelAdapter, DeliveryError, register
from kefu.intake.channels.email.config import EmailConfig, email_config
from kefu.intake.channels.email.imap import Mailbox
from kefu.intake.channels.email.parsing import clean_subject, peek_message_id
from kefu.intake.channels.email.services import TOO_LARGE, receive_mail
from kefu.intake.channels.email.tokens import (
    LOOP_HEADER,
    TICKET_HEADER,
    loop_mark,
    plus_address,
    ticket_tag,
    ticket_token,
)
from kefu.intake.models import ChannelAccount, ChannelKind

logger = logging.getLogger(__name__)
FETCH_BATCH = 25
FETCH_BATCH_BYTES = 32 * 1024 * 1024
MAX_REFERENCES = 20
TEMPLATES_DIR = Path(__file__).with_name("templates")
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class EmailAdapter(ChannelAdapter):
    kind = ChannelKind.EMAIL
    polls = True

    def poll(self, account: ChannelAccount) -> int:
        """Fetch and store the new mail of the account's IMAP folder; return how many mails
        were stored. Raises :class:`~kefu.intake.channels.email.imap.MailboxError` when the
        mailbox cannot be read."""
        return poll_mailbox(account)

    def deliver(self, account: ChannelAccount, message: Message, address: dict[str, Any]) -> str:
        """Mail ``message`` to the customer; return its Message-ID."""
        return send_reply(account, message, address)


# --- in ------------------------------------------------------------------------------------------


def parse_cursor(cursor: str) -> tuple[int, int]:
    """``"<UIDVALIDITY>:<last UID>"`` → the two numbers (0, 0 when unset or malformed)."""
    validity, colon, last = cursor.partition(":")
    if not colon or not validity.isdigit() or not last.isdigit():
        return 0, 0
    return int(validity), int(last)


def _save_cursor(account: ChannelAccount, validity: int, last_uid: int) -> None:
    cursor = f"{validity}:{last_uid}"
    ChannelAccount.objects.filter(pk=account.pk).update(cursor=cursor)
    account.cursor = cursor


def poll_mailbox(account: ChannelAccount) -> int:
    """Read the account's folder from its cursor; return how many mails were stored."""
    config = email_config(account)
    validity, last_uid = parse_cursor(account.cursor)
    stored = 0
    with Mailbox(config) as mailbox:
        if mailbox.uid_validity != validity:
            if validity:
                logger.warning("account %s: the folder's UIDVALIDITY changed", account.pk)
            validity, last_uid = mailbox.uid_validity, 0
            _save_cursor(account, validity, last_uid)
        uids = mailbox.uids_after(last_uid)
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            sizes = mailbox.sizes(batch)
            for group in _by_size(batch, sizes, config.max_message_bytes):
                wanted = [uid for uid in group if sizes.get(uid, 0) <= config.max_message_bytes]
                raw_mails = mailbox.messages(wanted)
                for uid in group:
                    if uid in raw_mails:
                        stored += receive_mail(account, raw_mails[uid]).created
                    elif uid in sizes:
                        _skip_too_large(account, mailbox, uid, validity)
                    # A UID the server no longer lists was deleted meanwhile: nothing to read.
                    _save_cursor(account, validity, uid)
                mailbox.mark_seen(group)
    return stored


def _by_size(uids: list[int], sizes: dict[int, int], max_bytes: int) -> list[list[int]]:
    """Consecutive groups of UIDs whose mails together stay under FETCH_BATCH_BYTES (one big
    mail alone in its group), so a batch of large mails is never all in memory at once."""
    groups: list[list[int]] = [[]]
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0) if sizes.get(uid, 0) <= max_bytes else 0
        if groups[-1] and total + size > FETCH_BATCH_BYTES:
            groups.append([])
            total = 0
        groups[-1].append(uid)
        total += size
    return [group for group in groups if group]


def _skip_too_large(account: ChannelAccount, mailbox: Mailbox, uid: int, validity: int) -> None:
    header = mailbox.headers([uid]).get(uid, b"")
    external_id = peek_message_id(header) or f"imap:{validity}:{uid}"
    logger.info("account %s: mail %s is over max_message_bytes; skipped", account.pk, uid)
    intake.skip(account, external_id, TOO_LARGE)


# --- out -----------------------------------------------------------------------------------------


@cache
def _engine() -> Engine:
    return Engine(
        dirs=[str(TEMPLATES_DIR)], libraries={"i18n": "django.templatetags.i18n"}, autoescape=True
    )


def _render(name: str, context: dict[str, Any]) -> str:
    return _engine().get_template(name).render(Context(context))


def send_reply(account: ChannelAccount, message: Message, address: dict[str, Any]) -> str:
    """Mail one reply; return its Message-ID (without brackets).

    Raises :class:`DeliveryError`: permanent when the server refuses the recipient or the
    mail (5xx), transient when it cannot be reached, times out or answers 4xx.
    """
    config = email_config(account)
    if not config.smtp_host or not config.address:
        raise DeliveryError("the account has no SMTP server or address configured")
    conversation = message.conversation
    # The customer's own address first: anyone who replied in the thread (a Cc, someone who
    # knew a Message-ID) became its latest "to", and must not receive the agent's answer.
    recipient = str(conversation.customer.email or address.get("to") or "").strip()
    if not recipient or "@" not in recipient:
        raise DeliveryError("the conversation has no email address to reply to", permanent=True)
    mail = _compose(account, config, message, address, recipient)
    connection = get_connection(
        SMTP_BACKEND,
        fail_silently=False,
        host=config.smtp_host,
        port=config.smtp_port,
        username=config.smtp_username or None,
        password=config.smtp_password or None,
        use_tls=config.smtp_security == "starttls",
        use_ssl=config.smtp_security == "ssl",
        timeout=config.timeout_seconds,
    )
    mail.connection = connection
    _send(mail, config)
    message_id = str(mail.extra_headers["Message-ID"]).strip("<>")
    intake.remember_thread_key(account, message_id, conversation)
    return message_id


def _compose(
    account: ChannelAccount,
    config: EmailConfig,
    message: Message,
    address: dict[str, Any],
    recipient: str,
) -> EmailMultiAlternatives:
    conversation = message.conversation
    customer = conversation.customer
    brand = get_brand()
    number = conversation.number
    with translation.override("zh-hans" if conversation.language == "zh" else "en"):
        brand_name = brand.display_name
        agent = message.author.public_name if message.author is not None else brand_name
        context = {
            "brand": brand,
            "brand_name": brand_name,
            "agent_name": agent,
            "body": message.body,
            "anti_phishing_code": customer.anti_phishing_code,
            "number": number,
        }
        text = _render("email_channel/reply.txt", context)
        html = _render("email_channel/reply.html", context)
        subject = clean_subject(str(address.get("subject") or conversation.subject or ""))
        subject = subject or _("Your support request")
    in_reply_to = str(address.get("message_id") or "").strip("<> ")
    references = [
        str(value).strip("<> ")
        for value in address.get("references") or []
        if isinstance(value, str) and value.strip("<> ")
    ]
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    headers = {
        "Message-ID": f"<kefu.{uuid.uuid4().hex}@{config.domain}>",
        LOOP_HEADER: loop_mark(account.pk),
        TICKET_HEADER: f"{number}-{ticket_token(number)}",
    }
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{value}>" for value in references[-MAX_REFERENCES:])
    mail = EmailMultiAlternatives(
        subject=f"Re: {subject} {ticket_tag(number)}",
        body=text,
        from_email=formataddr((brand_name, config.address)),
        to=[recipient],
        reply_to=[plus_address(config.address, number)] if config.plus_addressing else None,
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.original_name, handle.read(), attachment.content_type)
    return mail


def _send(mail: EmailMultiAlternatives, config: EmailConfig) -> None:
    where = f"{config.smtp_host}:{config.smtp_port}"
    try:
        sent = mail.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        raise DeliveryError(
            f"{where} refused the recipient ({', '.join(map(str, codes))})", permanent=permanent
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        # Fixing the account's credentials makes the retries go through.
        raise DeliveryError(f"{where} refused the login ({error.smtp_code})") from None
    except smtplib.SMTPResponseException as error:
        permanent = 500 <= error.smtp_code < 600
        raise DeliveryError(
            f"{where} refused the mail ({error.smtp_code})", permanent=permanent
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"cannot send through {where}: {error}"[:300]) from None
    if sent != 1:
        raise DeliveryError(f"{where} did not take the mail")


register(EmailAdapter())
