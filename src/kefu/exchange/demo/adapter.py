"""The demo exchange: a back office kept in Kefu's own database, loaded from ``exchange.yaml``.

It behaves like a real one where support can see it: a password lock lifts itself after two
hours, compliance locks cannot be lifted by support, a withdrawal can only be held before it is
broadcast, and every action is idempotent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.exchange.adapter import (
    AUTOMATIC_LOCKS,
    HOLDABLE,
    AccountLock,
    ActionResult,
    Balance,
    Deposit,
    DepositStatus,
    ExchangeNotFound,
    ExchangeRefused,
    KycStatus,
    LockReason,
    Network,
    Profile,
    TwoFactorReset,
    TxidFormat,
    Withdrawal,
    WithdrawalStatus,
    plain_decimal,
)
from kefu.exchange.models import (
    DemoAccount,
    DemoDeposit,
    DemoNetwork,
    DemoSetting,
    DemoWithdrawal,
)

DATA_FILE = Path(__file__).with_name("exchange.yaml")
PASSWORD_LOCK = dt.timedelta(hours=2)
TWO_FACTOR_RESET_LOCK = dt.timedelta(hours=24)
UNLIFTABLE = {LockReason.COMPLIANCE_REVIEW}
_HEX = re.compile(r"^(0x)?[0-9a-fA-F]+$")


class DemoExchange:
    """:class:`kefu.exchange.adapter.Exchange` over the demo tables."""

    def networks(self) -> list[Network]:
        return [_network(row) for row in DemoNetwork.objects.all()]

    def unsupported_tokens(self) -> list[str]:
        row = DemoSetting.objects.filter(key="unsupported_tokens").first()
        return [str(token) for token in (row.value if row else [])]

    def profile(self, user_id: str) -> Profile:
        account = _account(user_id)
        lock = _lock(account)
        reset = None
        if account.two_factor_reset_status and account.two_factor_reset_at:
            reset = TwoFactorReset(account.two_factor_reset_status, account.two_factor_reset_at)
        return Profile(
            user_id=account.user_id,
            name=account.name,
            email=account.email,
            language=account.language,
            country=account.country,
            vip_tier=account.vip_tier,
            registered_at=account.registered_at,
            kyc_level=account.kyc_level,
            kyc_status=KycStatus(account.kyc_status),
            kyc_reason=account.kyc_reason,
            kyc_submitted_at=account.kyc_submitted_at,
            two_factor=account.two_factor,
            two_factor_reset=reset,
            lock=lock,
            step_up_required=account.step_up_required,
        )

    def balances(self, user_id: str) -> list[Balance]:
        account = _account(user_id)
        return [
            Balance(coin=coin, amount=Decimal(str(amount)))
            for coin, amount in sorted(account.balances.items())
        ]

    def deposits(
        self, user_id: str, *, coin: str = "", txid: str = "", limit: int = 20
    ) -> list[Deposit]:
        rows = _account(user_id).deposits.all()
        if coin:
            rows = rows.filter(coin=coin.upper())
        if txid:
            rows = rows.filter(_txid_match(txid))
        required = _required_confirmations()
        return [
            Deposit(
                id=row.id,
                coin=row.coin,
                network=row.network,
                amount=plain_decimal(row.amount),
                address=row.address,
                memo=row.memo,
                txid=row.txid,
                status=DepositStatus(row.status),
                confirmations=row.confirmations,
                required_confirmations=required.get((row.coin, row.network), 0),
                created_at=row.created_at,
                note=row.note,
            )
            for row in rows[: max(1, min(limit, 100))]
        ]

    def withdrawals(
        self, user_id: str, *, coin: str = "", txid: str = "", limit: int = 20
    ) -> list[Withdrawal]:
        rows = _account(user_id).withdrawals.all()
        if coin:
            rows = rows.filter(coin=coin.upper())
        if txid:
            rows = rows.filter(_txid_match(txid) | Q(id=txid))
        required = _required_confirmations()
        return [_withdrawal(row, required) for row in rows[: max(1, min(limit, 100))]]

    # --- actions ------------------------------------------------------------------------------

    def unlock_account(self, user_id: str, *, note: str = "") -> ActionResult:
        with transaction.atomic():
            account = _account(user_id, lock=True)
            lock = _lock(account)
            if lock is None:
                return ActionResult("unlock_account", changed=False, detail="not locked")
            if lock.reason in UNLIFTABLE:
                raise ExchangeRefused(
                    _("Only the compliance team can lift a compliance review lock.")
                )
            account.lock_reason, account.locked_at = "", None
            account.save(update_fields=["lock_reason", "locked_at"])
        return ActionResult("unlock_account", changed=True, detail=str(lock.reason))

    def lock_account(self, user_id: str, *, reason: LockReason, note: str = "") -> ActionResult:
        """Lock with ``reason``. A lock that lifts by itself (password attempts, after a 2FA
        reset) is replaced, so it cannot lift the new one with it; any other lock stays."""
        reason = LockReason(reason)
        if reason in AUTOMATIC_LOCKS:
            raise ExchangeRefused(_("The exchange sets this kind of lock by itself."))
        with transaction.atomic():
            account = _account(user_id, lock=True)
            current = _lock(account)
            if current is not None and current.until is None:
                return ActionResult("lock_account", changed=False, detail=str(current.reason))
            account.lock_reason = reason
            account.locked_at = timezone.now().replace(microsecond=0)
            account.save(update_fields=["lock_reason", "locked_at"])
        return ActionResult("lock_account", changed=True, detail=str(reason))

    def require_step_up(self, user_id: str, *, note: str = "") -> ActionResult:
        with transaction.atomic():
            account = _account(user_id, lock=True)
            if account.step_up_required:
                return ActionResult("require_step_up", changed=False, detail="required")
            account.step_up_required = True
            account.save(update_fields=["step_up_required"])
        return ActionResult("require_step_up", changed=True, detail="required")

    def request_two_factor_reset(self, user_id: str, *, note: str = "") -> ActionResult:
        with transaction.atomic():
            account = _account(user_id, lock=True)
            if account.two_factor_reset_status == "pending":
                return ActionResult("request_two_factor_reset", changed=False, detail="pending")
            account.two_factor_reset_status = "pending"
            account.two_factor_reset_at = timezone.now().replace(microsecond=0)
            account.save(update_fields=["two_factor_reset_status", "two_factor_reset_at"])
        return ActionResult("request_two_factor_reset", changed=True, detail="pending")

    def hold_withdrawal(self, user_id: str, withdrawal_id: str, *, note: str = "") -> ActionResult:
        with transaction.atomic():
            row = _withdrawal_row(user_id, withdrawal_id)
            if row.status == WithdrawalStatus.HELD:
                return ActionResult("hold_withdrawal", changed=False, detail=row.reason)
            if row.status not in HOLDABLE:
                raise ExchangeRefused(
                    _("A withdrawal that is %(status)s can no longer be held.")
                    % {"status": row.status}
                )
            row.status, row.reason = WithdrawalStatus.HELD, "support_hold"
            row.save(update_fields=["status", "reason"])
        return ActionResult("hold_withdrawal", changed=True, detail="support_hold")

    def release_withdrawal(
        self, user_id: str, withdrawal_id: str, *, note: str = ""
    ) -> ActionResult:
        with transaction.atomic():
            row = _withdrawal_row(user_id, withdrawal_id)
            if row.status != WithdrawalStatus.HELD:
                return ActionResult("release_withdrawal", changed=False, detail=row.status)
            row.status, row.reason = WithdrawalStatus.PROCESSING, ""
            row.save(update_fields=["status", "reason"])
        return ActionResult("release_withdrawal", changed=True, detail="processing")


def _account(user_id: str, *, lock: bool = False) -> DemoAccount:
    rows = DemoAccount.objects.select_for_update() if lock else DemoAccount.objects
    account = rows.filter(user_id=str(user_id)[:32]).first()
    if account is None:
        raise ExchangeNotFound()
    return account


def _withdrawal_row(user_id: str, withdrawal_id: str) -> DemoWithdrawal:
    account = _account(user_id)
    row = (
        DemoWithdrawal.objects.select_for_update()
        .filter(account=account, id=str(withdrawal_id)[:32])
        .first()
    )
    if row is None:
        raise ExchangeNotFound()
    return row


def _lock(account: DemoAccount) -> AccountLock | None:
    if not account.lock_reason or account.locked_at is None:
        return None
    reason = LockReason(account.lock_reason)
    until = None
    if reason == LockReason.PASSWORD_ATTEMPTS:
        until = account.locked_at + PASSWORD_LOCK
    elif reason == LockReason.TWO_FACTOR_RESET:
        until = account.locked_at + TWO_FACTOR_RESET_LOCK
    if until is not None and until <= timezone.now():
        return None
    return AccountLock(reason=reason, since=account.locked_at, until=until)


def _txid_match(txid: str) -> Q:
    txid = txid.strip()[:128]
    if _HEX.match(txid):
        return Q(txid__iexact=txid)
    return Q(txid=txid)


def _required_confirmations() -> dict[tuple[str, str], int]:
    return {
        (row.coin, row.code): row.confirmations
        for row in DemoNetwork.objects.only("coin", "code", "confirmations")
    }


def _network(row: DemoNetwork) -> Network:
    return Network(
        coin=row.coin,
        code=row.code,
        name=row.name,
        confirmations=row.confirmations,
        minutes_per_confirmation=row.minutes_per_confirmation,
        memo_required=row.memo_required,
        txid_format=TxidFormat(row.txid_format),
        min_deposit=plain_decimal(row.min_deposit),
        min_withdrawal=plain_decimal(row.min_withdrawal),
        withdrawal_fee=plain_decimal(row.withdrawal_fee),
        deposits_enabled=row.deposits_enabled,
        withdrawals_enabled=row.withdrawals_enabled,
    )


def _withdrawal(row: DemoWithdrawal, required: dict[tuple[str, str], int]) -> Withdrawal:
    return Withdrawal(
        id=row.id,
        coin=row.coin,
        network=row.network,
        amount=plain_decimal(row.amount),
        fee=plain_decimal(row.fee),
        address=row.address,
        memo=row.memo,
        txid=row.txid,
        status=WithdrawalStatus(row.status),
        reason=row.reason,
        confirmations=row.confirmations,
        required_confirmations=required.get((row.coin, row.network), 0),
        created_at=row.created_at,
    )


# --- loading exchange.yaml --------------------------------------------------------------------


class DemoDataError(Exception):
    """exchange.yaml breaks its schema (``README.md`` beside it)."""


@dataclass(frozen=True)
class DemoLoadReport:
    networks: int
    accounts: int
    deposits: int
    withdrawals: int


def load_demo_exchange(path: Path = DATA_FILE) -> DemoLoadReport:
    """Replace the demo exchange's tables with ``path``'s data, times counted from now."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DemoDataError(f"{path}: {error}") from None
    # Whole seconds: the REST contract carries times to the millisecond.
    now = timezone.now().replace(microsecond=0)
    try:
        networks = [
            _new_network_row(coin, network)
            for coin in data["coins"]
            for network in coin["networks"]
        ]
        accounts, deposits, withdrawals = [], [], []
        for customer in data["customers"]:
            account = _new_account_row(customer, now)
            accounts.append(account)
            deposits += [
                _new_deposit_row(account, item, now) for item in customer.get("deposits") or ()
            ]
            withdrawals += [
                _new_withdrawal_row(account, item, now)
                for item in customer.get("withdrawals") or ()
            ]
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise DemoDataError(f"{path}: {type(error).__name__}: {error}") from None
    with transaction.atomic():
        DemoWithdrawal.objects.all().delete()
        DemoDeposit.objects.all().delete()
        DemoAccount.objects.all().delete()
        DemoNetwork.objects.all().delete()
        DemoNetwork.objects.bulk_create(networks)
        DemoAccount.objects.bulk_create(accounts)
        DemoDeposit.objects.bulk_create(deposits)
        DemoWithdrawal.objects.bulk_create(withdrawals)
        DemoSetting.objects.update_or_create(
            key="unsupported_tokens",
            defaults={"value": [str(token) for token in data.get("unsupported_tokens") or ()]},
        )
    return DemoLoadReport(len(networks), len(accounts), len(deposits), len(withdrawals))


def _ago(now: dt.datetime, minutes: Any) -> dt.datetime:
    return now - dt.timedelta(minutes=float(minutes or 0))


def _amount(value: Any) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"bad amount {value!r}")
    return amount


def _new_network_row(coin: dict[str, Any], network: dict[str, Any]) -> DemoNetwork:
    return DemoNetwork(
        coin=str(coin["symbol"]).upper(),
        code=str(network["code"]),
        name=str(network.get("name") or network["code"]),
        confirmations=int(network["confirmations"]),
        minutes_per_confirmation=float(network.get("minutes_per_confirmation") or 1),
        memo_required=bool(network.get("memo_required")),
        txid_format=TxidFormat(network.get("txid_format") or "hex64"),
        min_deposit=_amount(network.get("min_deposit") or 0),
        min_withdrawal=_amount(network.get("min_withdrawal") or 0),
        withdrawal_fee=_amount(network.get("withdrawal_fee") or 0),
        deposits_enabled=bool(network.get("deposits_enabled", True)),
        withdrawals_enabled=bool(network.get("withdrawals_enabled", True)),
    )


def _new_account_row(customer: dict[str, Any], now: dt.datetime) -> DemoAccount:
    kyc = customer.get("kyc") or {}
    reset = customer.get("two_factor_reset") or {}
    lock = customer.get("lock") or {}
    return DemoAccount(
        user_id=str(customer["user_id"]),
        name=str(customer["name"]),
        email=str(customer.get("email") or ""),
        language=str(customer.get("language") or "en"),
        country=str(customer.get("country") or "")[:2],
        vip_tier=int(customer.get("vip_tier") or 0),
        registered_at=_ago(now, float(customer.get("registered_days_ago") or 0) * 1440),
        kyc_level=int(kyc.get("level") or 0),
        kyc_status=KycStatus(kyc.get("status") or "none"),
        kyc_reason=str(kyc.get("reason") or ""),
        kyc_submitted_at=(
            _ago(now, kyc["submitted_minutes_ago"]) if kyc.get("submitted_minutes_ago") else None
        ),
        two_factor=str(customer.get("two_factor") or "none"),
        two_factor_reset_status=str(reset.get("status") or ""),
        two_factor_reset_at=(
            _ago(now, reset.get("requested_minutes_ago")) if reset.get("status") else None
        ),
        lock_reason=LockReason(lock["reason"]) if lock.get("reason") else "",
        locked_at=_ago(now, lock.get("minutes_ago")) if lock.get("reason") else None,
        step_up_required=bool(customer.get("step_up_required")),
        balances={
            str(coin).upper(): str(_amount(v))
            for coin, v in (customer.get("balances") or {}).items()
        },
    )


def _new_deposit_row(account: DemoAccount, item: dict[str, Any], now: dt.datetime) -> DemoDeposit:
    return DemoDeposit(
        id=str(item["id"]),
        account=account,
        coin=str(item["coin"]).upper(),
        network=str(item["network"]),
        amount=_amount(item["amount"]),
        address=str(item.get("address") or ""),
        memo=str(item.get("memo") or ""),
        txid=str(item["txid"]),
        status=DepositStatus(item["status"]),
        confirmations=int(item.get("confirmations") or 0),
        note=str(item.get("note") or "")[:200],
        created_at=_ago(now, item.get("minutes_ago")),
    )


def _new_withdrawal_row(
    account: DemoAccount, item: dict[str, Any], now: dt.datetime
) -> DemoWithdrawal:
    return DemoWithdrawal(
        id=str(item["id"]),
        account=account,
        coin=str(item["coin"]).upper(),
        network=str(item["network"]),
        amount=_amount(item["amount"]),
        fee=_amount(item.get("fee") or 0),
        address=str(item.get("address") or ""),
        memo=str(item.get("memo") or ""),
        txid=str(item.get("txid") or ""),
        status=WithdrawalStatus(item["status"]),
        reason=str(item.get("reason") or ""),
        confirmations=int(item.get("confirmations") or 0),
        created_at=_ago(now, item.get("minutes_ago")),
    )
