"""The generic webhook channel: a partner system (the exchange's app chat, a relay for X
direct messages) posts its customers' messages to Kefu and receives the replies.

Inbound, :func:`receive_message` checks the partner's signature over the raw body before
anything is read, validates the message and stores it through :func:`kefu.intake.ingest.ingest`
(idempotent on the partner's ``message_id``). Outbound, :mod:`.adapter` posts each reply to the
account's ``outbound_url``. Account settings (``config``):

- ``secret``: the shared signing secret (both directions); ``previous_secret`` is also
  accepted on inbound requests while the secret is rotated;
- ``outbound_url``: where replies go (http or https; see :func:`check_outbound_url`);
- ``trust_user_id``: the partner is the exchange's own system and vouches for ``user_id`` and
  ``email``, which then identify the customer.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from pydantic import ValidationError

from kefu.intake.access import active_channel_account
from kefu.intake.adapters import InboundAttachment, InboundMessage, Sender
from kefu.intake.channels.webhook.errors import (
    AccountNotFound,
    ConfigurationInvalid,
    MessageInvalid,
    SignatureInvalid,
)
from kefu.intake.channels.webhook.schemas import AttachmentIn, WebhookMessageIn
from kefu.intake.ingest import ingest
from kefu.intake.models import ChannelAccount, ChannelKind
from kefu.lib.signing import is_valid_signature

MAX_BODY_BYTES = 1024 * 1024
MIN_SECRET_CHARS = 16
# Cloud metadata services answer on link-local addresses; a reply URL must never reach them.
BLOCKED_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


@dataclass(frozen=True)
class ReceivedMessage:
    """What the partner is told about its message: our conversation number and message id,
    and whether it was new (False for a resend of the same ``message_id``)."""

    conversation: int
    message_id: int
    created: bool


def connect_webhook_account(
    *, name: str, secret: str, outbound_url: str = "", trust_user_id: bool = False
) -> ChannelAccount:
    """Connect a partner system. Raises :class:`ConfigurationInvalid` for a short secret or
    an unsafe ``outbound_url``."""
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigurationInvalid(
            _("The signing secret must be at least %(count)d characters.")
            % {"count": MIN_SECRET_CHARS},
            field="secret",
        )
    config: dict[str, object] = {"secret": secret, "trust_user_id": trust_user_id}
    if outbound_url:
        config["outbound_url"] = check_outbound_url(outbound_url)
    return ChannelAccount.objects.create(kind=ChannelKind.WEBHOOK, name=name[:80], config=config)


def check_outbound_url(url: str) -> str:
    """The URL replies are posted to, checked: http or https, a host, no credentials, and not
    a link-local or cloud-metadata address (an attacker who got hold of a staff account must
    not make Kefu fetch the server's cloud credentials). Loopback and private networks are
    allowed: partners often run beside Kefu. Raises :class:`ConfigurationInvalid`."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _unsafe_url() from None
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise _unsafe_url()
    if port == 0 or host in BLOCKED_HOSTS or _is_blocked_literal(host):
        raise _unsafe_url()
    return url


def resolves_to_blocked_address(url: str) -> bool:
    """Whether the URL's host resolves to a blocked address now (checked again before each
    delivery, since a name can be pointed elsewhere after it was configured)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return any(_is_blocked_literal(str(address[4][0])) for address in addresses)


def _is_blocked_literal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_link_local or address.is_multicast or address.is_unspecified


def _unsafe_url() -> ConfigurationInvalid:
    return ConfigurationInvalid(
        _(
            "The outbound URL must be an http or https address without credentials, and not "
            "a link-local or cloud metadata address."
        ),
        field="outbound_url",
    )


def active_account(account_id: int) -> ChannelAccount:
    """The active webhook account with this id; raises :class:`AccountNotFound`."""
    return active_channel_account(account_id, ChannelKind.WEBHOOK, missing=AccountNotFound())


def receive_message(
    account_id: int, *, signature_header: str, body: bytes, now: float
) -> ReceivedMessage:
    """Store a partner's signed message; a resend returns what the first one stored.

    Raises :class:`AccountNotFound`, :class:`SignatureInvalid` (nothing is read from an
    unsigned body) or :class:`MessageInvalid`.
    """
    account = active_account(account_id)
    secrets = [account.setting("secret"), account.setting("previous_secret")]
    if not is_valid_signature(secrets, signature_header, body, now=now):
        raise SignatureInvalid()
    inbound = inbound_message(account, parse_message(body))
    result = ingest(account, inbound)
    if result.conversation is None or result.message is None:
        raise MessageInvalid()
    return ReceivedMessage(result.conversation.number, result.message.pk, result.created)


def parse_message(body: bytes) -> WebhookMessageIn:
    """The message in a request body; raises :class:`MessageInvalid` naming the first
    problem (never echoing the input)."""
    try:
        return WebhookMessageIn.model_validate_json(body)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        location = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first.get("msg", ""))[:200]
        raise MessageInvalid(
            f"{location}: {message}" if location else message, field=location or None
        ) from None


def inbound_message(account: ChannelAccount, message: WebhookMessageIn) -> InboundMessage:
    """The normalised inbound message. The sender id is namespaced by account (two partners
    may both have a user "42"); ``user_id`` and ``email`` count only on a trusting account."""
    message_id, thread_id = message.message_id.strip(), message.thread_id.strip()
    sender_id = message.sender.id.strip()
    if not message_id or not thread_id or not sender_id:
        raise MessageInvalid(_("message_id, thread_id and sender.id must not be blank."))
    if not message.text.strip() and not message.attachments:
        raise MessageInvalid(_("Send a text or at least one attachment."), field="text")
    trusted = is_trusting(account)
    language = message.sender.language.strip().lower()
    sender = Sender(
        external_id=f"{account.pk}:{sender_id}",
        name=message.sender.name.strip(),
        username=message.sender.username.strip(),
        email=message.sender.email.strip() if trusted else "",
        language=("zh" if language.startswith("zh") else "en") if language else "",
        exchange_user_id=message.user_id.strip() if trusted else "",
    )
    sent_at = message.sent_at
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    key = f"thread:{thread_id}"
    return InboundMessage(
        external_id=message_id,
        sender=sender,
        body=message.text,
        thread_keys=(key,),
        own_keys=(key,),
        subject=message.subject.strip(),
        attachments=tuple(_decoded(index, item) for index, item in enumerate(message.attachments)),
        reply_address={"thread_id": thread_id, "sender_id": sender_id},
        sent_at=sent_at,
        new_conversation=True,
    )


def is_trusting(account: ChannelAccount) -> bool:
    """Whether the partner vouches for the user ids and emails it sends (a flag saved as a
    boolean by the console, or as text by hand)."""
    value = (account.config or {}).get("trust_user_id")
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1"))


def _decoded(index: int, attachment: AttachmentIn) -> InboundAttachment:
    try:
        data = base64.b64decode(attachment.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise MessageInvalid(
            _("This attachment is not valid base64."),
            field=f"attachments.{index}.data_base64",
        ) from None
    return InboundAttachment(
        name=attachment.name.strip()[:200], data=data, content_type=attachment.content_type
    )
