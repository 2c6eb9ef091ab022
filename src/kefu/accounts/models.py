"""Staff users, their teams and roles, API tokens, the audit log and the exchange's brand."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kefu.lib.taxonomy import queue_name


class Role(models.TextChoices):
    """What a staff member may do: agents work conversations, supervisors see everything."""

    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class StaffLanguage(models.TextChoices):
    EN = "en", _("English")
    ZH = "zh-hans", _("Simplified Chinese")


class Brand(models.Model):
    """The exchange Kefu serves: its names, colour and contact address. One row."""

    name = models.CharField(_("name"), max_length=80)
    name_zh = models.CharField(_("Chinese name"), max_length=80, blank=True)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    tagline_zh = models.CharField(_("Chinese tagline"), max_length=200, blank=True)
    primary_color = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#0b6bcb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #0b6bcb."))],
    )
    website_url = models.URLField(_("website"), blank=True)
    support_email = models.EmailField(_("support email"), blank=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brand")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The brand's name in the active language."""
        if (get_language() or "en").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name

    @property
    def display_tagline(self) -> str:
        """The tagline in the active language."""
        if (get_language() or "en").startswith("zh") and self.tagline_zh:
            return self.tagline_zh
        return self.tagline


class Team(models.Model):
    """A team of agents; each serves one queue of the intent taxonomy."""

    queue = models.SlugField(_("queue"), max_length=40, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The team's name in the active language (the name of its queue)."""
        return queue_name(self.queue)


class User(AbstractUser):
    """A staff member: an agent, supervisor or administrator of the support desk.

    Customers are not users; they are ``conversations.Customer`` rows.
    """

    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(
        _("language"), max_length=10, choices=StaffLanguage.choices, default=StaffLanguage.EN
    )
    languages_spoken = models.JSONField(_("languages spoken"), default=list, blank=True)
    teams = models.ManyToManyField(
        Team, related_name="members", blank=True, verbose_name=_("teams")
    )
    totp_secret = models.CharField(_("authenticator secret"), max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(_("authenticator confirmed at"), null=True, blank=True)
    totp_last_counter = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name customers and colleagues see."""
        return self.display_name or self.get_full_name() or self.username

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def sees_all_queues(self) -> bool:
        """Supervisors and administrators see every queue; agents see their teams' queues."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


class ApiToken(models.Model):
    """A bearer token a staff member uses for the REST API. Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditLogEntry(models.Model):
    """One staff action or security event: who did what to which object, before and after."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    before: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    after: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_type}:{self.target_id}"
