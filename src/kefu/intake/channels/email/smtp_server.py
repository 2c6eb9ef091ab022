"""An SMTP endpoint that receives support mail directly, instead of polling a mailbox: the
exchange's mail server (or its MX) forwards mail for the support address here.

It accepts a recipient only when an active email account has that ``address`` (a plus tag,
``support+123-…@``, is allowed), refuses mail over the account's ``max_message_bytes`` and
answers 250 only once the mail is stored (or deliberately skipped), so a sender whose mail
could not be stored tries again later (451) and nothing accepted is lost. It relays nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

from kefu.intake.channels.email.config import DEFAULT_MAX_MESSAGE_BYTES, email_config
from kefu.intake.channels.email.services import receive_mail
from kefu.intake.channels.email.tokens import base_address
from kefu.intake.models import ChannelAccount, ChannelKind
from kefu.lib.database import in_database

logger = logging.getLogger(__name__)


def account_for_address(address: str) -> ChannelAccount | None:
    """The active email account whose ``address`` receives mail sent to ``address``."""
    wanted = base_address(address)
    if not wanted or "@" not in wanted:
        return None
    for account in ChannelAccount.objects.filter(kind=ChannelKind.EMAIL, is_active=True):
        if email_config(account).address == wanted:
            return account
    return None


def largest_message_bytes() -> int:
    """The largest ``max_message_bytes`` of the active email accounts (the default when none)."""
    sizes = [
        email_config(account).max_message_bytes
        for account in ChannelAccount.objects.filter(kind=ChannelKind.EMAIL, is_active=True)
    ]
    return max(sizes, default=DEFAULT_MAX_MESSAGE_BYTES)


def _store(recipients: list[str], content: bytes) -> str:
    """Store one mail for each account among its recipients; the SMTP reply to send."""
    accounts: dict[int, tuple[ChannelAccount, list[str]]] = {}
    for recipient in recipients:
        account = account_for_address(recipient)
        if account is not None:
            accounts.setdefault(account.pk, (account, []))[1].append(recipient)
    if not accounts:
        return "554 5.1.1 No valid recipients"
    if any(
        len(content) > email_config(account).max_message_bytes for account, _ in accounts.values()
    ):
        return "552 5.3.4 Message too big for this mailbox"
    for account, addresses in accounts.values():
        receive_mail(account, content, envelope_recipients=addresses)
    return "250 2.0.0 OK: stored"


class SupportMailHandler:
    """The aiosmtpd handler: recipient check, then storing the mail."""

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        account = await in_database(account_for_address)(address)
        if account is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        try:
            return await in_database(_store)(list(envelope.rcpt_tos), content)
        # Whatever went wrong, the sender keeps the mail and tries again: nothing is lost.
        except Exception:
            logger.exception("could not store a mail received over SMTP")
            return "451 4.3.0 Could not store the message; try again later"


def smtp_controller(host: str, port: int, **options: Any) -> Controller:
    """An aiosmtpd controller (not started) serving :class:`SupportMailHandler` on
    ``host:port`` with the accounts' size limit."""
    return Controller(
        SupportMailHandler(),
        hostname=host,
        port=port,
        data_size_limit=largest_message_bytes(),
        enable_SMTPUTF8=True,
        ident="Kefu",
        **options,
    )
