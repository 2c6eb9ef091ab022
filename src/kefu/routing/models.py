"""Who works which queue and how much (agent profiles, presence, console connections), how
each conversation is routed (priority and why, when it started waiting), the SLA policies and
business calendars its due times come from, and staff notifications."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Channel, Conversation, Priority


class Presence(models.TextChoices):
    """Online agents get new conversations; away agents keep theirs but get no new ones."""

    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Seniority(models.IntegerChoices):
    JUNIOR = 1, _("Junior")
    REGULAR = 2, _("Regular")
    SENIOR = 3, _("Senior")
    LEAD = 4, _("Lead")


class AgentProfile(models.Model):
    """How one staff member takes work: presence, capacity, seniority, skill per queue.

    Queues come from the member's teams; languages from ``User.languages_spoken``.
    ``skill_levels`` maps a queue to 1 (can help) .. 3 (expert); a team's queue not in it
    counts as 2.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_profile"
    )
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(null=True, blank=True)
    chat_capacity = models.PositiveSmallIntegerField(
        _("concurrent chats"), default=4, validators=[MaxValueValidator(50)]
    )
    ticket_capacity = models.PositiveSmallIntegerField(
        _("open tickets"), default=25, validators=[MaxValueValidator(500)]
    )
    seniority = models.PositiveSmallIntegerField(
        _("seniority"), choices=Seniority.choices, default=Seniority.REGULAR
    )
    skill_levels: models.JSONField[Any] = models.JSONField(_("skill levels"), default=dict)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    # When the last open console closed: offline after a short grace (moving between pages).
    console_left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.presence})"

    def skill_in(self, queue: str) -> int:
        level = self.skill_levels.get(queue, 2) if isinstance(self.skill_levels, dict) else 2
        return level if isinstance(level, int) and 1 <= level <= 3 else 2


class ConsoleConnection(models.Model):
    """One open console websocket of a staff member (any server process). An agent with none
    is offline; rows whose process died are removed once ``last_seen_at`` is stale."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_connections"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("console connection")
        verbose_name_plural = _("console connections")

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel_name}"


class SlaStage(models.IntegerChoices):
    NONE = 0, _("On track")
    WARNED = 1, _("Breach near")
    BREACHED = 2, _("Breached")


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    AGENT = 1, _("Agent")
    SUPERVISOR = 2, _("Supervisor")
    MANAGER = 3, _("Manager")


class ConversationRouting(models.Model):
    """How Kefu routed a conversation and where it stands against its SLA.

    A row exists once the conversation was handed to people (the bot handed it off, or a
    ticket arrived). ``queued_at`` starts the first-response and resolution clocks; the due
    times are kept up to date by the routing sweep.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="routing"
    )
    queued_at = models.DateTimeField(_("waiting since"))
    routed_at = models.DateTimeField(null=True, blank=True)
    priority_score = models.SmallIntegerField(default=0)
    # [{"factor": "intent", "points": 40, "detail": "..."}], newest computation.
    priority_reasons: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    # The level the computation last gave; a different priority on the conversation was set
    # by a person or a rule, and the computation no longer changes it.
    computed_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    priority_is_manual = models.BooleanField(default=False)
    sla_policy = models.ForeignKey(
        "SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_stage = models.PositiveSmallIntegerField(
        choices=SlaStage.choices, default=SlaStage.NONE
    )
    next_response_stage = models.PositiveSmallIntegerField(
        choices=SlaStage.choices, default=SlaStage.NONE
    )
    # The customer message time the next-response stage refers to (a new wait starts over).
    next_response_for = models.DateTimeField(null=True, blank=True)
    resolution_stage = models.PositiveSmallIntegerField(
        choices=SlaStage.choices, default=SlaStage.NONE
    )
    escalation_level = models.PositiveSmallIntegerField(
        choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["first_response_due_at"], name="routing_first_due"),
            models.Index(fields=["next_response_due_at"], name="routing_next_due"),
            models.Index(fields=["resolution_due_at"], name="routing_resolution_due"),
        ]
        verbose_name = _("conversation routing")
        verbose_name_plural = _("conversation routing")

    def __str__(self) -> str:
        return f"routing of {self.conversation_id}"


class BusinessCalendar(models.Model):
    """Opening hours in a time zone, with holidays; SLA clocks only run while it is open.

    ``hours`` maps a weekday ("0" Monday .. "6" Sunday) to [["09:00", "18:00"], ...].
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    timezone = models.CharField(_("time zone"), max_length=60, default="Asia/Shanghai")
    hours: models.JSONField[Any] = models.JSONField(_("opening hours"), default=dict)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day a business calendar is closed."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets for conversations of one priority (any when empty) on one channel (any when
    empty). The first active policy by ``position`` that matches applies."""

    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    first_response_seconds = models.PositiveIntegerField(
        _("first response within (seconds)"), validators=[MinValueValidator(30)]
    )
    next_response_seconds = models.PositiveIntegerField(
        _("next response within (seconds)"), validators=[MinValueValidator(30)]
    )
    resolution_seconds = models.PositiveIntegerField(
        _("resolution within (seconds)"), validators=[MinValueValidator(60)]
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warn at this percent of the target"),
        default=80,
        validators=[MinValueValidator(10), MaxValueValidator(99)],
    )
    escalation_step_seconds = models.PositiveIntegerField(
        _("escalate further after (seconds)"), default=900, validators=[MinValueValidator(60)]
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("business hours (empty: around the clock)"),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", _("SLA breach near")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    ESCALATED = "escalated", _("Escalated to you")
    ASSIGNED = "assigned", _("Assigned to you")
    RULE = "rule", _("Automation rule")
    CASE = "case", _("Complaint case")
    CHANNEL = "channel", _("Channel problem")


class Notification(models.Model):
    """Something a staff member should look at, shown in the console (and pushed live).

    ``data`` holds what the text is built from in the reader's language (metric, level, rule).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
