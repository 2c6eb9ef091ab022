"""Routing and automation rules: conditions on a conversation and what to do when they hold.

Rules are evaluated by ``position`` whenever a conversation is handed to people (see
:func:`kefu.rules.services.apply_rules`). ``conditions`` and ``actions`` are stored in the
canonical form :mod:`kefu.rules.spec` writes; nothing else should put JSON there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Match(models.TextChoices):
    ALL = "all", _("all conditions hold")
    ANY = "any", _("any condition holds")


class ConditionField(models.TextChoices):
    CHANNEL = "channel", _("Channel")
    INTENT = "intent", _("Intent")
    QUEUE = "queue", _("Queue")
    LANGUAGE = "language", _("Language")
    PRIORITY = "priority", _("Priority")
    VIP_TIER = "vip_tier", _("VIP tier")
    SECURITY_LEVEL = "security_level", _("Security level")
    KEYWORD = "keyword", _("Keywords in the subject or customer messages")
    TAG = "tag", _("Tag")
    WEEKDAY = "weekday", _("Weekday")
    HOUR = "hour", _("Hour of the day")
    BUSINESS_HOURS = "business_hours", _("Business hours")


class Operator(models.TextChoices):
    IS = "is", _("is")
    IS_NOT = "is_not", _("is not")
    IN = "in", _("is one of")
    NOT_IN = "not_in", _("is none of")
    GTE = "gte", _("is at least")
    LTE = "lte", _("is at most")
    CONTAINS = "contains", _("contains any of")
    BETWEEN = "between", _("is between")


class ActionType(models.TextChoices):
    SET_QUEUE = "set_queue", _("Set the queue")
    ASSIGN_TEAM = "assign_team", _("Assign to a team")
    SET_PRIORITY = "set_priority", _("Set the priority")
    ADD_TAG = "add_tag", _("Add a tag")
    SEND_CANNED_REPLY = "send_canned_reply", _("Send a canned reply")
    NOTIFY = "notify", _("Notify")


class Rule(models.Model):
    """One routing or automation rule, made by a supervisor in the console.

    ``conditions`` is ``[{"field", "operator", "value", ...}]`` and ``actions`` is
    ``[{"type", "value"}]``, both as :mod:`kefu.rules.spec` writes them. A rule without
    conditions applies to every conversation. When ``stop_processing`` is set and the rule
    fires, the rules after it are not evaluated.
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    match = models.CharField(
        _("fires when"), max_length=3, choices=Match.choices, default=Match.ALL
    )
    conditions: models.JSONField[Any] = models.JSONField(_("conditions"), default=list, blank=True)
    actions: models.JSONField[Any] = models.JSONField(_("actions"), default=list)
    stop_processing = models.BooleanField(_("stop processing later rules"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    fired_count = models.PositiveIntegerField(_("times fired"), default=0)
    last_fired_at = models.DateTimeField(_("last fired"), null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["is_active", "position"], name="rule_active_order")]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        return self.name
