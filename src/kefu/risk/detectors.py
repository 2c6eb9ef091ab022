"""Detectors: what in a customer's newly stored risk events looks like fraud or an account
takeover, scored and with its reason in words.

``detect`` runs every detector over a batch of stored events. Each customer's history (their
events of the last ``HISTORY_DAYS`` days, at most ``HISTORY_LIMIT`` of them, with the batch's own
earlier events) is loaded once per call, and replayed in order (``occurred_at``, then ``pk``)
so that a batch's events are history for its later ones, and an event gets the same findings
however the events were split into batches. The values a reason is written from go in
``Finding.params``; ``describe`` turns them into words in the active language.

Thresholds and choices (see docs/risk.md):

- new device / IP network (/24, /48) / country: a successful login with a value the customer's
  earlier successful logins never had, and not trusted. Only once that dimension has history:
  a customer's first login, or their first with a device id or a country, is not "new".
- impossible travel: two successful logins farther apart than ``MAX_SPEED_KMH`` allows in the
  time between plus ``TRAVEL_SLACK`` (payload latitude/longitude, else the country's centre).
- bursts (failed logins of a customer or from one IP across customers, withdrawals) fire once,
  when the count in the window first reaches the threshold, and again only after the count has
  fallen below it.
- withdrawal baseline: median and MAD of the customer's own earlier withdrawals in the asset.
  With fewer than ``BASELINE_MIN_HISTORY`` of them there is no baseline and nothing fires: amounts
  in different assets and of different customers are not comparable without prices, and new
  customers are covered by the takeover and screening detectors.
- sanctioned addresses are never suppressed by trust (a legal obligation); scam addresses are.
"""

from __future__ import annotations

import ipaddress
import math
import statistics
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.risk.countries import COUNTRY_CENTRES
from kefu.risk.models import (
    Detector,
    EventKind,
    RiskEvent,
    ScreeningHit,
    ScreeningList,
    Severity,
    TrustedValue,
    TrustKind,
)
from kefu.risk.screening import normalise_address

HISTORY_DAYS = 90
HISTORY_LIMIT = 500
FUTURE_TOLERANCE = timedelta(minutes=5)

NEW_DEVICE_SCORE = 30
NEW_NETWORK_SCORE = 20
NEW_COUNTRY_SCORE = 50

MAX_SPEED_KMH = 1000
TRAVEL_SLACK = timedelta(hours=1)
IMPOSSIBLE_TRAVEL_SCORE = 80

FAILED_LOGIN_WINDOW = timedelta(minutes=10)
FAILED_LOGIN_THRESHOLD = 5
FAILED_LOGIN_SCORE = 60
STUFFING_CUSTOMERS = 10
STUFFING_SCORE = 80
STUFFING_QUERY_LIMIT = 10_000

BASELINE_MIN_HISTORY = 5
BASELINE_K = Decimal(5)
MAD_TO_SIGMA = Decimal("1.4826")
SIGMA_FLOOR = Decimal("0.1")  # of the median: a customer who always sends 100 may send 101
BASELINE_MIN_RATIO = Decimal(3)
BASELINE_HIGH_RATIO = Decimal(10)
# Far above usual but under ten times: weak evidence on its own (people do make a big
# withdrawal now and then), so it is kept on the record and feeds the takeover pattern, but
# opens no case by itself (bench/risk.py: it made 168 of 273 benign cases at medium).
BASELINE_SCORE = 35
BASELINE_HIGH_SCORE = 75

WITHDRAWAL_BURST_WINDOW = timedelta(minutes=30)
WITHDRAWAL_BURST_THRESHOLD = 4
WITHDRAWAL_BURST_SCORE = 60

TAKEOVER_WINDOW = timedelta(hours=48)
TAKEOVER_BASE_SCORE = 50
TAKEOVER_PART_SCORE = 20
SECURITY_CHANGES = (
    EventKind.PASSWORD_CHANGED,
    EventKind.TWO_FACTOR_CHANGED,
    EventKind.EMAIL_CHANGED,
    EventKind.PHONE_CHANGED,
)

SANCTIONED_SCORE = 100
SCAM_SCORE = 80

TRADING_WINDOW = timedelta(hours=1)
TRADING_MIN_HOURS = 5
TRADING_MIN_RATIO = Decimal(5)
TRADING_SPIKE_SCORE = 50

_DETECTOR_ORDER = {detector.value: index for index, detector in enumerate(Detector)}
_SIGNIFICANT_PLACES = Decimal("1e-8")


@dataclass(frozen=True)
class Finding:
    """One detector firing on one stored event: score 0..100, severity, and the JSON-able
    values its reason is written from (``describe(detector, params)``)."""

    detector: Detector
    event: RiskEvent
    score: int
    severity: Severity
    params: dict[str, object]


def detect(events: Sequence[RiskEvent], *, now: datetime | None = None) -> list[Finding]:
    """Run every detector on newly stored events (any customers, any order).

    History is each customer's earlier stored events, their trusted values and the screening
    hits of the events. Costs one query per customer plus at most three. Events that occurred
    more than a few minutes after ``now`` are skipped. Never raises on odd data: a value that
    cannot be read is left out. Returns the findings ordered by event, then detector.
    """
    now = now or timezone.now()
    batch = {
        event.pk: event
        for event in events
        if event.pk is not None and event.occurred_at <= now + FUTURE_TOLERANCE
    }
    if not batch:
        return []
    by_customer: dict[str, list[RiskEvent]] = {}
    for event in batch.values():
        by_customer.setdefault(event.user_id, []).append(event)
    trusted = _trusted(by_customer)
    findings: list[Finding] = []
    findings.extend(_screening_findings(list(batch.values()), trusted))
    stuffing = _stuffing_findings(list(batch.values()))
    findings.extend(stuffing.values())
    for user_id, own in sorted(by_customer.items()):
        timeline = _timeline(user_id, own)
        customer = _Customer(trusted.get(user_id, set()))
        for event in timeline:
            found = customer.observe(event)
            if event.pk in batch:
                findings.extend(
                    finding
                    for finding in found
                    if not (
                        finding.detector == Detector.FAILED_LOGIN_BURST and event.pk in stuffing
                    )
                )
    findings.sort(key=lambda f: (f.event.occurred_at, f.event.pk, _DETECTOR_ORDER[f.detector]))
    return findings


def _timeline(user_id: str, own: list[RiskEvent]) -> list[RiskEvent]:
    """The customer's loaded history with the batch's events (the batch's objects win)."""
    start = min(event.occurred_at for event in own) - timedelta(days=HISTORY_DAYS)
    end = max(event.occurred_at for event in own)
    rows = RiskEvent.objects.filter(
        user_id=user_id, occurred_at__gte=start, occurred_at__lte=end
    ).order_by("-occurred_at", "-pk")[:HISTORY_LIMIT]
    merged = {row.pk: row for row in rows}
    merged.update({event.pk: event for event in own})
    return sorted(merged.values(), key=lambda event: (event.occurred_at, event.pk))


def _trusted(by_customer: dict[str, list[RiskEvent]]) -> dict[str, set[tuple[str, str]]]:
    trusted: dict[str, set[tuple[str, str]]] = {}
    rows = TrustedValue.objects.filter(user_id__in=list(by_customer)).values_list(
        "user_id", "kind", "value"
    )
    for user_id, kind, value in rows:
        if kind == TrustKind.ADDRESS:
            value = normalise_address(value)
        trusted.setdefault(user_id, set()).add((kind, value))
    return trusted


# --- screening ---------------------------------------------------------------------------


def _screening_findings(
    events: list[RiskEvent], trusted: dict[str, set[tuple[str, str]]]
) -> list[Finding]:
    hits = ScreeningHit.objects.filter(event_id__in=[event.pk for event in events]).order_by(
        "list", "asset", "pk"
    )
    by_pk = {event.pk: event for event in events}
    findings: dict[tuple[int, str], Finding] = {}
    for hit in hits:
        event = by_pk[hit.event_id]
        if hit.list == ScreeningList.OFAC:
            detector, score, severity = (
                Detector.SANCTIONED_ADDRESS,
                SANCTIONED_SCORE,
                Severity.CRITICAL,
            )
        elif hit.list == ScreeningList.SCAM:
            address = normalise_address(event.address)
            if (TrustKind.ADDRESS.value, address) in trusted.get(event.user_id, set()):
                continue
            detector, score, severity = Detector.SCAM_ADDRESS, SCAM_SCORE, Severity.HIGH
        else:
            continue
        params: dict[str, object] = {
            "address": event.address,
            "asset": event.asset,
            "list": hit.list,
            "listed_asset": hit.asset,
            "label": hit.label,
        }
        findings.setdefault((event.pk, detector), Finding(detector, event, score, severity, params))
    return list(findings.values())


# --- credential stuffing: failed logins from one IP across customers ----------------------


def _stuffing_findings(events: list[RiskEvent]) -> dict[int, Finding]:
    failed = [event for event in events if event.kind == EventKind.LOGIN_FAILED and event.ip]
    if not failed:
        return {}
    by_pk = {event.pk: event for event in failed}
    start = min(event.occurred_at for event in failed) - FAILED_LOGIN_WINDOW
    end = max(event.occurred_at for event in failed)
    rows = (
        RiskEvent.objects.filter(
            kind=EventKind.LOGIN_FAILED,
            ip__in=sorted({str(event.ip) for event in failed}),
            occurred_at__gte=start,
            occurred_at__lte=end,
        )
        .order_by("occurred_at", "pk")
        .values_list("pk", "ip", "user_id", "occurred_at")[:STUFFING_QUERY_LIMIT]
    )
    by_ip: dict[str, list[tuple[int, str, datetime]]] = {}
    for pk, ip, user_id, occurred_at in rows:
        by_ip.setdefault(str(ip), []).append((pk, user_id, occurred_at))
    findings: dict[int, Finding] = {}
    for ip, attempts in by_ip.items():
        window: deque[tuple[datetime, str]] = deque()
        customers: Counter[str] = Counter()
        in_burst = False
        for pk, user_id, occurred_at in attempts:
            window.append((occurred_at, user_id))
            customers[user_id] += 1
            while window[0][0] <= occurred_at - FAILED_LOGIN_WINDOW:
                _gone, gone_user = window.popleft()
                customers[gone_user] -= 1
                if not customers[gone_user]:
                    del customers[gone_user]
            reached = len(customers) >= STUFFING_CUSTOMERS
            if reached and not in_burst and pk in by_pk:
                params: dict[str, object] = {
                    "scope": "ip",
                    "ip": ip,
                    "customers": len(customers),
                    "count": len(window),
                    "minutes": _minutes(FAILED_LOGIN_WINDOW),
                }
                findings[pk] = Finding(
                    Detector.FAILED_LOGIN_BURST, by_pk[pk], STUFFING_SCORE, Severity.HIGH, params
                )
            in_burst = reached
    return findings


# --- one customer's history, replayed ------------------------------------------------------


@dataclass
class _Burst:
    """Events in a sliding window; reports the count once when it first reaches the threshold,
    and again only after it has fallen below."""

    window: timedelta
    threshold: int
    times: deque[datetime] = field(default_factory=deque)
    in_burst: bool = False

    def add(self, at: datetime) -> int | None:
        self.times.append(at)
        while self.times[0] <= at - self.window:
            self.times.popleft()
        reached = len(self.times) >= self.threshold
        fired = reached and not self.in_burst
        self.in_burst = reached
        return len(self.times) if fired else None


@dataclass(frozen=True)
class _Baseline:
    median: Decimal
    count: int
    threshold: Decimal

    def ratio(self, amount: Decimal) -> int:
        return int((amount / self.median).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class _Place:
    label: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _NewLogin:
    at: datetime
    is_new_device: bool
    is_new_network: bool


class _Customer:
    """What is known of one customer so far; ``observe`` each event in order."""

    def __init__(self, trusted: set[tuple[str, str]]) -> None:
        self.trusted = trusted
        self.devices: set[str] = set()
        self.networks: set[str] = set()
        self.countries: set[str] = set()
        self.logins = 0
        self.last_place: tuple[RiskEvent, _Place] | None = None
        self.failed = _Burst(FAILED_LOGIN_WINDOW, FAILED_LOGIN_THRESHOLD)
        self.withdrawal_times = _Burst(WITHDRAWAL_BURST_WINDOW, WITHDRAWAL_BURST_THRESHOLD)
        self.withdrawals: dict[str, list[Decimal]] = {}
        self.addresses: dict[str, datetime] = {}
        self.security_changes: list[tuple[datetime, str]] = []
        self.new_logins: list[_NewLogin] = []
        self.trades: dict[str, list[tuple[datetime, Decimal]]] = {}
        self.in_spike: set[str] = set()

    def is_trusted(self, kind: TrustKind, value: str) -> bool:
        return (kind.value, value) in self.trusted

    def observe(self, event: RiskEvent) -> list[Finding]:
        """Findings of ``event`` given what came before; then learn from it."""
        if event.kind == EventKind.LOGIN_SUCCEEDED:
            return self._login(event)
        if event.kind == EventKind.LOGIN_FAILED:
            count = self.failed.add(event.occurred_at)
            if count is None:
                return []
            params: dict[str, object] = {
                "scope": "customer",
                "count": count,
                "minutes": _minutes(FAILED_LOGIN_WINDOW),
            }
            return [
                Finding(
                    Detector.FAILED_LOGIN_BURST,
                    event,
                    FAILED_LOGIN_SCORE,
                    Severity.MEDIUM,
                    params,
                )
            ]
        if event.kind in SECURITY_CHANGES:
            self.security_changes.append((event.occurred_at, event.kind))
            return []
        if event.kind == EventKind.WITHDRAWAL_ADDRESS_ADDED:
            self._remember_address(event)
            return []
        if event.kind == EventKind.WITHDRAWAL_REQUESTED:
            return self._withdrawal(event)
        if event.kind == EventKind.TRADE:
            return self._trade(event)
        return []

    # logins

    def _login(self, event: RiskEvent) -> list[Finding]:
        findings: list[Finding] = []
        device = event.device_id
        network = network_of(event.ip)
        country = event.country if len(event.country) == 2 and event.country.isalpha() else ""
        is_new_device = bool(
            device
            and self.devices
            and device not in self.devices
            and not self.is_trusted(TrustKind.DEVICE, device)
        )
        is_new_network = bool(
            network
            and self.networks
            and network not in self.networks
            and not self.is_trusted(TrustKind.NETWORK, network)
        )
        is_new_country = bool(
            country
            and self.countries
            and country not in self.countries
            and not self.is_trusted(TrustKind.COUNTRY, country)
        )
        if is_new_device:
            params: dict[str, object] = {"device_id": device, "known_devices": len(self.devices)}
            findings.append(
                Finding(Detector.NEW_DEVICE, event, NEW_DEVICE_SCORE, Severity.LOW, params)
            )
        if is_new_network:
            params = {"network": network, "ip": str(event.ip)}
            findings.append(
                Finding(Detector.NEW_NETWORK, event, NEW_NETWORK_SCORE, Severity.LOW, params)
            )
        if is_new_country:
            params = {"country": country, "known_countries": sorted(self.countries)}
            findings.append(
                Finding(Detector.NEW_COUNTRY, event, NEW_COUNTRY_SCORE, Severity.MEDIUM, params)
            )
        place = _place_of(event)
        travel = self._travel(event, place, network)
        if travel is not None:
            findings.append(travel)
        if is_new_device or is_new_network:
            self.new_logins.append(_NewLogin(event.occurred_at, is_new_device, is_new_network))
        if device:
            self.devices.add(device)
        if network:
            self.networks.add(network)
        if country:
            self.countries.add(country)
        if place is not None:
            self.last_place = (event, place)
        self.logins += 1
        return findings

    def _travel(self, event: RiskEvent, place: _Place | None, network: str) -> Finding | None:
        if place is None or self.last_place is None:
            return None
        if network and self.is_trusted(TrustKind.NETWORK, network):
            return None  # a dismissed alert said this network (a VPN, say) is the customer's
        previous, before = self.last_place
        distance = _distance_km(before, place)
        elapsed = event.occurred_at - previous.occurred_at
        hours = elapsed.total_seconds() / 3600
        if distance <= MAX_SPEED_KMH * (hours + TRAVEL_SLACK.total_seconds() / 3600):
            return None
        params: dict[str, object] = {
            "previous_event_id": previous.event_id,
            "from_place": before.label,
            "to_place": place.label,
            "distance_km": round(distance),
            "minutes": int(elapsed.total_seconds() // 60),
            "speed_kmh": round(distance / max(hours, 1 / 60)),
        }
        return Finding(
            Detector.IMPOSSIBLE_TRAVEL, event, IMPOSSIBLE_TRAVEL_SCORE, Severity.HIGH, params
        )

    # withdrawals

    def _remember_address(self, event: RiskEvent) -> None:
        address = normalise_address(event.address)
        if address:
            self.addresses.setdefault(address, event.occurred_at)

    def _withdrawal(self, event: RiskEvent) -> list[Finding]:
        findings: list[Finding] = []
        count = self.withdrawal_times.add(event.occurred_at)
        if count is not None:
            params: dict[str, object] = {
                "count": count,
                "minutes": _minutes(WITHDRAWAL_BURST_WINDOW),
            }
            findings.append(
                Finding(
                    Detector.WITHDRAWAL_BURST,
                    event,
                    WITHDRAWAL_BURST_SCORE,
                    Severity.MEDIUM,
                    params,
                )
            )
        amount = _amount_of(event)
        history = self.withdrawals.get(event.asset, [])
        baseline = _baseline(history)
        if amount is not None and baseline is not None and amount > baseline.threshold:
            ratio = baseline.ratio(amount)
            is_high = amount >= baseline.median * BASELINE_HIGH_RATIO
            params = {
                "amount": _decimal_text(amount),
                "asset": event.asset,
                "median": _decimal_text(baseline.median),
                "count": baseline.count,
                "ratio": ratio,
            }
            findings.append(
                Finding(
                    Detector.WITHDRAWAL_ABOVE_BASELINE,
                    event,
                    BASELINE_HIGH_SCORE if is_high else BASELINE_SCORE,
                    Severity.HIGH if is_high else Severity.LOW,
                    params,
                )
            )
        takeover = self._takeover(event, amount, baseline)
        if takeover is not None:
            findings.append(takeover)
        if amount is not None:
            self.withdrawals.setdefault(event.asset, []).append(amount)
        self._remember_address(event)
        return findings

    def _takeover(
        self, event: RiskEvent, amount: Decimal | None, baseline: _Baseline | None
    ) -> Finding | None:
        address = normalise_address(event.address)
        if not address or self.is_trusted(TrustKind.ADDRESS, address):
            return None
        since = event.occurred_at - TAKEOVER_WINDOW
        first_seen = self.addresses.get(address)
        # An address added just before the withdrawal is new too: that is what a thief does.
        if first_seen is not None and first_seen < since:
            return None
        changes = [(at, kind) for at, kind in self.security_changes if at >= since]
        logins = [login for login in self.new_logins if login.at >= since]
        if not changes and not logins:
            return None
        is_large = bool(
            amount is not None
            and baseline is not None
            and amount >= baseline.median * BASELINE_MIN_RATIO
        )
        parts = (bool(changes), bool(logins), is_large)
        score = TAKEOVER_BASE_SCORE + TAKEOVER_PART_SCORE * (sum(parts) - 1)
        if changes and is_large:
            severity, score = Severity.CRITICAL, 100 if logins else 90
        elif sum(parts) >= 2:
            severity = Severity.HIGH
        else:
            severity = Severity.MEDIUM
        earliest = min([at for at, _kind in changes] + [login.at for login in logins])
        params: dict[str, object] = {
            "address": event.address,
            "asset": event.asset,
            "amount": _decimal_text(amount) if amount is not None else "",
            "changes": sorted({kind for _at, kind in changes}),
            "new_device": any(login.is_new_device for login in logins),
            "new_network": any(login.is_new_network for login in logins),
            "ratio": baseline.ratio(amount)
            if is_large and baseline is not None and amount is not None
            else None,
            "hours": int((event.occurred_at - earliest).total_seconds() // 3600),
        }
        return Finding(Detector.TAKEOVER_PATTERN, event, score, severity, params)

    # trading

    def _trade(self, event: RiskEvent) -> list[Finding]:
        amount = _amount_of(event)
        if amount is None or not event.asset:
            return []
        trades = self.trades.setdefault(event.asset, [])
        trades.append((event.occurred_at, amount))
        start = event.occurred_at - TRADING_WINDOW
        volume = sum((value for at, value in trades if at > start), Decimal(0))
        hours: dict[datetime, Decimal] = {}
        for at, value in trades:
            if at <= start:
                hour = at.replace(minute=0, second=0, microsecond=0)
                hours[hour] = hours.get(hour, Decimal(0)) + value
        baseline = _baseline(list(hours.values()), minimum=TRADING_MIN_HOURS)
        is_spike = bool(
            baseline is not None
            and volume > baseline.threshold
            and volume >= baseline.median * TRADING_MIN_RATIO
        )
        was_spike = event.asset in self.in_spike
        if not is_spike:
            self.in_spike.discard(event.asset)
            return []
        self.in_spike.add(event.asset)
        if was_spike or baseline is None:
            return []
        params: dict[str, object] = {
            "asset": event.asset,
            "volume": _decimal_text(volume),
            "median": _decimal_text(baseline.median),
            "hours": baseline.count,
            "ratio": baseline.ratio(volume),
        }
        return [
            Finding(Detector.TRADING_SPIKE, event, TRADING_SPIKE_SCORE, Severity.MEDIUM, params)
        ]


# --- small helpers -------------------------------------------------------------------------


def _baseline(values: list[Decimal], *, minimum: int = BASELINE_MIN_HISTORY) -> _Baseline | None:
    """Median and MAD of ``values``: the amount above which one is unusual, or None with too
    little history (or a zero median)."""
    if len(values) < minimum:
        return None
    median = statistics.median(values)
    if median <= 0:
        return None
    mad = statistics.median([abs(value - median) for value in values])
    sigma = max(mad * MAD_TO_SIGMA, median * SIGMA_FLOOR)
    threshold = max(median + BASELINE_K * sigma, median * BASELINE_MIN_RATIO)
    return _Baseline(median=median, count=len(values), threshold=threshold)


def _amount_of(event: RiskEvent) -> Decimal | None:
    amount = event.amount
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        return None
    return amount


def network_of(ip: object) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of ``ip`` as ``TrustedValue`` stores it; "" when
    it is not an IP address."""
    if not isinstance(ip, str) or not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _place_of(event: RiskEvent) -> _Place | None:
    """Where a login was: the payload's coordinates, else its country's centre."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    latitude = _coordinate(payload.get("latitude"), 90)
    longitude = _coordinate(payload.get("longitude"), 180)
    if latitude is not None and longitude is not None:
        label = event.country or f"{latitude:.2f}, {longitude:.2f}"
        return _Place(label, latitude, longitude)
    centre = COUNTRY_CENTRES.get(event.country)
    if centre is None:
        return None
    return _Place(event.country, centre[0], centre[1])


def _coordinate(value: object, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return number


def _distance_km(a: _Place, b: _Place) -> float:
    """Great-circle distance (haversine) on a sphere of the Earth's mean radius."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _decimal_text(value: Decimal) -> str:
    """A JSON-able amount: plain digits, trailing zeros and digits past the 8th decimal cut."""
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        value = value.quantize(_SIGNIFICANT_PLACES, rounding=ROUND_HALF_UP)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _minutes(window: timedelta) -> int:
    return int(window.total_seconds() // 60)


# --- reasons in words ----------------------------------------------------------------------

_REASONS: dict[str, Promise] = {
    "new_device": _("Login from a device not seen before on this account (%(device_id)s)"),
    "new_network": _("Login from an IP network not seen before on this account (%(network)s)"),
    "new_country": _(
        "Login from a country not seen before on this account (%(country)s; seen before: "
        "%(known_countries)s)"
    ),
    "impossible_travel": _(
        "Logins from %(from_place)s and %(to_place)s, %(distance_km)s km apart within "
        "%(minutes)s minutes (%(speed_kmh)s km/h)"
    ),
    "failed_login_burst": _("%(count)s failed logins within %(minutes)s minutes"),
    "failed_login_burst_ip": _(
        "Failed logins for %(customers)s customers from IP address %(ip)s within %(minutes)s "
        "minutes"
    ),
    "withdrawal_above_baseline": _(
        "Withdrawal of %(amount)s %(asset)s is %(ratio)sx this customer's usual (median "
        "%(median)s %(asset)s over %(count)s withdrawals)"
    ),
    "withdrawal_burst": _("%(count)s withdrawals within %(minutes)s minutes"),
    "takeover_pattern": _(
        "Withdrawal of %(amount)s %(asset)s to an address not used before, %(hours)s hours "
        "after: %(signals)s"
    ),
    "sanctioned_address": _("Address %(address)s is on the OFAC sanctions list"),
    "scam_address": _("Address %(address)s is on a known scam and phishing list"),
    "trading_spike": _(
        "Traded %(volume)s %(asset)s within an hour, %(ratio)sx this customer's usual hour "
        "(median %(median)s %(asset)s over %(hours)s hours)"
    ),
}
_GENERIC = _("Unusual activity on the account")
_NEW_DEVICE_SIGNAL = _("login from a new device")
_NEW_NETWORK_SIGNAL = _("login from a new IP network")
_LARGE_SIGNAL = _("amount %(ratio)sx the usual")
_NUMBERS = frozenset({"amount", "median", "volume", "distance_km", "speed_kmh"})


def describe(detector: str, params: dict[str, object]) -> str:
    """The reason of a finding in words, in the active language. Unknown detectors and params
    that do not fit give a generic text; this never raises."""
    try:
        key = detector
        if detector == Detector.FAILED_LOGIN_BURST and params.get("scope") == "ip":
            key = "failed_login_burst_ip"
        template = _REASONS.get(key)
        if template is None or not isinstance(params, dict):
            return str(_GENERIC)
        values: dict[str, object] = {
            name: _display(name, value) for name, value in params.items() if isinstance(name, str)
        }
        if detector == Detector.TAKEOVER_PATTERN:
            values["signals"] = _signals(params)
        return str(template % values)
    except (KeyError, TypeError, ValueError, AttributeError):
        return str(_GENERIC)


def _display(name: str, value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if name in _NUMBERS and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        if number.is_finite():
            return format(number.normalize(), ",f")
    return str(value)


def _signals(params: dict[str, object]) -> str:
    labels = dict(EventKind.choices)
    changes = params.get("changes")
    signals: list[str] = []
    if isinstance(changes, list):
        signals.extend(str(labels.get(str(kind), kind)) for kind in changes)
    if params.get("new_device") is True:
        signals.append(str(_NEW_DEVICE_SIGNAL))
    if params.get("new_network") is True:
        signals.append(str(_NEW_NETWORK_SIGNAL))
    ratio = params.get("ratio")
    if isinstance(ratio, int) and not isinstance(ratio, bool):
        signals.append(str(_LARGE_SIGNAL % {"ratio": ratio}))
    return "; ".join(signals)
