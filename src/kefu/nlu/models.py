"""Trained language models (the registry, one live at a time) and labelled examples."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModelStatus(models.TextChoices):
    TRAINED = "trained", _("trained")
    LIVE = "live", _("live")
    RETIRED = "retired", _("retired")


class LanguageModel(models.Model):
    """One trained model. Its files (manifest and weights) are kept here too, so every server
    process can load the live model without shared disks; each unpacks it once into its own
    cache directory."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ModelStatus.choices, default=ModelStatus.TRAINED
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    manifest: models.JSONField[Any] = models.JSONField(default=dict)
    weights = models.BinaryField()
    # Evaluation on the fixed test split (accuracy, macro-F1, out-of-scope recall ...).
    evaluation: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="live"), name="one_live_language_model"
            )
        ]
        verbose_name = _("language model")
        verbose_name_plural = _("language models")

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class ExampleSource(models.TextChoices):
    CORRECTION = "correction", _("agent correction")
    IMPORT = "import", _("imported")


class LabelledExample(models.Model):
    """A message with its right intent, from an agent's correction or an import. Retraining
    includes these; those in the fixed test split are used only to evaluate."""

    text = models.TextField()
    label = models.CharField(_("intent"), max_length=60)
    language = models.CharField(max_length=8, blank=True)
    source = models.CharField(max_length=12, choices=ExampleSource.choices)
    message = models.OneToOneField(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="labelled_example",
    )
    previous_label = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("labelled example")
        verbose_name_plural = _("labelled examples")

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:40]}"
