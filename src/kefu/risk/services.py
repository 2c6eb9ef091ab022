"""State changes of risk: ingesting event batches and loading screening lists."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from kefu.risk.errors import BatchTooLarge, RejectionCode, ScreeningListInvalid
from kefu.risk.models import (
    EventKind,
    EventSource,
    RiskEvent,
    ScreenedAddress,
    ScreeningHit,
    ScreeningList,
    ScreeningListVersion,
)
from kefu.risk.schemas import EventIn
from kefu.risk.screening import parse_list_file, screen_addresses

MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 1024 * 1024
MAX_PAYLOAD_BYTES = 4096
MAX_PAYLOAD_DEPTH = 5
MAX_LIST_FILE_BYTES = 50 * 1024 * 1024
USER_AGENT_LENGTH = 500
FUTURE_TOLERANCE = timedelta(minutes=5)
SCREENED_KINDS = (EventKind.WITHDRAWAL_REQUESTED, EventKind.WITHDRAWAL_ADDRESS_ADDED)
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    EventKind.LOGIN_SUCCEEDED: ("ip",),
    EventKind.LOGIN_FAILED: ("ip",),
    EventKind.WITHDRAWAL_ADDRESS_ADDED: ("asset", "network", "address"),
    EventKind.WITHDRAWAL_REQUESTED: ("asset", "network", "address", "amount"),
    EventKind.DEPOSIT: ("asset", "network", "amount"),
    EventKind.TRADE: ("asset", "amount"),
}
logger = logging.getLogger(__name__)
_ASSET = re.compile(r"[A-Z0-9]{1,20}")
_ASSET_IN_FILE_NAME = re.compile(r"(?:sanctioned|scam)_addresses_([A-Za-z0-9]{1,20})\.")


@dataclass(frozen=True)
class Rejection:
    """An event that was not stored: its place in the batch, its id if any, and why."""

    index: int
    event_id: str
    code: RejectionCode
    message: str


@dataclass(frozen=True)
class Hit:
    """A stored withdrawal event whose address is on a screening list."""

    event_id: str
    list: str
    asset: str
    address: str
    label: str


@dataclass
class IngestReport:
    """What one batch did: ids stored now, ids already stored before, and the rejected."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    screening_hits: list[Hit] = field(default_factory=list)
    # Primary keys of the rows this batch stored, for the detectors.
    stored: list[int] = field(default_factory=list)
    alerts: int = 0
    cases: list[int] = field(default_factory=list)


def ingest_events(
    raw_events: list[object], *, source: EventSource, now: datetime | None = None
) -> IngestReport:
    """Validate and store a batch of risk events, screening withdrawal addresses.

    Each event is checked on its own: a bad one is reported in ``rejected`` with its index and
    never stops the others. Events whose id is already stored (by an earlier or a concurrent
    batch, or earlier in this one) are reported as duplicates and change nothing. Raises
    :class:`BatchTooLarge` for more than ``MAX_BATCH_EVENTS`` events.
    """
    if len(raw_events) > MAX_BATCH_EVENTS:
        raise BatchTooLarge(
            _("Send at most %(count)d events in one batch.") % {"count": MAX_BATCH_EVENTS}
        )
    received_at = now or timezone.now()
    report = IngestReport()
    valid: list[EventIn] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_events):
        result = _check_event(index, raw, received_at)
        if isinstance(result, Rejection):
            report.rejected.append(result)
        elif result.event_id in seen:
            report.duplicates.append(result.event_id)
        else:
            seen.add(result.event_id)
            valid.append(result)
    if valid:
        _store(valid, source, received_at, report)
    if report.stored:
        _detect(report, received_at)
    return report


def _detect(report: IngestReport, now: datetime) -> None:
    """Run the detectors on what this batch stored and act on what they find. A failure there
    never loses the stored events: the detectors can run on them again."""
    from kefu.risk.cases import act_on_events

    try:
        outcome = act_on_events(report.stored, now=now)
    except Exception:
        logger.exception("the detectors failed on %d stored events", len(report.stored))
        return
    report.alerts = len(outcome.alerts)
    report.cases = sorted({case.pk for case in outcome.cases})


def _check_event(index: int, raw: object, now: datetime) -> EventIn | Rejection:
    if not isinstance(raw, dict):
        return Rejection(
            index, "", RejectionCode.NOT_AN_OBJECT, _("Each event must be a JSON object.")
        )
    raw_id = raw.get("event_id")
    event_id = raw_id[:100] if isinstance(raw_id, str) else ""
    if not _payload_fits(raw.get("payload")):
        message = _("payload: at most %(bytes)d bytes of JSON, nested at most %(depth)d deep.") % {
            "bytes": MAX_PAYLOAD_BYTES,
            "depth": MAX_PAYLOAD_DEPTH,
        }
        return Rejection(index, event_id, RejectionCode.PAYLOAD_TOO_LARGE, message)
    try:
        event = EventIn.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        location = ".".join(str(part) for part in first["loc"])
        return Rejection(
            index, event_id, RejectionCode.INVALID_FIELD, f"{location}: {first['msg']}"
        )
    missing = [name for name in REQUIRED_FIELDS.get(event.kind, ()) if getattr(event, name) is None]
    if missing:
        message = _("%(kind)s events need: %(fields)s.") % {
            "kind": event.kind.value,
            "fields": ", ".join(missing),
        }
        return Rejection(index, event.event_id, RejectionCode.MISSING_FIELD, message)
    if event.occurred_at > now + FUTURE_TOLERANCE:
        return Rejection(
            index,
            event.event_id,
            RejectionCode.IN_THE_FUTURE,
            _("occurred_at: this time is in the future."),
        )
    return event


def _payload_fits(payload: object) -> bool:
    """Whether ``payload`` is small and shallow (checked without recursion, so any depth is
    safe to look at)."""
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_PAYLOAD_DEPTH:
                return False
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    try:
        size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return False
    return size <= MAX_PAYLOAD_BYTES


def _row(event: EventIn, source: EventSource, received_at: datetime, batch: uuid.UUID) -> RiskEvent:
    return RiskEvent(
        event_id=event.event_id,
        kind=event.kind,
        user_id=event.user_id,
        occurred_at=event.occurred_at,
        received_at=received_at,
        ip=str(event.ip) if event.ip is not None else None,
        device_id=event.device_id,
        user_agent=event.user_agent[:USER_AGENT_LENGTH],
        country=event.country or "",
        asset=(event.asset or "").upper(),
        network=event.network or "",
        address=event.address or "",
        amount=event.amount,
        payload=event.payload,
        source=source,
        batch=batch,
    )


def _store(
    events: list[EventIn], source: EventSource, received_at: datetime, report: IngestReport
) -> None:
    batch = uuid.uuid4()
    ids = [event.event_id for event in events]
    with transaction.atomic():
        known = set(RiskEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        rows = [
            _row(event, source, received_at, batch)
            for event in events
            if event.event_id not in known
        ]
        # A concurrent batch may store the same ids between the read and the insert: the unique
        # event_id makes those rows no-ops, and ``batch`` tells which rows are this batch's.
        RiskEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        stored = {
            row.event_id: row
            for row in RiskEvent.objects.filter(event_id__in=ids, batch=batch).only(
                "pk", "event_id", "kind", "asset", "address"
            )
        }
        report.accepted.extend(event_id for event_id in ids if event_id in stored)
        report.duplicates.extend(event_id for event_id in ids if event_id not in stored)
        in_order = [stored[event_id] for event_id in ids if event_id in stored]
        report.stored.extend(row.pk for row in in_order)
        report.screening_hits.extend(_screen_withdrawals(in_order, received_at))


def _screen_withdrawals(events: list[RiskEvent], now: datetime) -> list[Hit]:
    screened = [event for event in events if event.kind in SCREENED_KINDS and event.address]
    matches = screen_addresses((event.asset, event.address) for event in screened)
    hits: list[ScreeningHit] = []
    for event in screened:
        for match in matches.get((event.asset, event.address), []):
            hits.append(
                ScreeningHit(
                    event=event,
                    list=match.list,
                    asset=match.asset,
                    address=event.address,
                    label=match.label,
                    created_at=now,
                )
            )
    ScreeningHit.objects.bulk_create(hits)
    return [Hit(hit.event.event_id, hit.list, hit.asset, hit.address, hit.label) for hit in hits]


def load_screening_list(
    list_name: ScreeningList,
    path: Path,
    *,
    asset: str | None = None,
    source: str | None = None,
    loaded_by: str,
) -> ScreeningListVersion:
    """Replace the addresses of ``list_name`` for one asset and source with those in ``path``.

    The asset defaults to the one in a ``sanctioned_addresses_<ASSET>`` file name (Ethereum
    for the scam list), the source to the file's name. The swap happens in one transaction
    and records a version row. Raises :class:`ScreeningListInvalid` (nothing changed) for an
    unreadable or bad file or an unknown asset.
    """
    listed_asset = _list_asset(list_name, path, asset)
    try:
        if path.stat().st_size > MAX_LIST_FILE_BYTES:
            raise ScreeningListInvalid(_("The file is larger than 50 MB."))
        content = path.read_bytes()
    except OSError as error:
        raise ScreeningListInvalid(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from None
    entries = parse_list_file(path.name, content)
    source_name = (source or path.name)[:200]
    with transaction.atomic():
        ScreenedAddress.objects.filter(
            list=list_name, asset=listed_asset, source=source_name
        ).delete()
        ScreenedAddress.objects.bulk_create(
            [
                ScreenedAddress(
                    list=list_name,
                    asset=listed_asset,
                    address=entry.address,
                    label=entry.label,
                    source=source_name,
                )
                for entry in entries
            ],
            batch_size=1000,
        )
        return ScreeningListVersion.objects.create(
            list=list_name,
            asset=listed_asset,
            source=source_name,
            source_file=str(path)[:500],
            sha256=hashlib.sha256(content).hexdigest(),
            count=len(entries),
            loaded_at=timezone.now(),
            loaded_by=loaded_by[:150],
        )


def _list_asset(list_name: ScreeningList, path: Path, asset: str | None) -> str:
    if asset is None:
        named = _ASSET_IN_FILE_NAME.match(path.name)
        if named:
            asset = named.group(1)
        elif list_name == ScreeningList.SCAM:
            asset = "ETH"
        else:
            raise ScreeningListInvalid(
                _("Name the asset (--asset): the file name does not say which it is.")
            )
    if not _ASSET.fullmatch(asset.upper()):
        raise ScreeningListInvalid(_("An asset is 1 to 20 letters or digits, like ETH."))
    return asset.upper()


def current_list_versions() -> list[ScreeningListVersion]:
    """The latest load of each list, asset and source, by list and asset."""
    latest: dict[tuple[str, str, str], ScreeningListVersion] = {}
    for version in ScreeningListVersion.objects.order_by("-loaded_at", "-pk")[:1000]:
        latest.setdefault((version.list, version.asset, version.source), version)
    return sorted(latest.values(), key=lambda v: (v.list, v.asset, v.source))
