"""The configured exchange adapter, and staff actions on customer accounts through it.

Every staff action is checked against the actor's role, recorded in the audit log (also when the
exchange refuses or fails) and returns what the exchange did. The protective actions (lock,
step-up) also take ``actor=None``: Kefu's risk engine acting on its own, audited as "system".
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kefu.accounts.events import record_audit
from kefu.accounts.models import Role, User
from kefu.exchange.adapter import ActionResult, Exchange, LockReason
from kefu.lib.errors import KefuError, PermissionDenied

_adapter: Exchange | None = None
_lock = threading.Lock()

# Who may do what: agents the everyday actions, supervisors and administrators all of them.
SUPERVISOR_ONLY_UNLOCKS = {LockReason.RISK_REVIEW}


def exchange() -> Exchange:
    """The back office this Kefu is connected to (``KEFU_EXCHANGE``: demo or http)."""
    global _adapter
    if _adapter is None:
        with _lock:
            if _adapter is None:
                _adapter = _configured()
    return _adapter


def _configured() -> Exchange:
    if settings.EXCHANGE_ADAPTER == "http":
        from kefu.exchange.http import HttpExchange

        return HttpExchange(
            settings.EXCHANGE_URL, settings.EXCHANGE_SECRET, timeout=settings.EXCHANGE_TIMEOUT
        )
    from kefu.exchange.demo.adapter import DemoExchange

    return DemoExchange()


def use_exchange(adapter: Exchange | None) -> None:
    """Connect this process to another back office (tests, benchmarks); None: the configured."""
    global _adapter
    with _lock:
        _adapter = adapter


def _act(
    actor: User | None,
    action: str,
    user_id: str,
    call: Callable[[], ActionResult],
    *,
    target: str = "",
    note: str = "",
    ip_address: str | None = None,
) -> ActionResult:
    outcome: dict[str, object] = {"user_id": user_id, "target": target, "note": note[:500]}
    try:
        result = call()
    except KefuError as error:
        outcome.update(error=str(error.code), message=str(error.message))
        record_audit(
            actor,
            f"exchange.{action}",
            target_type="exchange_user",
            target_id=user_id,
            after=outcome,
            ip_address=ip_address,
        )
        raise
    outcome.update(changed=result.changed, detail=result.detail)
    record_audit(
        actor,
        f"exchange.{action}",
        target_type="exchange_user",
        target_id=user_id,
        after=outcome,
        ip_address=ip_address,
    )
    return result


def unlock_account(
    actor: User, user_id: str, *, note: str = "", ip_address: str | None = None
) -> ActionResult:
    """Lift an account lock. Risk-review locks need a supervisor; compliance locks the exchange."""
    adapter = exchange()
    lock = adapter.profile(user_id).lock
    if lock is not None and lock.reason in SUPERVISOR_ONLY_UNLOCKS and actor.role == Role.AGENT:
        raise PermissionDenied(_("A supervisor must lift a risk-review lock."))
    return _act(
        actor,
        "unlock_account",
        user_id,
        lambda: adapter.unlock_account(user_id, note=note),
        note=note,
        ip_address=ip_address,
    )


def lock_account(
    actor: User | None, user_id: str, *, note: str = "", ip_address: str | None = None
) -> ActionResult:
    """Lock an account for a risk review. Anyone may (it protects the customer), the risk engine
    too (``actor=None``); lifting the lock needs a supervisor (:func:`unlock_account`). An account
    already under a lasting lock keeps it (``changed`` False)."""
    adapter = exchange()
    return _act(
        actor,
        "lock_account",
        user_id,
        lambda: adapter.lock_account(user_id, reason=LockReason.RISK_REVIEW, note=note),
        note=note,
        ip_address=ip_address,
    )


def require_step_up(
    actor: User | None, user_id: str, *, note: str = "", ip_address: str | None = None
) -> ActionResult:
    """Have the exchange ask for step-up verification (2FA again and an email confirmation) at
    the customer's next sign-in or withdrawal. Anyone may, the risk engine too (``actor=None``);
    the exchange clears it once the customer passes."""
    adapter = exchange()
    return _act(
        actor,
        "require_step_up",
        user_id,
        lambda: adapter.require_step_up(user_id, note=note),
        note=note,
        ip_address=ip_address,
    )


def request_two_factor_reset(
    actor: User, user_id: str, *, note: str = "", ip_address: str | None = None
) -> ActionResult:
    adapter = exchange()
    return _act(
        actor,
        "request_two_factor_reset",
        user_id,
        lambda: adapter.request_two_factor_reset(user_id, note=note),
        note=note,
        ip_address=ip_address,
    )


def hold_withdrawal(
    actor: User,
    user_id: str,
    withdrawal_id: str,
    *,
    note: str = "",
    ip_address: str | None = None,
) -> ActionResult:
    adapter = exchange()
    return _act(
        actor,
        "hold_withdrawal",
        user_id,
        lambda: adapter.hold_withdrawal(user_id, withdrawal_id, note=note),
        target=withdrawal_id,
        note=note,
        ip_address=ip_address,
    )


def release_withdrawal(
    actor: User,
    user_id: str,
    withdrawal_id: str,
    *,
    note: str = "",
    ip_address: str | None = None,
) -> ActionResult:
    """Release a held withdrawal: money leaves the exchange, so supervisors only."""
    if actor.role == Role.AGENT:
        raise PermissionDenied(_("A supervisor must release a held withdrawal."))
    adapter = exchange()
    return _act(
        actor,
        "release_withdrawal",
        user_id,
        lambda: adapter.release_withdrawal(user_id, withdrawal_id, note=note),
        target=withdrawal_id,
        note=note,
        ip_address=ip_address,
    )
