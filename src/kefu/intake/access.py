"""Permission-checked lookups of the channels console: supervisors and administrators only;
anyone else, and anything missing, gets the same not-found."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.intake.models import ChannelAccount, ChannelKind, OutboundDelivery
from kefu.lib.errors import NotFound
from kefu.routing.access import require_supervisor


def active_channel_account(
    account_id: int, kind: ChannelKind, *, missing: NotFound | None = None
) -> ChannelAccount:
    """The active account of ``kind`` that an inbound webhook names; raises ``missing`` (a
    plain NotFound by default) for any other id, an inactive account or another kind."""
    account = ChannelAccount.objects.filter(pk=account_id, kind=kind, is_active=True).first()
    if account is None:
        raise missing or NotFound()
    return account


def access_channel_account(user: User, account_id: int) -> ChannelAccount:
    require_supervisor(user)
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise NotFound()
    return account


def access_delivery(user: User, delivery_id: int) -> OutboundDelivery:
    require_supervisor(user)
    delivery = OutboundDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    return delivery
