"""Tables of risk: ingested account and money events, screening lists and their hits, the
alerts detectors raise, the security team's review cases, what it trusts, and the policies
mapping severity to actions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", _("Login succeeded")
    LOGIN_FAILED = "login_failed", _("Login failed")
    TWO_FACTOR_CHANGED = "two_factor_changed", _("Two-factor authentication changed")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    EMAIL_CHANGED = "email_changed", _("Email address changed")
    PHONE_CHANGED = "phone_changed", _("Phone number changed")
    WITHDRAWAL_ADDRESS_ADDED = "withdrawal_address_added", _("Withdrawal address added")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Withdrawal requested")
    DEPOSIT = "deposit", _("Deposit")
    TRADE = "trade", _("Trade")
    API_KEY_CREATED = "api_key_created", _("API key created")


class EventSource(models.TextChoices):
    API = "api", _("API")
    FILE = "file", _("File")
    STREAM = "stream", _("Stream")


class ScreeningList(models.TextChoices):
    OFAC = "ofac", _("OFAC sanctions")
    SCAM = "scam", _("Scam and phishing")


class RiskEvent(models.Model):
    """One thing that happened on a customer's exchange account, as the exchange reported it.

    ``event_id`` is the exchange's id and is unique: a replayed event is stored once.
    ``batch`` tells which ingestion stored the row, so concurrent replays know what they added.
    """

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    user_id = models.CharField(_("customer user id"), max_length=100, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    device_id = models.CharField(_("device id"), max_length=200, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    asset = models.CharField(_("asset"), max_length=20, blank=True)
    network = models.CharField(_("network"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=128, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=38, decimal_places=18, null=True, blank=True
    )
    payload = models.JSONField(_("other details"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=EventSource.choices)
    batch = models.UUIDField(_("ingestion batch"))

    class Meta:
        verbose_name = _("risk event")
        verbose_name_plural = _("risk events")
        indexes = [models.Index(fields=["user_id", "occurred_at"], name="risk_event_user_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class ScreenedAddress(models.Model):
    """An address on a screening list, stored normalised (see ``screening.normalise_address``).

    The same address may be listed under several assets and by several source files; a lookup
    goes by the indexed ``address`` alone, whatever the asset.
    """

    list = models.CharField(_("list"), max_length=10, choices=ScreeningList.choices)
    asset = models.CharField(_("asset"), max_length=20)
    address = models.CharField(_("address"), max_length=128, db_index=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        verbose_name = _("screened address")
        verbose_name_plural = _("screened addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["list", "asset", "source", "address"], name="risk_screened_address_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.list} {self.address}"


class ScreeningListVersion(models.Model):
    """One load of a screening list for an asset from a source file: what it held, and who."""

    list = models.CharField(_("list"), max_length=10, choices=ScreeningList.choices)
    asset = models.CharField(_("asset"), max_length=20)
    source = models.CharField(_("source"), max_length=200)
    source_file = models.CharField(_("source file"), max_length=500)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    count = models.PositiveIntegerField(_("addresses"))
    loaded_at = models.DateTimeField(_("loaded at"))
    loaded_by = models.CharField(_("loaded by"), max_length=150)

    class Meta:
        verbose_name = _("screening list version")
        verbose_name_plural = _("screening list versions")
        ordering = ["-loaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.list} {self.asset} {self.sha256[:12]}"


class ScreeningHit(models.Model):
    """A withdrawal event whose address is on a screening list."""

    event = models.ForeignKey(
        RiskEvent, on_delete=models.CASCADE, related_name="screening_hits", verbose_name=_("event")
    )
    list = models.CharField(_("list"), max_length=10, choices=ScreeningList.choices)
    asset = models.CharField(_("listed under asset"), max_length=20)
    address = models.CharField(_("address"), max_length=128)
    label = models.CharField(_("label"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "list", "asset"], name="risk_screening_hit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.list} {self.address}"


class Detector(models.TextChoices):
    """What an alert was raised by; each has its reason in words (kefu.risk.detectors)."""

    NEW_DEVICE = "new_device", _("New device")
    NEW_NETWORK = "new_network", _("New IP network")
    NEW_COUNTRY = "new_country", _("New country")
    IMPOSSIBLE_TRAVEL = "impossible_travel", _("Impossible travel")
    FAILED_LOGIN_BURST = "failed_login_burst", _("Burst of failed logins")
    WITHDRAWAL_ABOVE_BASELINE = "withdrawal_above_baseline", _("Withdrawal far above usual")
    WITHDRAWAL_BURST = "withdrawal_burst", _("Many withdrawals in a short time")
    TAKEOVER_PATTERN = "takeover_pattern", _("Account takeover pattern")
    SANCTIONED_ADDRESS = "sanctioned_address", _("Sanctioned address")
    SCAM_ADDRESS = "scam_address", _("Known scam address")
    TRADING_SPIKE = "trading_spike", _("Trading volume spike")


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed fraud")
    DISMISSED = "dismissed", _("Dismissed")


class RiskCase(models.Model):
    """A review case of the security team: one customer's alerts while it is open, the actions
    taken, and the decision (confirmed or dismissed; a dismissal teaches the baseline)."""

    user_id = models.CharField(_("customer user id"), max_length=100, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    opened_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("updated at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("risk review case")
        verbose_name_plural = _("risk review cases")
        ordering = ["-severity", "-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id"],
                condition=Q(status="open"),
                name="risk_one_open_case_per_customer",
            )
        ]
        indexes = [models.Index(fields=["status", "-severity", "-updated_at"], name="risk_cases")]

    def __str__(self) -> str:
        return f"risk case {self.pk} ({self.user_id})"


class Alert(models.Model):
    """One detector firing on one event, with its score, severity and the values its reason is
    written from (``params``). Detecting the same event twice raises nothing new."""

    user_id = models.CharField(_("customer user id"), max_length=100, db_index=True)
    detector = models.CharField(_("detector"), max_length=40, choices=Detector.choices)
    event = models.ForeignKey(
        RiskEvent, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("event")
    )
    score = models.PositiveSmallIntegerField(_("score"))
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    params: models.JSONField[Any] = models.JSONField(_("details"), default=dict, blank=True)
    case = models.ForeignKey(
        RiskCase,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        verbose_name=_("case"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["detector", "event"], name="risk_alert_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.detector} on {self.user_id}"


class TrustKind(models.TextChoices):
    DEVICE = "device", _("Device")
    NETWORK = "network", _("IP network")
    COUNTRY = "country", _("Country")
    ADDRESS = "address", _("Withdrawal address")


class TrustedValue(models.Model):
    """Something of a customer's the security team said is theirs (a dismissed alert): the
    detectors treat it as known from then on."""

    user_id = models.CharField(_("customer user id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=TrustKind.choices)
    value = models.CharField(_("value"), max_length=200)
    case = models.ForeignKey(
        RiskCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("trusted value")
        verbose_name_plural = _("trusted values")
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "kind", "value"], name="risk_trusted_value_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.value}"


class ActionKind(models.TextChoices):
    NOTIFY_CUSTOMER = "notify_customer", _("Warn the customer")
    HOLD_WITHDRAWAL = "hold_withdrawal", _("Hold the withdrawal")
    LOCK_ACCOUNT = "lock_account", _("Lock the account")
    REQUIRE_STEP_UP = "require_step_up", _("Require step-up verification")
    OPEN_CASE = "open_case", _("Open a review case")


class RiskPolicy(models.Model):
    """What Kefu does on its own for alerts of one severity (supervisors change it)."""

    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, unique=True
    )
    actions: models.JSONField[Any] = models.JSONField(_("actions"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("risk policy")
        verbose_name_plural = _("risk policies")
        ordering = ["severity"]

    def __str__(self) -> str:
        return f"severity {self.severity}: {', '.join(self.actions)}"


class ActionStatus(models.TextChoices):
    DONE = "done", _("Done")
    ALREADY = "already", _("Already so")
    SKIPPED = "skipped", _("Not done")
    FAILED = "failed", _("Failed")


class RiskAction(models.Model):
    """An action Kefu or a staff member took on a case (through the exchange adapter, by email
    or in Kefu), with its outcome. Taken once per case, action and target."""

    case = models.ForeignKey(
        RiskCase, on_delete=models.CASCADE, related_name="actions", verbose_name=_("case")
    )
    action = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    target = models.CharField(_("target"), max_length=100, blank=True)
    status = models.CharField(_("outcome"), max_length=10, choices=ActionStatus.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("risk action")
        verbose_name_plural = _("risk actions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "action", "target"], name="risk_action_once_per_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target} ({self.status})"
