"""Phone calls in the customer's conversation: reported by the telephony system's webhook,
or logged by the agent who took the call.

A reported call finds its customer by the exchange's user id (only when the account's config
trusts the telephony system with it), else by the phone number, else a new customer with that
number. It joins the customer's latest conversation that is not closed and saw activity in the
last ``reuse_days`` days (config, default 7), else opens a conversation on the phone channel.
The transcript stays with the call record; a new conversation's first message only sums the
call up ("Phone call, 5 min 12 s").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations import events
from kefu.conversations.access import access_conversation
from kefu.conversations.models import (
    Channel,
    Conversation,
    Customer,
    Status,
    TimelineKind,
)
from kefu.conversations.services import messages as message_services
from kefu.intake.access import active_channel_account
from kefu.intake.adapters import Sender
from kefu.intake.channels.phone.errors import CallInvalid
from kefu.intake.ingest import external_key, match_customer
from kefu.intake.models import CallDirection, CallRecord, ChannelAccount, ChannelKind
from kefu.intake.verification import normalise_phone

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
MAX_TRANSCRIPT_CHARS = 100_000
MAX_NOTES_CHARS = 10_000
MAX_DURATION_SECONDS = 24 * 3600
MAX_RECORDING_URL_CHARS = 500
DEFAULT_REUSE_DAYS = 7
MIN_SECRET_CHARS = 16
# A call may be reported as starting a little in the future (clocks drift), not more.
CLOCK_SKEW = timedelta(minutes=5)
CALLS_SHOWN = 50


@dataclass(frozen=True)
class IncomingCall:
    """A call as the telephony system reports it (already checked by the API schema)."""

    call_id: str
    direction: str
    customer_number: str
    started_at: datetime
    duration_seconds: int = 0
    agent_email: str = ""
    agent_username: str = ""
    recording_url: str = ""
    transcript: str = ""
    user_id: str = ""


@dataclass(frozen=True)
class RecordedCall:
    """The stored call; ``created`` is False for a redelivery of a call stored before."""

    call: CallRecord
    conversation: Conversation
    created: bool


def check_recording_url(value: str) -> str:
    """A recording link: https, with a host and no user name or password in it; "" stays "".
    Raises ValueError."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > MAX_RECORDING_URL_CHARS or any(char.isspace() for char in value):
        raise ValueError("must be an https link of at most 500 characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError("must be an https link") from None
    if parts.scheme != "https" or not host or parts.username or parts.password:
        raise ValueError("must be an https link")
    return value


def format_duration(seconds: int) -> str:
    """ "5 min 12 s", "45 s", "1 h 2 min", in the active language."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    return _("%(seconds)d s") % {"seconds": seconds}


def call_summary(direction: str, duration_seconds: int, language: str) -> str:
    """The first message of a conversation a call opened, in the customer's language."""
    with translation.override("zh-hans" if language == "zh" else "en"):
        if direction == CallDirection.OUTBOUND:
            return _("Phone call to the customer, %(duration)s") % {
                "duration": format_duration(duration_seconds)
            }
        return _("Phone call, %(duration)s") % {"duration": format_duration(duration_seconds)}


def connect_phone_account(
    *, name: str, secret: str, trust_user_id: bool = False, reuse_days: int = DEFAULT_REUSE_DAYS
) -> ChannelAccount:
    """Connect a telephony system. Raises :class:`CallInvalid` for a short secret."""
    if len(secret) < MIN_SECRET_CHARS:
        raise CallInvalid(
            _("The signing secret must be at least %(count)d characters.")
            % {"count": MIN_SECRET_CHARS},
            field="secret",
        )
    config: dict[str, object] = {
        "secret": secret,
        "trust_user_id": trust_user_id,
        "reuse_days": min(max(reuse_days, 0), 365),
    }
    return ChannelAccount.objects.create(kind=ChannelKind.PHONE, name=name[:80], config=config)


def phone_account(account_id: int) -> ChannelAccount:
    """The active phone account a webhook is for; raises NotFound."""
    return active_channel_account(account_id, ChannelKind.PHONE)


def record_call(account: ChannelAccount, call: IncomingCall) -> RecordedCall:
    """Store a call the telephony system reported, in the customer's conversation, with a
    ``call_logged`` timeline event and an audit row. A redelivery (same ``call_id``) returns
    the call stored the first time and changes nothing."""
    external_id = external_key(call.call_id)
    existing = _existing(account, external_id)
    if existing is not None:
        return existing
    if call.started_at > timezone.now() + CLOCK_SKEW:
        raise CallInvalid(_("The call cannot start in the future."), field="started_at")
    try:
        with transaction.atomic():
            recorded = _store(account, call, external_id)
    except IntegrityError:
        # Another delivery of the same call was stored first.
        existing = _existing(account, external_id)
        if existing is None:
            raise
        return existing
    ChannelAccount.objects.filter(pk=account.pk).update(last_inbound_at=timezone.now())
    return recorded


def _existing(account: ChannelAccount, external_id: str) -> RecordedCall | None:
    record = (
        CallRecord.objects.filter(account=account, external_id=external_id)
        .select_related("conversation")
        .first()
    )
    return None if record is None else RecordedCall(record, record.conversation, False)


def _store(account: ChannelAccount, call: IncomingCall, external_id: str) -> RecordedCall:
    customer = _caller(account, call)
    conversation = _conversation_for(account, customer, call)
    record = CallRecord.objects.create(
        conversation=conversation,
        account=account,
        external_id=external_id,
        direction=call.direction,
        customer_number=call.customer_number,
        agent=staff_member(email=call.agent_email, username=call.agent_username),
        started_at=call.started_at,
        duration_seconds=call.duration_seconds,
        recording_url=call.recording_url,
        transcript=call.transcript[:MAX_TRANSCRIPT_CHARS],
    )
    _record_events(record, conversation, actor=None)
    return RecordedCall(record, conversation, True)


def _caller(account: ChannelAccount, call: IncomingCall) -> Customer:
    trusted = call.user_id if _trusts_user_id(account) else ""
    sender = Sender(
        external_id=call.customer_number,
        phone=call.customer_number,
        exchange_user_id=trusted,
    )
    return match_customer(account, sender)


def _trusts_user_id(account: ChannelAccount) -> bool:
    value = (account.config or {}).get("trust_user_id", False)
    return value is True or str(value).strip().lower() in ("1", "true", "yes")


def _reuse_days(account: ChannelAccount) -> int:
    value = (account.config or {}).get("reuse_days", DEFAULT_REUSE_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        logger.warning("phone account %s: reuse_days %r is not a number", account.pk, value)
        return DEFAULT_REUSE_DAYS
    return min(max(days, 0), 365)


def _conversation_for(
    account: ChannelAccount, customer: Customer, call: IncomingCall
) -> Conversation:
    since = timezone.now() - timedelta(days=_reuse_days(account))
    recent = (
        Conversation.objects.filter(customer=customer, last_message_at__gte=since)
        .exclude(status=Status.CLOSED)
        .order_by("-last_message_at", "-pk")
        .first()
    )
    if recent is not None:
        return recent
    summary = call_summary(call.direction, call.duration_seconds, customer.language)
    return message_services.start_conversation(
        customer=customer,
        channel=Channel.PHONE,
        body=summary,
        subject=summary,
        language=customer.language,
    ).conversation


def staff_member(*, email: str = "", username: str = "") -> User | None:
    """The active staff member with this email address or user name, if there is one."""
    if email.strip():
        found = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if found is not None:
            return found
    if username.strip():
        return User.objects.filter(username=username.strip(), is_active=True).first()
    return None


def _record_events(
    record: CallRecord,
    conversation: Conversation,
    *,
    actor: User | None,
    ip_address: str | None = None,
) -> None:
    data = {
        "call": record.pk,
        "call_id": record.external_id,
        "direction": record.direction,
        "duration_seconds": record.duration_seconds,
        "agent": record.agent_id,
    }
    events.record_timeline(conversation, TimelineKind.CALL_LOGGED, actor=actor, data=data)
    events.audit_conversation(
        actor,
        "conversation.call_logged",
        conversation,
        after={"call": record.pk, "account": record.account_id, "by_hand": actor is not None},
        ip_address=ip_address,
    )


def log_call_by_hand(
    agent: User,
    conversation_id: int,
    *,
    direction: str,
    started_at: datetime,
    duration_seconds: int,
    customer_number: str = "",
    notes: str = "",
    recording_url: str = "",
    ip_address: str | None = None,
) -> CallRecord:
    """Log a call the agent took, in a conversation they may see; audited. The number
    defaults to the customer's. Raises NotFound (no access) and CallInvalid."""
    conversation = access_conversation(agent, conversation_id)
    if direction not in CallDirection.values:
        raise CallInvalid(_("Choose the direction of the call."), field="direction")
    try:
        number = normalise_phone(customer_number) if customer_number.strip() else ""
    except ValueError:
        raise CallInvalid(_("This is not a phone number."), field="customer_number") from None
    try:
        recording = check_recording_url(recording_url)
    except ValueError:
        raise CallInvalid(
            _("The recording must be an https link."), field="recording_url"
        ) from None
    if not 0 <= duration_seconds <= MAX_DURATION_SECONDS:
        raise CallInvalid(_("A call lasts at most 24 hours."), field="duration_seconds")
    if started_at > timezone.now() + CLOCK_SKEW:
        raise CallInvalid(_("The call cannot start in the future."), field="started_at")
    with transaction.atomic():
        record = CallRecord.objects.create(
            conversation=conversation,
            direction=direction,
            customer_number=number or conversation.customer.phone,
            agent=agent,
            started_at=started_at,
            duration_seconds=duration_seconds,
            recording_url=recording,
            notes=notes.strip()[:MAX_NOTES_CHARS],
            logged_by=agent,
        )
        _record_events(record, conversation, actor=agent, ip_address=ip_address)
    return record


def calls_for(conversation: Conversation) -> list[CallRecord]:
    """The conversation's latest calls, newest first, for its page (each with
    ``duration_minutes`` and ``duration_rest_seconds`` to show its length)."""
    return list(
        CallRecord.objects.filter(conversation=conversation)
        .select_related("agent")
        .annotate(
            duration_minutes=F("duration_seconds") / 60,
            duration_rest_seconds=F("duration_seconds") % 60,
        )
        .order_by("-started_at", "-pk")[:CALLS_SHOWN]
    )
