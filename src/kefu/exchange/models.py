"""The demo exchange's back office: its networks, accounts, deposits and withdrawals.

These tables belong to the demo adapter only (``kefu.exchange.demo``); a real exchange keeps its
own and Kefu reaches it through the HTTP adapter. Nothing outside the demo adapter reads them.
"""

from __future__ import annotations

from typing import Any

from django.db import models

DIGITS, PLACES = 30, 10


class DemoNetwork(models.Model):
    coin = models.CharField(max_length=10)
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=60)
    confirmations = models.PositiveIntegerField()
    minutes_per_confirmation = models.FloatField()
    memo_required = models.BooleanField(default=False)
    txid_format = models.CharField(max_length=10)
    min_deposit = models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)
    min_withdrawal = models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)
    withdrawal_fee = models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)
    deposits_enabled = models.BooleanField(default=True)
    withdrawals_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["coin", "code"]
        constraints = [models.UniqueConstraint(fields=["coin", "code"], name="demo_network_unique")]

    def __str__(self) -> str:
        return f"{self.coin}/{self.code}"


class DemoSetting(models.Model):
    """Loose settings of the demo exchange (the tokens it does not list)."""

    key = models.CharField(max_length=40, unique=True)
    value: models.JSONField[Any] = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.key


class DemoAccount(models.Model):
    user_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    email = models.EmailField()
    language = models.CharField(max_length=8)
    country = models.CharField(max_length=2)
    vip_tier = models.PositiveSmallIntegerField(default=0)
    registered_at = models.DateTimeField()
    kyc_level = models.PositiveSmallIntegerField(default=0)
    kyc_status = models.CharField(max_length=12)
    kyc_reason = models.CharField(max_length=40, blank=True)
    kyc_submitted_at = models.DateTimeField(null=True, blank=True)
    two_factor = models.CharField(max_length=8)
    two_factor_reset_status = models.CharField(max_length=12, blank=True)
    two_factor_reset_at = models.DateTimeField(null=True, blank=True)
    lock_reason = models.CharField(max_length=24, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    step_up_required = models.BooleanField(default=False)
    balances: models.JSONField[Any] = models.JSONField(default=dict)

    class Meta:
        ordering = ["user_id"]

    def __str__(self) -> str:
        return self.user_id


class DemoDeposit(models.Model):
    id = models.CharField(max_length=32, primary_key=True)
    account = models.ForeignKey(DemoAccount, on_delete=models.CASCADE, related_name="deposits")
    coin = models.CharField(max_length=10)
    network = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True)
    txid = models.CharField(max_length=128, unique=True)
    status = models.CharField(max_length=20)
    confirmations = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.id


class DemoWithdrawal(models.Model):
    id = models.CharField(max_length=32, primary_key=True)
    account = models.ForeignKey(DemoAccount, on_delete=models.CASCADE, related_name="withdrawals")
    coin = models.CharField(max_length=10)
    network = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)
    fee = models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True)
    txid = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=20)
    reason = models.CharField(max_length=40, blank=True)
    confirmations = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.id
