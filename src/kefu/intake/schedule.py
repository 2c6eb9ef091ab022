"""The channel sweep: recurring work of the channels, registered here.

Each pass sends the replies that are due (retries included), fetches new messages from the
accounts that poll (IMAP mailboxes, Telegram bots in polling mode) once their interval is up,
and alerts staff about channels that stopped receiving. It runs in its own thread beside the
routing sweep (``kefu run`` and ``kefu worker``), so a slow mailbox never delays routing;
several sweeps at once are safe (deliveries are claimed, ingestion is idempotent).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from kefu.intake import health, outbound
from kefu.intake.adapters import adapter_for
from kefu.intake.models import ChannelAccount

logger = logging.getLogger(__name__)


def poll_due(
    now: datetime | None = None, *, force: bool = False, only: int | None = None
) -> dict[int, int]:
    """Poll every active account of a polling channel whose interval is up (all of them with
    ``force``; only the account ``only`` when given); returns messages fetched per account.

    A failing account is recorded for its health and does not stop the others; when it
    recovers, its cursor fetches what it missed."""
    now = now or timezone.now()
    fetched: dict[int, int] = {}
    accounts = ChannelAccount.objects.filter(is_active=True).order_by("pk")
    if only is not None:
        accounts = accounts.filter(pk=only)
    for account in accounts:
        try:
            adapter = adapter_for(account.kind)
        except LookupError:
            logger.warning("channel %s is of a kind Kefu has no adapter for", account.pk)
            continue
        if not adapter.polls:
            continue
        interval = timedelta(seconds=settings.CHANNEL_POLL_SECONDS)
        if not force and account.last_polled_at and now - account.last_polled_at < interval:
            continue
        try:
            fetched[account.pk] = adapter.poll(account)
        except Exception as error:
            logger.warning("polling channel %s failed: %s", account.pk, error, exc_info=True)
            outbound.record_account_error(account, _describe(error), now=timezone.now())
            ChannelAccount.objects.filter(pk=account.pk).update(last_polled_at=timezone.now())
            continue
        ChannelAccount.objects.filter(pk=account.pk).update(
            last_polled_at=timezone.now(), consecutive_failures=0
        )
    return fetched


def _describe(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def sweep_once(now: datetime | None = None) -> None:
    """One pass: send what is due, fetch what is new, check for silent channels."""
    now = now or timezone.now()
    for name, step in (
        ("deliveries", lambda: outbound.deliver_due(now)),
        ("polling", lambda: poll_due(now)),
        ("silence", lambda: health.alert_silent_channels(now)),
    ):
        try:
            step()
        except Exception:
            logger.exception("channel sweep %r failed", name)


def sweep_forever(stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        close_old_connections()
        sweep_once()
        close_old_connections()
        stop.wait(max(0.5, settings.CHANNEL_SWEEP_SECONDS - (time.monotonic() - started)))


def start_sweeper() -> threading.Event:
    """Start the channel sweep in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=sweep_forever, args=(stop,), name="kefu-channels", daemon=True).start()
    return stop
