"""Customers, their conversations, the messages and files in them, and each one's timeline."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.lib.taxonomy import DEFAULT_QUEUE, intents, queue_name


class Language(models.TextChoices):
    """Languages Kefu speaks with customers."""

    EN = "en", _("English")
    ZH = "zh", _("Chinese")


class VipTier(models.IntegerChoices):
    REGULAR = 0, _("Regular")
    VIP1 = 1, _("VIP 1")
    VIP2 = 2, _("VIP 2")
    VIP3 = 3, _("VIP 3")
    INSTITUTIONAL = 9, _("Institutional")


class SecurityLevel(models.TextChoices):
    """How closely the risk team watches the account."""

    NORMAL = "normal", _("Normal")
    ELEVATED = "elevated", _("Elevated")
    HIGH = "high", _("High risk")


class Customer(models.Model):
    """A customer of the exchange, as far as support knows them.

    ``external_id`` is the exchange's own user id when the customer is identified; anonymous
    widget visitors have a ``visitor_id`` instead, and ticket-form customers an email.
    """

    # NULL, not "", for "none": the unique constraints must allow many customers without one.
    external_id = models.CharField(  # noqa: DJ001
        _("exchange user id"), max_length=64, null=True, blank=True
    )
    visitor_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    # E.164 ("+8613800138000"), as the phone channel matches callers by it.
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    # The code the customer set at the exchange; every email Kefu sends them shows it, so a
    # mail without it is known to be a fake.
    anti_phishing_code = models.CharField(_("anti-phishing code"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    vip_tier = models.PositiveSmallIntegerField(
        _("VIP tier"), choices=VipTier.choices, default=VipTier.REGULAR
    )
    security_level = models.CharField(
        _("security level"),
        max_length=12,
        choices=SecurityLevel.choices,
        default=SecurityLevel.NORMAL,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="customer_unique_external_id"),
            models.UniqueConstraint(fields=["visitor_id"], name="customer_unique_visitor_id"),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """A name to show staff: the name, else the email, else the exchange id."""
        return self.name or self.email or self.external_id or str(_("Visitor"))

    @property
    def is_vip(self) -> bool:
        return self.vip_tier > VipTier.REGULAR


class Channel(models.TextChoices):
    """Where a conversation came from (and where replies go back to)."""

    WIDGET = "widget", _("Chat widget")
    FORM = "form", _("Ticket form")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    TELEGRAM = "telegram", _("Telegram")
    DISCORD = "discord", _("Discord")
    WEBHOOK = "webhook", _("Webhook")
    PHONE = "phone", _("Phone")


class Status(models.TextChoices):
    """Open: waiting on us. Pending: waiting on the customer. Resolved: answered, may reopen.
    Closed: final."""

    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Conversation(models.Model):
    """One customer problem, on one channel, from first message to resolution.

    A conversation from the ticket form or the API is also called a ticket; its ``number`` is
    what the customer quotes, and ``tracking_token`` opens its private tracking page.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    queue = models.CharField(_("queue"), max_length=40, default=DEFAULT_QUEUE)
    intent = models.CharField(_("intent"), max_length=60, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    tracking_token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"))
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # The oldest customer message no agent has answered yet (None once an agent replied): the
    # start of the next-response clock of the SLA (kefu.routing).
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["-last_message_at", "-id"], name="conv_recent"),
            models.Index(fields=["status", "-last_message_at", "-id"], name="conv_status_recent"),
            models.Index(fields=["queue", "-last_message_at", "-id"], name="conv_queue_recent"),
            models.Index(
                fields=["assignee", "-last_message_at", "-id"], name="conv_assignee_recent"
            ),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent"),
        ]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def number(self) -> int:
        """The ticket number customers quote."""
        return self.pk

    @property
    def queue_name(self) -> str:
        return queue_name(self.queue)

    @property
    def intent_name(self) -> str:
        intent = intents().get(self.intent)
        return intent.name if intent else ""

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class AuthorType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class Message(models.Model):
    """One message in a conversation. Internal notes are seen by staff only.

    ``body`` is stored after secrets were redacted; ``redactions`` lists what was removed.
    ``client_id`` is the sender's own id for the message, so a resend is not stored twice.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author_type = models.CharField(max_length=10, choices=AuthorType.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    body = models.TextField()
    # An email's HTML part after sanitising (kefu.intake.channels.email); ``body`` is its text.
    html = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    is_internal = models.BooleanField(_("internal note"), default=False)
    client_id = models.CharField(max_length=64, blank=True)
    redactions: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    # What the language model understood (customer messages), and the intent an agent confirmed
    # or corrected; see kefu.nlu.
    intent = models.CharField(_("intent"), max_length=60, blank=True)
    analysis: models.JSONField[Any] = models.JSONField(null=True, blank=True)
    # Set by the writer (one clock for a message and its conversation's times), not the database.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~Q(client_id=""),
                name="message_unique_client_id",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation"),
            # Customer messages waiting for the language model (kefu.nlu): a few rows at most.
            models.Index(
                fields=["id"],
                condition=Q(author_type="customer", analysis__isnull=True),
                name="message_unanalysed",
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.author_type}: {self.body[:40]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Uploads go under the conversation, with a random name nobody can guess or collide."""
    return f"attachments/{instance.conversation_id}/{instance.storage_key}/{filename}"


class Attachment(models.Model):
    """A file sent in a conversation. Served only to people who may read the conversation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    storage_key = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class TimelineKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    REOPENED = "reopened", _("Reopened by the customer")
    SECRET_REDACTED = "secret_redacted", _("Secret removed from a customer message")
    INTENT_SET = "intent_set", _("Intent set")
    BOT_LOOKUP = "bot_lookup", _("Bot looked up the exchange")
    BOT_HANDOFF = "bot_handoff", _("Bot handed off to a person")
    BOT_RESOLVED = "bot_resolved", _("Bot resolved it; the customer confirmed")
    ROUTED = "routed", _("Routed")
    RULE_FIRED = "rule_fired", _("Rule applied")
    TAG_ADDED = "tag_added", _("Tag added")
    TAG_REMOVED = "tag_removed", _("Tag removed")
    SLA_WARNING = "sla_warning", _("SLA breach near")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    ESCALATED = "escalated", _("Escalated")
    CASE_OPENED = "case_opened", _("Complaint case opened")
    CASE_UPDATED = "case_updated", _("Complaint case updated")
    CASE_RESOLVED = "case_resolved", _("Complaint case resolved")
    ESCALATION_REQUESTED = "escalation_requested", _("The customer asked to escalate")
    RISK_ALERT = "risk_alert", _("Early-warning alert on this customer")
    DELIVERY_FAILED = "delivery_failed", _("A reply could not be delivered on its channel")
    PHISHING_LINK = "phishing_link", _("A dangerous link was posted")
    CALL_LOGGED = "call_logged", _("Phone call")
    MERGED = "merged", _("Merged")


class HandoffReason(models.TextChoices):
    """Why the bot passed a conversation to people."""

    HUMAN = "human", _("the customer asked for a person")
    ANGRY = "angry", _("the customer is upset")
    FAILED_ANSWERS = "failed_answers", _("two answers did not help")
    NEEDS_HUMAN = "needs_human", _("this needs a person")
    SECURITY = "security", _("suspected account takeover")
    RECOVERY = "recovery", _("deposit recovery request")
    LOOKUP_FAILED = "lookup_failed", _("the bot could not look it up")


class TimelineEvent(models.Model):
    """Something that happened to a conversation, other than a message."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(max_length=30, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="timeline_conversation")
        ]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self) -> str:
        return f"{self.kind} on {self.conversation_id}"

    @property
    def queue_name(self) -> str:
        """The translated name of the team an assignment event names."""
        return queue_name(str(self.data.get("queue", "")))

    @property
    def handoff_reason(self) -> str:
        """The translated reason of a ``bot_handoff`` event."""
        reason = str(self.data.get("reason", ""))
        return str(HandoffReason(reason).label) if reason in HandoffReason.values else reason

    @property
    def intent_name(self) -> str:
        """The translated name of the intent an ``intent_set`` event names."""
        intent = intents().get(str(self.data.get("intent", "")))
        return intent.name if intent else str(self.data.get("intent", ""))


class ConversationTag(models.Model):
    """A label on a conversation, set by an agent or an automation rule (lowercase slug)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tags")
    name = models.SlugField(_("tag"), max_length=40, allow_unicode=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "name"], name="tag_unique_per_conversation"
            )
        ]
        indexes = [models.Index(fields=["name", "conversation"], name="tag_conversations")]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """A saved reply agents insert and edit before sending."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title
