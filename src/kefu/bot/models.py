"""The bot's memory of each chat it works: which flow it is in, what it has learned, what it
asked, and how it ended (hand-off or resolution)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Conversation


class BotState(models.TextChoices):
    IDLE = "idle", _("Listening")
    CONFIRMING = "confirming", _("Asked whether the answer helped")
    CLARIFYING = "clarifying", _("Asked which topic the customer means")
    FLOW = "flow", _("In a guided flow")
    HANDED_OFF = "handed_off", _("Handed off to people")


class BotSession(models.Model):
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="bot_session"
    )
    state = models.CharField(max_length=12, choices=BotState.choices, default=BotState.IDLE)
    flow = models.CharField(max_length=20, blank=True)
    # What the flow knows so far (coin, network, txid, amount ...) and what it asked.
    slots: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    options: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    articles_shown: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    failed_answers = models.PositiveSmallIntegerField(default=0)
    retries = models.PositiveSmallIntegerField(default=0)
    turns = models.PositiveIntegerField(default=0)
    # The newest customer message the bot has answered: each is answered once, by one worker.
    last_message_id = models.BigIntegerField(default=0)
    handoff_reason = models.CharField(max_length=20, blank=True)
    resolved = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bot session")
        verbose_name_plural = _("bot sessions")

    def __str__(self) -> str:
        return f"bot on {self.conversation_id}: {self.state}"
