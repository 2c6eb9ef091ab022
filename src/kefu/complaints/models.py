"""Complaint cases: a complaint about a conversation, owned by someone above its agent, with a
due date, internal investigation notes, a resolution the customer is told and their answer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Conversation

MAX_REASON_CHARS = 2_000
MAX_NOTE_CHARS = 5_000
MAX_RESOLUTION_CHARS = 5_000
MAX_COMMENT_CHARS = 2_000


class CaseSource(models.TextChoices):
    """How the case came to be."""

    INTENT = "intent", _("Recognised as a complaint")
    AGENT = "agent", _("Marked by staff")
    CUSTOMER = "customer", _("Asked for by the customer")


class CaseStatus(models.TextChoices):
    """Open: nobody is on it yet. Investigating: the owner is on it. Resolution proposed: the
    customer was told the resolution and is asked to confirm it. Closed: final."""

    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLUTION_PROPOSED = "resolution_proposed", _("Resolution proposed")
    CLOSED = "closed", _("Closed")


# Cases that are not closed.
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.INVESTIGATING, CaseStatus.RESOLUTION_PROPOSED)
# Cases waiting on staff: only these can be overdue (a proposed resolution waits on the customer).
ACTIVE_STATUSES = (CaseStatus.OPEN, CaseStatus.INVESTIGATING)


class Case(models.Model):
    """A complaint about one conversation. A conversation has at most one case that is not
    closed; a closed one may be followed by a new case.

    ``owner`` is above ``original_agent`` (the conversation's assignee when the case opened): a
    supervisor of the queue's team, any supervisor, or an administrator. ``reason`` and
    ``customer_comment`` are stored after secrets were redacted.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="cases", verbose_name=_("conversation")
    )
    source = models.CharField(_("source"), max_length=12, choices=CaseSource.choices)
    reason = models.TextField(_("reason"), max_length=MAX_REASON_CHARS, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        verbose_name=_("owner"),
    )
    original_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("original agent"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    due_at = models.DateTimeField(_("due"))
    resolution = models.TextField(_("resolution"), max_length=MAX_RESOLUTION_CHARS, blank=True)
    resolution_proposed_at = models.DateTimeField(null=True, blank=True)
    customer_confirmed_at = models.DateTimeField(null=True, blank=True)
    customer_rejected_at = models.DateTimeField(null=True, blank=True)
    customer_comment = models.TextField(max_length=MAX_COMMENT_CHARS, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=~Q(status="closed"),
                name="case_one_open_per_conversation",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["owner", "status", "due_at"], name="case_owner_status_due"),
        ]
        verbose_name = _("complaint case")
        verbose_name_plural = _("complaint cases")

    def __str__(self) -> str:
        return f"case {self.pk} on {self.conversation_id}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def is_waiting_for_customer(self) -> bool:
        return self.status == CaseStatus.RESOLUTION_PROPOSED

    @property
    def is_overdue(self) -> bool:
        """Waiting on staff past its due time."""
        return self.status in ACTIVE_STATUSES and self.due_at <= timezone.now()


class CaseNote(models.Model):
    """An internal investigation note on a case; customers never see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"), max_length=MAX_NOTE_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"
