"""Tables of risk: ingested account and money events, screening lists and their hits."""

from __future__ import annotations

from django.db import models
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
