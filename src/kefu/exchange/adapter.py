"""What support needs from the exchange's back office, as one interface with two implementations:

- :class:`kefu.exchange.demo.adapter.DemoExchange`: the demo exchange, its data in Kefu's database;
- :class:`kefu.exchange.http.HttpExchange`: any exchange that implements the REST contract in
  ``docs/exchange-api.openapi.json`` (``docs/exchange.md`` explains it).

Every value is a plain frozen dataclass; amounts are :class:`~decimal.Decimal`. Errors are the
three exceptions below, whatever went wrong underneath (a timeout, a 500, a malformed answer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


def plain_decimal(value: Decimal) -> Decimal:
    """``500.0000000000`` → ``500`` and ``0.0412000`` → ``0.0412``, never ``5E+2``."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class KycStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LockReason(StrEnum):
    PASSWORD_ATTEMPTS = "password_attempts"  # noqa: S105 - a lock reason, not a password
    SELF_FROZEN = "self_frozen"
    RISK_REVIEW = "risk_review"
    COMPLIANCE_REVIEW = "compliance_review"
    TWO_FACTOR_RESET = "two_factor_reset"


class DepositStatus(StrEnum):
    CONFIRMING = "confirming"
    CREDITED = "credited"
    WRONG_NETWORK = "wrong_network"
    MISSING_MEMO = "missing_memo"
    UNSUPPORTED_TOKEN = "unsupported_token"  # noqa: S105 - a deposit state
    UNDER_REVIEW = "under_review"


class WithdrawalStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    PROCESSING = "processing"
    BROADCAST = "broadcast"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"


# Locks the exchange sets by itself and lifts by itself: nobody asks for them.
AUTOMATIC_LOCKS = frozenset({LockReason.PASSWORD_ATTEMPTS, LockReason.TWO_FACTOR_RESET})

# A withdrawal can be held only before it is sent to the network.
HOLDABLE = frozenset({WithdrawalStatus.PENDING_REVIEW, WithdrawalStatus.PROCESSING})


class TxidFormat(StrEnum):
    HEX64 = "hex64"
    HEX64_0X = "0xhex64"
    BASE58 = "base58"


@dataclass(frozen=True)
class Network:
    coin: str
    code: str
    name: str
    confirmations: int
    minutes_per_confirmation: float
    memo_required: bool
    txid_format: TxidFormat
    min_deposit: Decimal
    min_withdrawal: Decimal
    withdrawal_fee: Decimal
    deposits_enabled: bool
    withdrawals_enabled: bool


@dataclass(frozen=True)
class AccountLock:
    reason: LockReason
    since: dt.datetime
    # When the lock lifts by itself (password attempts), if it does.
    until: dt.datetime | None = None


@dataclass(frozen=True)
class TwoFactorReset:
    status: str  # pending | approved | rejected
    requested_at: dt.datetime


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    email: str
    language: str
    country: str
    vip_tier: int
    registered_at: dt.datetime
    kyc_level: int
    kyc_status: KycStatus
    kyc_reason: str
    kyc_submitted_at: dt.datetime | None
    two_factor: str
    two_factor_reset: TwoFactorReset | None
    lock: AccountLock | None
    # The exchange asks for step-up verification (2FA again and an email confirmation) at the
    # customer's next sign-in or sensitive action, withdrawals included; it clears it itself.
    step_up_required: bool = False


@dataclass(frozen=True)
class Balance:
    coin: str
    amount: Decimal


@dataclass(frozen=True)
class Deposit:
    id: str
    coin: str
    network: str
    amount: Decimal
    address: str
    memo: str
    txid: str
    status: DepositStatus
    confirmations: int
    required_confirmations: int
    created_at: dt.datetime
    note: str = ""


@dataclass(frozen=True)
class Withdrawal:
    id: str
    coin: str
    network: str
    amount: Decimal
    fee: Decimal
    address: str
    memo: str
    txid: str
    status: WithdrawalStatus
    reason: str
    confirmations: int
    required_confirmations: int
    created_at: dt.datetime


@dataclass(frozen=True)
class ActionResult:
    """What an action did: ``changed`` is False when it was already so (actions are idempotent)."""

    action: str
    changed: bool
    detail: str = ""


class ExchangeError(KefuError):
    """The exchange could not answer: unreachable, too slow, an error, or a malformed answer."""

    code = ErrorCode.EXCHANGE_UNAVAILABLE
    status = 502
    default_message = _("The exchange's back office did not answer. Try again in a minute.")


class ExchangeNotFound(KefuError):
    """The exchange does not know this user, deposit or withdrawal."""

    code = ErrorCode.NOT_FOUND
    status = 404
    default_message = _("The exchange has no such record.")


class ExchangeRefused(KefuError):
    """The exchange refused an action (a compliance lock support may not lift ...)."""

    code = ErrorCode.EXCHANGE_REFUSED
    status = 409
    default_message = _("The exchange refused this action.")


class Exchange(Protocol):
    """The back office, as support sees it. ``user_id`` is the exchange's own user id."""

    def networks(self) -> list[Network]: ...

    def unsupported_tokens(self) -> list[str]: ...

    def profile(self, user_id: str) -> Profile: ...

    def balances(self, user_id: str) -> list[Balance]: ...

    def deposits(
        self, user_id: str, *, coin: str = "", txid: str = "", limit: int = 20
    ) -> list[Deposit]: ...

    def withdrawals(
        self, user_id: str, *, coin: str = "", txid: str = "", limit: int = 20
    ) -> list[Withdrawal]: ...

    def unlock_account(self, user_id: str, *, note: str = "") -> ActionResult: ...

    def lock_account(self, user_id: str, *, reason: LockReason, note: str = "") -> ActionResult: ...

    def require_step_up(self, user_id: str, *, note: str = "") -> ActionResult: ...

    def request_two_factor_reset(self, user_id: str, *, note: str = "") -> ActionResult: ...

    def hold_withdrawal(
        self, user_id: str, withdrawal_id: str, *, note: str = ""
    ) -> ActionResult: ...

    def release_withdrawal(
        self, user_id: str, withdrawal_id: str, *, note: str = ""
    ) -> ActionResult: ...
