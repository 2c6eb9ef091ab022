"""The routing sweep: recurring work of routing, SLAs and escalation, registered here.

``kefu run`` runs it in a thread of the server process (embedded mode) and ``kefu worker`` in
a thread of each worker; several at once are safe (every step claims its rows). It runs in the
background, never on page loads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from kefu.routing import services, sla

logger = logging.getLogger(__name__)


def _overdue_cases(now: datetime) -> int:
    if not apps.is_installed("kefu.complaints"):
        return 0
    from kefu.complaints.services import check_overdue_cases

    return check_overdue_cases(now)


@dataclass(frozen=True)
class Sweep:
    """One recurring job; ``every_seconds`` 0 runs it on every pass of the sweep."""

    name: str
    run: Callable[[datetime], object]
    every_seconds: int = 0


# In order: forget dead consoles, route what was missed, give back chats of agents who left,
# raise priorities of long waits, serve the queues, then warn and escalate.
SWEEPS = (
    Sweep("absent agents", lambda now: services.drop_absent_agents(now)),
    Sweep("unrouted", lambda now: services.route_unrouted(now)),
    Sweep("offline agents", lambda now: services.return_chats_of_offline_agents(now)),
    # Waiting adds a point every two minutes: once a minute is often enough.
    Sweep("priorities", lambda now: services.refresh_priorities(now), every_seconds=60),
    Sweep("queues", lambda now: services.assign_waiting(now=now)),
    Sweep("slas", lambda now: sla.check_slas(now)),
    Sweep("complaint cases", _overdue_cases),
)


def sweep_once(now: datetime | None = None, last_runs: dict[str, float] | None = None) -> None:
    """Run every sweep that is due (all of them without ``last_runs``); one failing does not
    stop the others."""
    now = now or timezone.now()
    for sweep in SWEEPS:
        if last_runs is not None:
            if time.monotonic() - last_runs.get(sweep.name, -1e9) < sweep.every_seconds:
                continue
            last_runs[sweep.name] = time.monotonic()
        try:
            sweep.run(now)
        except Exception:
            logger.exception("routing sweep %r failed", sweep.name)


def sweep_forever(stop: threading.Event) -> None:
    """Sweep every ``ROUTING_SWEEP_SECONDS`` until ``stop`` is set."""
    last_runs: dict[str, float] = {}
    while not stop.is_set():
        started = time.monotonic()
        close_old_connections()
        sweep_once(last_runs=last_runs)
        close_old_connections()
        stop.wait(max(0.1, settings.ROUTING_SWEEP_SECONDS - (time.monotonic() - started)))


def start_sweeper() -> threading.Event:
    """Start the sweep in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=sweep_forever, args=(stop,), name="kefu-routing", daemon=True).start()
    return stop
