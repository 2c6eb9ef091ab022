"""The channels customers write on, beyond the widget and the ticket form: each connected
account (a mailbox, a Telegram bot, a Discord application, a webhook partner, a telephony
system), what came in on it (so nothing is stored twice), where each conversation's replies go,
the replies waiting to go out, phone calls, and the registry of the exchange's official
channels that customers can check impersonators against."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Channel, Conversation, Customer, Message


class ChannelKind(models.TextChoices):
    """The kinds of account an exchange connects; each has its adapter in
    ``kefu.intake.channels``. The values are those of :class:`Channel` for the same channel."""

    EMAIL = Channel.EMAIL.value, _("Email")
    TELEGRAM = Channel.TELEGRAM.value, _("Telegram")
    DISCORD = Channel.DISCORD.value, _("Discord")
    WEBHOOK = Channel.WEBHOOK.value, _("Webhook")
    PHONE = Channel.PHONE.value, _("Phone")


class ChannelAccount(models.Model):
    """One connected account of a channel, with its settings and its health.

    ``config`` holds the adapter's settings, secrets included (a bot token, a mailbox password,
    a signing secret); it is shown to no one after it is saved. ``cursor`` is where polling
    stands (an IMAP UID, a Telegram update offset), so a channel that was down is read again
    from where it stopped.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    config: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    cursor = models.CharField(max_length=200, blank=True)
    # Alert staff when nothing came in for this long (0: never), e.g. a mailbox that stopped.
    silence_alert_minutes = models.PositiveIntegerField(
        _("alert after silence (minutes)"), default=0
    )
    last_inbound_at = models.DateTimeField(_("last message in"), null=True, blank=True)
    last_outbound_at = models.DateTimeField(_("last message out"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    silence_alerted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def setting(self, name: str, default: str = "") -> str:
        value = (self.config or {}).get(name, default)
        return value if isinstance(value, str) else str(value)


class InboundRecord(models.Model):
    """A message that came in on an account, by the channel's own id for it (an email's
    Message-ID, a Telegram update, a webhook's message id): a redelivery finds it here and
    stores nothing new."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="inbound")
    external_id = models.CharField(max_length=255)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Why nothing was stored, when nothing was (an auto-reply, a bounce, a loop).
    skipped = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="inbound_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["account", "-received_at"], name="inbound_recent")]

    def __str__(self) -> str:
        return self.external_id


class ThreadKey(models.Model):
    """A key that finds a conversation from what a channel sends: an email Message-ID the
    customer replies to, a Telegram chat, a webhook thread id."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="thread_keys"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="thread_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class ChannelThread(models.Model):
    """Where a conversation's replies go: its account and the address on it (an email address
    and subject, a chat id, a channel id, a partner's thread id)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="channel_thread"
    )
    account = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="threads")
    address: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.account} → {self.conversation_id}"


class ChannelIdentity(models.Model):
    """A customer as a channel knows them: a Telegram or Discord user id, an email address,
    a phone number. The same person writing again is the same customer."""

    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    external_user_id = models.CharField(max_length=255)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="channel_identities"
    )
    username = models.CharField(max_length=120, blank=True)
    display_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "external_user_id"], name="channel_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_user_id}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")


class OutboundDelivery(models.Model):
    """A reply (of an agent, the bot or the system) on its way out on the conversation's
    channel. Written in the same transaction as the message, so a channel that is down loses
    nothing: the channel sweep sends what is due and retries with back-off."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="deliveries")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker sending it holds it until then, so two workers never send it twice.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "retrying"]),
                name="delivery_due",
            ),
            models.Index(fields=["account", "status"], name="delivery_account_status"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallRecord(models.Model):
    """A phone call with a customer: from the telephony system's webhook, or logged by the
    agent who took it. Kept in the customer's conversation."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="calls")
    account = models.ForeignKey(
        ChannelAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    external_id = models.CharField(max_length=255, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    customer_number = models.CharField(_("customer's number"), max_length=20, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("agent"),
    )
    started_at = models.DateTimeField(_("started"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    transcript = models.TextField(_("transcript"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="call_unique_external_id",
            )
        ]
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")

    def __str__(self) -> str:
        return f"{self.direction} {self.customer_number} {self.started_at:%Y-%m-%d %H:%M}"


class OfficialKind(models.TextChoices):
    """What a customer can check: the handles and addresses staff or scammers might use."""

    TELEGRAM = "telegram", _("Telegram account or group")
    DISCORD = "discord", _("Discord user or server")
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")
    WEBSITE = "website", _("Website or link")
    X = "x", _("X (Twitter) account")


class OfficialChannel(models.Model):
    """An official channel of the exchange, as staff registered it. ``value`` is normalised
    (see ``kefu.intake.verification``) so "@Kefu_Support" and "t.me/kefu_support" match."""

    kind = models.CharField(_("kind"), max_length=12, choices=OfficialKind.choices)
    value = models.CharField(_("handle or address"), max_length=255)
    label = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="official_channel_unique")
        ]
        verbose_name = _("official channel")
        verbose_name_plural = _("official channels")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
