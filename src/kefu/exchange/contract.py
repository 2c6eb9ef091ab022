"""The REST contract an exchange implements so Kefu can reach its back office.

The schemas here are the contract: the demo exchange serves them (``kefu.exchange.demo.api``),
the HTTP adapter checks every answer against them (``kefu.exchange.http``), and the OpenAPI file
``docs/exchange-api.openapi.json`` is generated from them (``kefu exchange openapi``).

Requests are signed: ``X-Kefu-Timestamp`` (Unix seconds) and ``X-Kefu-Signature``, the hex
HMAC-SHA256, with the shared secret, of ``timestamp \\n METHOD \\n path?query \\n sha256(body)``.
The exchange rejects a signature that does not match or a timestamp more than five minutes off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from kefu.exchange import adapter

SIGNATURE_HEADER = "X-Kefu-Signature"
TIMESTAMP_HEADER = "X-Kefu-Timestamp"
MAX_SKEW_SECONDS = 300
USER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
RECORD_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


def signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The signature of one request (see the module's docstring)."""
    digest = hashlib.sha256(body).hexdigest()
    message = f"{timestamp}\n{method.upper()}\n{path}\n{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(
    secret: str, timestamp: str, given: str, method: str, path: str, body: bytes
) -> bool:
    """Whether a request's signature matches and its timestamp is recent."""
    if not secret or not timestamp.isdigit() or not given:
        return False
    if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, method, path, body), given)


Money = Decimal


class NetworkOut(Schema):
    coin: str = Field(max_length=10)
    code: str = Field(max_length=20)
    name: str = Field(max_length=60)
    confirmations: int = Field(ge=0, le=100_000)
    minutes_per_confirmation: float = Field(ge=0)
    memo_required: bool
    txid_format: Literal["hex64", "0xhex64", "base58"]
    min_deposit: Money
    min_withdrawal: Money
    withdrawal_fee: Money
    deposits_enabled: bool
    withdrawals_enabled: bool


class NetworksOut(Schema):
    networks: list[NetworkOut]
    unsupported_tokens: list[str]


LockReasonCode = Literal[
    "password_attempts", "self_frozen", "risk_review", "compliance_review", "two_factor_reset"
]


class LockOut(Schema):
    reason: LockReasonCode
    since: dt.datetime
    until: dt.datetime | None = None


class TwoFactorResetOut(Schema):
    status: Literal["pending", "approved", "rejected"]
    requested_at: dt.datetime


class ProfileOut(Schema):
    user_id: str = Field(max_length=32)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    language: str = Field(max_length=8)
    country: str = Field(max_length=2)
    vip_tier: int = Field(ge=0, le=10)
    registered_at: dt.datetime
    kyc_level: int = Field(ge=0, le=5)
    kyc_status: Literal["none", "pending", "approved", "rejected"]
    kyc_reason: str = Field("", max_length=60)
    kyc_submitted_at: dt.datetime | None = None
    two_factor: str = Field(max_length=8)
    two_factor_reset: TwoFactorResetOut | None = None
    lock: LockOut | None = None
    step_up_required: bool = Field(
        False,
        description=(
            "the customer must pass step-up verification (2FA again and an email confirmation) "
            "at the next sign-in or sensitive action, withdrawals included"
        ),
    )


class BalanceOut(Schema):
    coin: str = Field(max_length=10)
    amount: Money


class BalancesOut(Schema):
    balances: list[BalanceOut]


class DepositOut(Schema):
    id: str = Field(max_length=128)
    coin: str = Field(max_length=10)
    network: str = Field(max_length=20)
    amount: Money
    address: str = Field(max_length=128)
    memo: str = Field("", max_length=64)
    txid: str = Field(max_length=128)
    status: Literal[
        "confirming",
        "credited",
        "wrong_network",
        "missing_memo",
        "unsupported_token",
        "under_review",
    ]
    confirmations: int = Field(ge=0)
    required_confirmations: int = Field(ge=0)
    created_at: dt.datetime
    note: str = Field("", max_length=200)


class DepositsOut(Schema):
    deposits: list[DepositOut]


class WithdrawalOut(Schema):
    id: str = Field(max_length=128)
    coin: str = Field(max_length=10)
    network: str = Field(max_length=20)
    amount: Money
    fee: Money
    address: str = Field(max_length=128)
    memo: str = Field("", max_length=64)
    txid: str = Field("", max_length=128)
    status: Literal[
        "pending_review", "processing", "broadcast", "completed", "failed", "cancelled", "held"
    ]
    reason: str = Field("", max_length=60)
    confirmations: int = Field(ge=0)
    required_confirmations: int = Field(ge=0)
    created_at: dt.datetime


class WithdrawalsOut(Schema):
    withdrawals: list[WithdrawalOut]


class ActionIn(Schema):
    note: str = Field("", max_length=500, description="why support acts (kept in the audit log)")


class LockIn(ActionIn):
    reason: LockReasonCode = Field(
        description=(
            "why the account is locked; the exchange refuses the reasons it sets by itself "
            "(password_attempts, two_factor_reset) with 409"
        )
    )


class ActionOut(Schema):
    action: str = Field(max_length=40)
    changed: bool
    detail: str = Field("", max_length=200)


class ErrorOut(Schema):
    code: Literal["not_found", "refused", "unauthorized", "invalid_input", "unavailable"]
    message: str = Field(max_length=500)


# --- between the schemas and the adapter's dataclasses ------------------------------------------


def network(row: NetworkOut) -> adapter.Network:
    return adapter.Network(
        **{**row.model_dump(), "txid_format": adapter.TxidFormat(row.txid_format)}
    )


def profile(row: ProfileOut) -> adapter.Profile:
    data = row.model_dump()
    data["kyc_status"] = adapter.KycStatus(row.kyc_status)
    data["two_factor_reset"] = (
        adapter.TwoFactorReset(**row.two_factor_reset.model_dump())
        if row.two_factor_reset
        else None
    )
    data["lock"] = (
        adapter.AccountLock(
            reason=adapter.LockReason(row.lock.reason), since=row.lock.since, until=row.lock.until
        )
        if row.lock
        else None
    )
    return adapter.Profile(**data)


def deposit(row: DepositOut) -> adapter.Deposit:
    return adapter.Deposit(**{**row.model_dump(), "status": adapter.DepositStatus(row.status)})


def withdrawal(row: WithdrawalOut) -> adapter.Withdrawal:
    return adapter.Withdrawal(
        **{**row.model_dump(), "status": adapter.WithdrawalStatus(row.status)}
    )
