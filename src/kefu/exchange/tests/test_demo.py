"""The demo exchange: its data in every state, and actions that behave like a real back office."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditLogEntry, User
from kefu.exchange import services
from kefu.exchange.adapter import (
    DepositStatus,
    ExchangeNotFound,
    ExchangeRefused,
    KycStatus,
    LockReason,
    WithdrawalStatus,
)
from kefu.exchange.demo.adapter import DemoDataError, DemoExchange, load_demo_exchange
from kefu.exchange.models import DemoAccount
from kefu.lib.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange() -> DemoExchange:
    load_demo_exchange()
    return DemoExchange()


def test_the_demo_data_has_every_state(exchange: DemoExchange) -> None:
    accounts = DemoAccount.objects.all()
    deposits = {
        row.status for account in accounts for row in exchange.deposits(account.user_id, limit=100)
    }
    withdrawals = {
        row.status
        for account in accounts
        for row in exchange.withdrawals(account.user_id, limit=100)
    }
    profiles = [exchange.profile(a.user_id) for a in accounts]
    locks = {profile.lock.reason for profile in profiles if profile.lock is not None}
    assert deposits == set(DepositStatus)
    assert withdrawals == set(WithdrawalStatus)
    assert {LockReason.SELF_FROZEN, LockReason.RISK_REVIEW, LockReason.COMPLIANCE_REVIEW} <= locks
    assert {profile.kyc_status for profile in profiles} == set(KycStatus)


def test_lookups(exchange: DemoExchange) -> None:
    profile = exchange.profile("10000231")
    assert (profile.name, profile.language) == ("Alice Zhang", "en")
    deposit = exchange.deposits("10000231", limit=1)[0]
    assert exchange.deposits("10000231", txid=deposit.txid)[0].id == deposit.id
    assert deposit.required_confirmations > 0
    assert "E" not in str(deposit.amount)  # 500, never 5E+2
    assert all(row.coin == "USDT" for row in exchange.deposits("10000231", coin="usdt"))
    with pytest.raises(ExchangeNotFound):
        exchange.profile("99999999")


def test_password_locks_lift_themselves(exchange: DemoExchange) -> None:
    account = DemoAccount.objects.exclude(user_id="").first()
    assert account is not None
    DemoAccount.objects.filter(pk=account.pk).update(
        lock_reason=LockReason.PASSWORD_ATTEMPTS,
        locked_at=timezone.now() - dt.timedelta(minutes=30),
    )
    lock = exchange.profile(account.user_id).lock
    assert lock is not None and lock.until is not None
    DemoAccount.objects.filter(pk=account.pk).update(
        locked_at=timezone.now() - dt.timedelta(hours=3)
    )
    assert exchange.profile(account.user_id).lock is None


def locked(reason: LockReason) -> str:
    account = DemoAccount.objects.order_by("user_id").first()
    assert account is not None
    DemoAccount.objects.filter(pk=account.pk).update(lock_reason=reason, locked_at=timezone.now())
    return account.user_id


def test_actions_are_idempotent_and_audited(
    exchange: DemoExchange, agent: User, supervisor: User
) -> None:
    user_id = locked(LockReason.SELF_FROZEN)
    first = services.unlock_account(agent, user_id, note="customer verified by video call")
    again = services.unlock_account(agent, user_id)
    assert (first.changed, again.changed) == (True, False)
    assert exchange.profile(user_id).lock is None
    assert services.request_two_factor_reset(agent, user_id).changed
    assert not services.request_two_factor_reset(agent, user_id).changed
    reset = exchange.profile(user_id).two_factor_reset
    assert reset is not None and reset.status == "pending"
    entries = AuditLogEntry.objects.filter(action="exchange.unlock_account", target_id=user_id)
    assert entries.count() == 2
    assert entries.last().after["note"] == "customer verified by video call"  # type: ignore[union-attr]


def test_role_limits_and_refusals(exchange: DemoExchange, agent: User, supervisor: User) -> None:
    user_id = locked(LockReason.RISK_REVIEW)
    with pytest.raises(PermissionDenied):
        services.unlock_account(agent, user_id)
    assert services.unlock_account(supervisor, user_id).changed
    compliance = locked(LockReason.COMPLIANCE_REVIEW)
    with pytest.raises(ExchangeRefused):
        services.unlock_account(supervisor, compliance)
    refusal = AuditLogEntry.objects.filter(action="exchange.unlock_account").first()
    assert refusal is not None and refusal.target_id == compliance
    assert refusal.after["error"] == "exchange_refused"


def test_hold_and_release_a_withdrawal(
    exchange: DemoExchange, agent: User, supervisor: User
) -> None:
    account = next(
        a
        for a in DemoAccount.objects.all()
        if any(w.status == WithdrawalStatus.PENDING_REVIEW for w in exchange.withdrawals(a.user_id))
    )
    pending = next(
        w
        for w in exchange.withdrawals(account.user_id)
        if w.status == WithdrawalStatus.PENDING_REVIEW
    )
    assert services.hold_withdrawal(agent, account.user_id, pending.id).changed
    assert exchange.withdrawals(account.user_id, txid=pending.id)[0].status == WithdrawalStatus.HELD
    with pytest.raises(PermissionDenied):
        services.release_withdrawal(agent, account.user_id, pending.id)
    assert services.release_withdrawal(supervisor, account.user_id, pending.id).changed
    assert (
        exchange.withdrawals(account.user_id, txid=pending.id)[0].status
        == WithdrawalStatus.PROCESSING
    )
    done = next(
        (w, a.user_id)
        for a in DemoAccount.objects.all()
        for w in exchange.withdrawals(a.user_id)
        if w.status == WithdrawalStatus.COMPLETED
    )
    with pytest.raises(ExchangeRefused):
        services.hold_withdrawal(agent, done[1], done[0].id)


def test_bad_data_files_are_refused_without_losing_the_loaded_data(
    exchange: DemoExchange, tmp_path: Path
) -> None:
    before = DemoAccount.objects.count()
    bad = tmp_path / "exchange.yaml"
    bad.write_text(
        "coins: []\ncustomers:\n  - user_id: '1'\n    kyc: {status: sleepy}\n", encoding="utf-8"
    )
    with pytest.raises(DemoDataError):
        load_demo_exchange(bad)
    bad.write_text("coins: [", encoding="utf-8")
    with pytest.raises(DemoDataError):
        load_demo_exchange(bad)
    assert DemoAccount.objects.count() == before
    assert exchange.balances("10000231")[0].amount >= Decimal(0)


def test_locking_is_idempotent_and_replaces_only_a_lock_that_lifts_itself(
    exchange: DemoExchange,
) -> None:
    user_id = locked(LockReason.PASSWORD_ATTEMPTS)
    first = exchange.lock_account(user_id, reason=LockReason.RISK_REVIEW, note="risk case 1")
    again = exchange.lock_account(user_id, reason=LockReason.RISK_REVIEW)
    assert (first.changed, first.detail) == (True, "risk_review")
    assert (again.changed, again.detail) == (False, "risk_review")
    lock = exchange.profile(user_id).lock
    assert lock is not None and (lock.reason, lock.until) == (LockReason.RISK_REVIEW, None)
    compliance = locked(LockReason.COMPLIANCE_REVIEW)
    kept = exchange.lock_account(compliance, reason=LockReason.RISK_REVIEW)
    assert (kept.changed, kept.detail) == (False, "compliance_review")
    assert exchange.profile(compliance).lock.reason == LockReason.COMPLIANCE_REVIEW  # type: ignore[union-attr]
    with pytest.raises(ExchangeRefused):
        exchange.lock_account(compliance, reason=LockReason.PASSWORD_ATTEMPTS)
    with pytest.raises(ExchangeNotFound):
        exchange.lock_account("99999999", reason=LockReason.RISK_REVIEW)


def test_step_up_is_a_flag_on_the_profile(exchange: DemoExchange) -> None:
    assert exchange.profile("10000231").step_up_required is False
    first = exchange.require_step_up("10000231", note="new device")
    again = exchange.require_step_up("10000231")
    assert (first.changed, again.changed) == (True, False)
    assert exchange.profile("10000231").step_up_required is True
    with pytest.raises(ExchangeNotFound):
        exchange.require_step_up("99999999")


def test_agents_and_the_risk_engine_lock_but_only_supervisors_lift_it(
    exchange: DemoExchange, agent: User, supervisor: User
) -> None:
    assert exchange.profile("10000231").lock is None
    assert services.lock_account(agent, "10000231", note="customer says phone stolen").changed
    assert not services.lock_account(None, "10000231", note="Kefu early warning").changed
    lock = exchange.profile("10000231").lock
    assert lock is not None and lock.reason == LockReason.RISK_REVIEW
    with pytest.raises(PermissionDenied):
        services.unlock_account(agent, "10000231")
    assert exchange.profile("10000231").lock is not None
    assert services.unlock_account(supervisor, "10000231").changed
    rows = AuditLogEntry.objects.filter(action="exchange.lock_account", target_id="10000231")
    assert [
        (row.actor_id, row.actor_label, *(row.after[key] for key in ("changed", "detail", "note")))
        for row in rows.order_by("pk")
    ] == [
        (agent.pk, agent.username, True, "risk_review", "customer says phone stolen"),
        (None, "system", False, "risk_review", "Kefu early warning"),
    ]


def test_step_up_by_staff_or_the_risk_engine_is_audited(
    exchange: DemoExchange, agent: User
) -> None:
    assert services.require_step_up(None, "10000231", note="Kefu early warning").changed
    assert not services.require_step_up(agent, "10000231").changed
    assert exchange.profile("10000231").step_up_required is True
    with pytest.raises(ExchangeNotFound):
        services.require_step_up(None, "99999999")
    rows = AuditLogEntry.objects.filter(action="exchange.require_step_up").order_by("pk")
    assert [(row.actor_label, row.target_id, row.after.get("changed")) for row in rows] == [
        ("system", "10000231", True),
        (agent.username, "10000231", False),
        ("system", "99999999", None),
    ]
    assert rows.last().after["error"] == "not_found"  # type: ignore[union-attr]
