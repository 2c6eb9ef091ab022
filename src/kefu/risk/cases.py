"""From findings to action: alerts are stored, gathered into the customer's open review case,
and the policy of their severity is carried out (warn the customer, hold the withdrawal, lock
the account, require step-up verification) through the exchange adapter and by email; staff
confirm or dismiss the case, and a dismissal teaches the detectors what is the customer's own.

Every action is taken at most once per case, action and target (a unique row claims it), so
detection run twice, or by two workers, acts once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from smtplib import SMTPException
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.accounts.services import get_brand
from kefu.conversations import events as conversation_events
from kefu.conversations.models import Conversation, Customer, Status, TimelineKind
from kefu.exchange.adapter import ExchangeError, ExchangeNotFound, ExchangeRefused, LockReason
from kefu.exchange.services import exchange
from kefu.lib import messaging
from kefu.lib.errors import KefuError, NotFound
from kefu.lib.live import LiveEvent, publish_on_commit
from kefu.risk.models import (
    ActionKind,
    ActionStatus,
    Alert,
    CaseStatus,
    Detector,
    EventKind,
    RiskAction,
    RiskCase,
    RiskEvent,
    RiskPolicy,
    Severity,
    TrustedValue,
    TrustKind,
)

if TYPE_CHECKING:
    from kefu.risk.detectors import Finding

logger = logging.getLogger(__name__)

# What Kefu does on its own until a supervisor sets a policy for the severity.
DEFAULT_POLICIES: dict[int, tuple[str, ...]] = {
    Severity.LOW: (),
    Severity.MEDIUM: (ActionKind.OPEN_CASE,),
    Severity.HIGH: (
        ActionKind.OPEN_CASE,
        ActionKind.NOTIFY_CUSTOMER,
        ActionKind.HOLD_WITHDRAWAL,
        ActionKind.REQUIRE_STEP_UP,
    ),
    Severity.CRITICAL: (
        ActionKind.OPEN_CASE,
        ActionKind.NOTIFY_CUSTOMER,
        ActionKind.HOLD_WITHDRAWAL,
        ActionKind.LOCK_ACCOUNT,
    ),
}
RISK_GROUP = "risk.cases"
# Never told to the customer: a sanctions match is not disclosed (no tipping off); the
# withdrawal is held and the security team decides.
UNDISCLOSED_DETECTORS = frozenset({Detector.SANCTIONED_ADDRESS})


def policy_actions(severity: int) -> tuple[str, ...]:
    """The actions for alerts of ``severity``: the supervisors' policy, else the default."""
    row = RiskPolicy.objects.filter(severity=severity).first()
    if row is not None:
        return tuple(action for action in row.actions if action in ActionKind.values)
    return DEFAULT_POLICIES.get(severity, ())


def set_policy(
    actor: User, severity: int, actions: Sequence[str], *, ip_address: str | None = None
) -> RiskPolicy:
    """Set what Kefu does on its own for alerts of one severity (actions checked by the form)."""
    wanted = [action for action in ActionKind.values if action in set(actions)]
    with transaction.atomic():
        before = list(policy_actions(severity))
        policy, _created = RiskPolicy.objects.update_or_create(
            severity=severity, defaults={"actions": wanted}
        )
        record_audit(
            actor,
            "risk.policy_changed",
            target_type="risk_policy",
            target_id=severity,
            before={"actions": before},
            after={"actions": wanted},
            ip_address=ip_address,
        )
    return policy


@dataclass(frozen=True)
class Outcome:
    """What detection did for a batch of events."""

    alerts: list[Alert]
    cases: list[RiskCase]


def act_on_events(event_ids: Iterable[int], *, now: datetime | None = None) -> Outcome:
    """Run the detectors on stored events, store what they found, and act on it."""
    from kefu.risk.detectors import detect

    events = list(RiskEvent.objects.filter(pk__in=list(event_ids)).order_by("occurred_at", "pk"))
    if not events:
        return Outcome([], [])
    return record_findings(detect(events, now=now), now=now)


def record_findings(findings: Sequence[Finding], *, now: datetime | None = None) -> Outcome:
    """Store each finding as an alert (once per detector and event), put the new ones into
    their customer's open case (opened when there is none) and carry out the policy of the
    highest severity among them."""
    now = now or timezone.now()
    rows = [
        Alert(
            user_id=finding.event.user_id,
            detector=finding.detector,
            event=finding.event,
            score=max(0, min(100, finding.score)),
            severity=finding.severity,
            params=finding.params,
            created_at=now,
        )
        for finding in findings
        if finding.severity >= Severity.LOW
    ]
    if not rows:
        return Outcome([], [])
    Alert.objects.bulk_create(rows, ignore_conflicts=True)
    keys = {(row.detector, row.event_id) for row in rows}
    new = [
        alert
        for alert in Alert.objects.filter(
            event_id__in={row.event_id for row in rows}, case__isnull=True
        ).select_related("event")
        if (alert.detector, alert.event_id) in keys
    ]
    by_customer: dict[str, list[Alert]] = {}
    for alert in new:
        by_customer.setdefault(alert.user_id, []).append(alert)
    cases = []
    for user_id, alerts in by_customer.items():
        severity = max(alert.severity for alert in alerts)
        actions = policy_actions(severity)
        if not actions:
            continue  # low alerts are kept on the customer's record, nothing is done
        case = _attach(user_id, alerts, now)
        cases.append(case)
        _carry_out(case, alerts, actions, now)
        _tell_agents(case, alerts)
    return Outcome(new, cases)


def _attach(user_id: str, alerts: list[Alert], now: datetime) -> RiskCase:
    severity = max(alert.severity for alert in alerts)
    score = max(alert.score for alert in alerts)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                case = (
                    RiskCase.objects.select_for_update()
                    .filter(user_id=user_id, status=CaseStatus.OPEN)
                    .first()
                )
                if case is None:
                    case = RiskCase.objects.create(
                        user_id=user_id,
                        severity=severity,
                        score=score,
                        opened_at=now,
                        updated_at=now,
                    )
                else:
                    case.severity = max(case.severity, severity)
                    case.score = max(case.score, score)
                    case.updated_at = now
                    case.save(update_fields=["severity", "score", "updated_at"])
                Alert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(case=case)
                publish_on_commit(
                    LiveEvent(
                        (RISK_GROUP,),
                        {"type": "risk.case", "case": case.pk, "severity": case.severity},
                    )
                )
                return case
        except IntegrityError:
            continue  # another worker opened the customer's case meanwhile: join it
    raise RuntimeError(f"could not open a risk case for {user_id}")


def _carry_out(case: RiskCase, alerts: list[Alert], actions: Sequence[str], now: datetime) -> None:
    withdrawals = [
        alert.event for alert in alerts if alert.event.kind == EventKind.WITHDRAWAL_REQUESTED
    ]
    for action in actions:
        if action == ActionKind.OPEN_CASE:
            continue  # the case is open
        if action == ActionKind.HOLD_WITHDRAWAL:
            for event in withdrawals:
                withdrawal_id = str(event.payload.get("withdrawal_id") or "")
                if withdrawal_id:
                    _once(case, ActionKind.HOLD_WITHDRAWAL, withdrawal_id, now)
        elif action == ActionKind.NOTIFY_CUSTOMER:
            key = _notice_key(alerts)
            _once(case, ActionKind.NOTIFY_CUSTOMER, key, now, alerts=alerts)
            if messaging.sms_configured():
                _once(case, ActionKind.NOTIFY_CUSTOMER, f"sms:{key}"[:100], now, alerts=alerts)
            if messaging.push_configured():
                _once(case, ActionKind.NOTIFY_CUSTOMER, f"push:{key}"[:100], now, alerts=alerts)
        else:
            _once(case, ActionKind(action), "", now)


def _notice_key(alerts: list[Alert]) -> str:
    """One warning per case and kind of trouble (a second, different alert warns again)."""
    return ",".join(sorted({alert.detector for alert in alerts}))[:100]


def _once(
    case: RiskCase,
    action: ActionKind,
    target: str,
    now: datetime,
    *,
    alerts: list[Alert] | None = None,
    actor: User | None = None,
) -> RiskAction | None:
    """Claim the action for the case and target, then carry it out and record how it went.
    Returns None when it was taken before."""
    try:
        with transaction.atomic():
            row = RiskAction.objects.create(
                case=case,
                action=action,
                target=target,
                status=ActionStatus.FAILED,
                detail="started",
                actor=actor,
                created_at=now,
            )
    except IntegrityError:
        return None
    try:
        status, detail = _perform(case, action, target, alerts or [])
    except Exception as error:  # an adapter fault must not stop the other actions of the case
        logger.exception("risk action %s on case %s failed", action, case.pk)
        status, detail = ActionStatus.FAILED, f"{type(error).__name__}: {error}"
    RiskAction.objects.filter(pk=row.pk).update(status=status, detail=detail[:500])
    record_audit(
        actor,
        f"risk.{action}",
        target_type="risk_case",
        target_id=case.pk,
        after={"user_id": case.user_id, "target": target, "status": status, "detail": detail},
    )
    row.status, row.detail = status, detail[:500]
    return row


def _perform(
    case: RiskCase, action: ActionKind, target: str, alerts: list[Alert]
) -> tuple[ActionStatus, str]:
    note = f"Kefu early warning, case {case.pk}"
    try:
        if action == ActionKind.HOLD_WITHDRAWAL:
            result = exchange().hold_withdrawal(case.user_id, target, note=note)
        elif action == ActionKind.LOCK_ACCOUNT:
            result = exchange().lock_account(case.user_id, reason=LockReason.RISK_REVIEW, note=note)
        elif action == ActionKind.REQUIRE_STEP_UP:
            result = exchange().require_step_up(case.user_id, note=note)
        elif action == ActionKind.NOTIFY_CUSTOMER and target.startswith(("sms:", "push:")):
            return _message_customer(case, alerts, target.partition(":")[0])
        elif action == ActionKind.NOTIFY_CUSTOMER:
            return _warn_customer(case, alerts)
        else:
            return ActionStatus.DONE, ""
    except (ExchangeError, ExchangeNotFound, ExchangeRefused) as error:
        return ActionStatus.FAILED, str(error.message)
    return (ActionStatus.DONE if result.changed else ActionStatus.ALREADY), result.detail


def _warn_customer(case: RiskCase, alerts: list[Alert]) -> tuple[ActionStatus, str]:
    """Email the customer, in their language, what Kefu saw and what to do if it was not them.
    Alerts that must not be disclosed (sanctions) are left out; with nothing left, no email."""
    alerts = [alert for alert in alerts if alert.detector not in UNDISCLOSED_DETECTORS]
    if not alerts:
        return ActionStatus.SKIPPED, "not disclosed to the customer"
    customer = Customer.objects.filter(external_id=case.user_id).first()
    email = customer.email if customer else ""
    language = customer.language if customer else "en"
    if not email:
        try:
            profile = exchange().profile(case.user_id)
        except KefuError as error:
            return ActionStatus.FAILED, str(error.message)
        email, language = profile.email, profile.language or language
    if not email:
        return ActionStatus.FAILED, "no email address"
    from kefu.risk.detectors import describe

    brand = get_brand()
    with translation.override("zh-hans" if language.startswith("zh") else "en"):
        context = {
            "brand": brand,
            "reasons": [describe(alert.detector, alert.params) for alert in alerts],
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("risk/email/warning_subject.txt", context).strip()
        text = render_to_string("risk/email/warning.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
        headers={"Auto-Submitted": "auto-generated", "X-Kefu-Risk-Case": str(case.pk)},
    )
    try:
        message.send()
    except (SMTPException, OSError) as error:
        logger.warning("could not email the risk warning of case %s", case.pk, exc_info=True)
        return ActionStatus.FAILED, str(error)[:200]
    return ActionStatus.DONE, email


def _message_customer(
    case: RiskCase, alerts: list[Alert], channel: str
) -> tuple[ActionStatus, str]:
    """A short SMS or push warning through the exchange's messaging gateway, in the
    customer's language; sanctions are not disclosed, as in the email."""
    from kefu.risk.detectors import describe

    alerts = [alert for alert in alerts if alert.detector not in UNDISCLOSED_DETECTORS]
    if not alerts:
        return ActionStatus.SKIPPED, "not disclosed to the customer"
    customer = Customer.objects.filter(external_id=case.user_id).first()
    language = customer.language if customer else "en"
    brand = get_brand()
    with translation.override("zh-hans" if language.startswith("zh") else "en"):
        title = _("%(brand)s security: was this you?") % {"brand": brand.display_name}
        text = _(
            "%(reason)s. If this was not you, freeze your account now (Account → Security). "
            "We never ask for your password or codes."
        ) % {"reason": describe(alerts[0].detector, alerts[0].params)}
    try:
        if channel == "sms":
            message_id = messaging.send_sms(case.user_id, f"{title} {text}")
        else:
            message_id = messaging.send_push(case.user_id, title, text)
    except messaging.MessagingError as error:
        kind = "permanent" if error.permanent else "retryable"
        return ActionStatus.FAILED, f"{kind}: {error}"
    return ActionStatus.DONE, message_id


def _tell_agents(case: RiskCase, alerts: list[Alert]) -> None:
    """A customer who is chatting or has an open ticket: the agent sees the alert there."""
    open_conversations = Conversation.objects.filter(
        customer__external_id=case.user_id, status__in=(Status.OPEN, Status.PENDING)
    )
    for conversation in open_conversations:
        conversation_events.record_timeline(
            conversation,
            TimelineKind.RISK_ALERT,
            data={
                "case": case.pk,
                "severity": max(alert.severity for alert in alerts),
                "detectors": sorted({alert.detector for alert in alerts}),
            },
        )
        conversation_events.publish_conversation_changed(conversation)


# --- staff decisions ---------------------------------------------------------------------


def confirm_case(
    actor: User, case_id: int, *, note: str = "", ip_address: str | None = None
) -> RiskCase:
    """The security team confirms the case was fraud or a takeover (it stays on record)."""
    return _decide(actor, case_id, CaseStatus.CONFIRMED, note, ip_address)


def dismiss_case(
    actor: User, case_id: int, *, note: str = "", ip_address: str | None = None
) -> RiskCase:
    """The security team says it was the customer: the devices, networks, countries and
    addresses of its alerts become trusted, so the same habits raise nothing again."""
    case = _decide(actor, case_id, CaseStatus.DISMISSED, note, ip_address)
    now = timezone.now()
    trusted = {
        (kind, value)
        for alert in case.alerts.select_related("event")
        for kind, value in _trust_of(alert.event)
    }
    TrustedValue.objects.bulk_create(
        [
            TrustedValue(user_id=case.user_id, kind=kind, value=value, case=case, created_at=now)
            for kind, value in sorted(trusted)
        ],
        ignore_conflicts=True,
    )
    return case


def _trust_of(event: RiskEvent) -> list[tuple[str, str]]:
    values = []
    if event.device_id:
        values.append((TrustKind.DEVICE.value, event.device_id))
    from kefu.risk.detectors import network_of

    network = network_of(event.ip)
    if network:
        values.append((TrustKind.NETWORK.value, network))
    if event.country:
        values.append((TrustKind.COUNTRY.value, event.country))
    if event.address:
        values.append((TrustKind.ADDRESS.value, event.address))
    return values


def _decide(
    actor: User, case_id: int, status: CaseStatus, note: str, ip_address: str | None
) -> RiskCase:
    with transaction.atomic():
        case = RiskCase.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise NotFound()
        if case.status != CaseStatus.OPEN:
            return case
        case.status = status
        case.decided_at = case.updated_at = timezone.now()
        case.decided_by = actor
        case.decision_note = note.strip()[:2000]
        case.save(
            update_fields=["status", "decided_at", "updated_at", "decided_by", "decision_note"]
        )
        record_audit(
            actor,
            f"risk.case_{status}",
            target_type="risk_case",
            target_id=case.pk,
            before={"status": CaseStatus.OPEN},
            after={"status": status, "note": case.decision_note},
            ip_address=ip_address,
        )
    return case
