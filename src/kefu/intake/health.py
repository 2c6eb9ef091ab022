"""How each channel is doing: last message in and out, errors, what waits to go out, and
alerts to supervisors when a channel stops receiving or keeps failing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Role, User
from kefu.intake.models import ChannelAccount, DeliveryStatus, OutboundDelivery
from kefu.routing.models import NotificationKind
from kefu.routing.notifications import notify

STATES = {
    "ok": _("Working"),
    "paused": _("Paused"),
    "failing": _("Failing"),
    "down": _("Down"),
    "silent": _("Nothing received"),
}


@dataclass(frozen=True)
class ChannelHealth:
    """One account's health as staff see it. ``state`` is a key of :data:`STATES`."""

    account: ChannelAccount
    state: str
    backlog: int
    failed: int
    oldest_waiting_at: datetime | None

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])


def _is_silent(account: ChannelAccount, now: datetime) -> bool:
    if not account.silence_alert_minutes:
        return False
    since = account.last_inbound_at or account.created_at
    return now - since > timedelta(minutes=account.silence_alert_minutes)


def state_of(account: ChannelAccount, now: datetime) -> str:
    if not account.is_active:
        return "paused"
    if account.consecutive_failures >= settings.CHANNEL_DOWN_AFTER_FAILURES:
        return "down"
    if account.consecutive_failures:
        return "failing"
    if _is_silent(account, now):
        return "silent"
    return "ok"


def channel_health(
    now: datetime | None = None, *, account_id: int | None = None
) -> list[ChannelHealth]:
    """Every account (or only ``account_id``) with its state and delivery backlog, in one
    query for the counts."""
    now = now or timezone.now()
    accounts = ChannelAccount.objects.order_by("kind", "name")
    deliveries = OutboundDelivery.objects.all()
    if account_id is not None:
        accounts = accounts.filter(pk=account_id)
        deliveries = deliveries.filter(account_id=account_id)
    waiting = Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.RETRYING])
    counts = {
        row["account"]: row
        for row in deliveries.values("account").annotate(
            backlog=Count("pk", filter=waiting),
            failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
            oldest=Min("created_at", filter=waiting),
        )
    }
    result = []
    for account in accounts:
        row = counts.get(account.pk, {})
        result.append(
            ChannelHealth(
                account=account,
                state=state_of(account, now),
                backlog=int(row.get("backlog", 0)),
                failed=int(row.get("failed", 0)),
                oldest_waiting_at=row.get("oldest"),
            )
        )
    return result


def supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, role__in=[Role.SUPERVISOR, Role.ADMIN]))


def alert_silent_channels(now: datetime | None = None) -> int:
    """Notify supervisors, once per episode, of each active account that received nothing
    for longer than its ``silence_alert_minutes`` or is down; returns how many alerts.

    An account alerts again only after it recovered (a message came in, or a poll or a
    delivery succeeded), which clears ``silence_alerted_at``.
    """
    now = now or timezone.now()
    alerted = 0
    candidates = ChannelAccount.objects.filter(is_active=True, silence_alerted_at__isnull=True)
    for account in candidates:
        state = state_of(account, now)
        if state not in ("silent", "down"):
            continue
        claimed = ChannelAccount.objects.filter(
            pk=account.pk, silence_alerted_at__isnull=True
        ).update(silence_alerted_at=now)
        if not claimed:
            continue
        notify(
            supervisors(),
            NotificationKind.CHANNEL,
            data={"account": account.pk, "name": account.name, "state": state},
        )
        alerted += 1
    # An account that is working again may alert again the next time it stops.
    recovered = [
        account.pk
        for account in ChannelAccount.objects.filter(silence_alerted_at__isnull=False)
        if state_of(account, now) in ("ok", "paused")
    ]
    if recovered:
        ChannelAccount.objects.filter(pk__in=recovered).update(silence_alerted_at=None)
    return alerted
