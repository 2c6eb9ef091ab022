"""Early-warning benchmark: a simulated month of exchange account and money events, with injected
attacks whose ground truth is known, through Kefu's real ingestion, detectors and actions; next
to a fixed-threshold rule set on the same events; and how many events per second are scored.

The stream is generated from ``--seed``. ``--customers`` customers over ``--days`` days, each
with habits: a home city (latitude and longitude in the login payload, the country, a time
zone that logins follow), 1-3 usual devices, 1-2 IP networks (/24), deposits and withdrawals in
their usual assets with lognormal amounts around a personal median, withdrawals to a few saved
addresses, and for some a trading habit (sessions with a personal hourly volume). Benign oddities
happen so that false alerts can: holidays abroad (a flight of plausible duration, then logins
from the destination on a new network), new phones, a legitimately large withdrawal, a new
saved address, a password change, mistyped passwords. Injected attacks, each labelled: account
takeovers (a failed-login burst, or a credential-stuffing sweep from one IP over many accounts,
or none when the password was phished; then a login from a new device and network, often from
another country; a password or 2FA change; a new withdrawal address; a large withdrawal),
fraud bursts (many withdrawals within minutes), withdrawals to sanctioned addresses (the OFAC
sample packaged in ``kefu/risk/data``), to scam addresses (the packaged scam sample), and
trading spikes.

Events are ingested in time order, ``--batch`` at a time, through
``ingest_events(batch, source="stream", now=<the batch's last event time>)``: storing,
screening, the detectors, the alerts, the cases and the actions (through the exchange adapter,
the demo exchange in the database, which knows none of these customers: holds, locks and
step-ups fail with "not found" and are recorded as failed actions; warnings need the customer's
email from the exchange and fail the same way). Latency from an event's arrival (the start of
its batch's call) to its alert being stored (the end of the call) is the batch's duration.

An attack counts as detected when an alert of any detector is raised on one of its events (for
a takeover, on an event up to and including the large withdrawal); "before the withdrawal"
when that event occurred before the attack's withdrawal. False alerts are alerts on benign
events (the victims' own events outside the attack included).

The rule set, in pure Python on the same events: a withdrawal over 10,000 USDT-equivalent, a
login from a country the customer never logged in from, 5 failed logins of a customer within
10 minutes, and a withdrawal to an address on the loaded lists (the same lookup, so screening
is compared like with like).

SQLite in this process always; the same stream on PostgreSQL with ``--postgres URL`` in a
child process (a database of that name is created and dropped); ``--skip-throughput`` skips
the PostgreSQL run.

    python bench/risk.py [--customers 2000] [--days 30] [--batch 500] [--seed 7]
                         [--postgres postgres://postgres@127.0.0.1:5432/bench_risk]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness

if "KEFU_DATA_DIR" not in os.environ:  # (setdefault would make a directory either way)
    os.environ["KEFU_DATA_DIR"] = tempfile.mkdtemp(prefix="kefu-bench-risk-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
os.environ["KEFU_NLU"] = "false"
os.environ["KEFU_BOT"] = "false"
os.environ["KEFU_EXCHANGE"] = "demo"  # the demo exchange in the database: no network
os.environ["KEFU_FAST_PASSWORD_HASHER"] = "true"  # noqa: S105 - a switch, not a password

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from kefu.exchange.adapter import ActionResult, ExchangeNotFound  # noqa: E402
from kefu.exchange.demo.adapter import DemoExchange  # noqa: E402
from kefu.exchange.services import use_exchange  # noqa: E402
from kefu.risk.demo import PACKAGED  # noqa: E402
from kefu.risk.models import (  # noqa: E402
    Alert,
    EventSource,
    RiskAction,
    RiskCase,
    RiskEvent,
)
from kefu.risk.screening import parse_list_file  # noqa: E402
from kefu.risk.services import ingest_events  # noqa: E402
from kefu.risk.tests.factories import load_sample_lists  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
HISTORY_DAYS = 30  # of withdrawals (and a login per usual device and network) before START
PRICES = {"USDT": 1.0, "BTC": 60_000.0, "ETH": 3_000.0}
NETWORKS = {"USDT": ("TRX", "ETH"), "BTC": ("BTC",), "ETH": ("ETH",)}
# Typical amount per asset (the median of personal medians) and the spread of personal medians.
ASSET_MEDIAN = {"USDT": 400.0, "BTC": 0.01, "ETH": 0.15}
# name, country, latitude, longitude, UTC offset (hours), weight
CITIES: list[tuple[str, str, float, float, float, float]] = [
    ("Singapore", "SG", 1.35, 103.82, 8, 8),
    ("Shanghai", "CN", 31.23, 121.47, 8, 10),
    ("Hong Kong", "HK", 22.32, 114.17, 8, 8),
    ("Taipei", "TW", 25.03, 121.56, 8, 5),
    ("Tokyo", "JP", 35.68, 139.69, 9, 5),
    ("Seoul", "KR", 37.57, 126.98, 9, 6),
    ("Hanoi", "VN", 21.03, 105.85, 7, 5),
    ("Bangkok", "TH", 13.76, 100.50, 7, 4),
    ("Jakarta", "ID", -6.21, 106.85, 7, 4),
    ("Manila", "PH", 14.60, 120.98, 8, 3),
    ("Mumbai", "IN", 19.08, 72.88, 5.5, 4),
    ("Dubai", "AE", 25.20, 55.27, 4, 3),
    ("Istanbul", "TR", 41.01, 28.98, 3, 4),
    ("Berlin", "DE", 52.52, 13.40, 1, 4),
    ("Paris", "FR", 48.86, 2.35, 1, 3),
    ("London", "GB", 51.51, -0.13, 0, 4),
    ("Lagos", "NG", 6.52, 3.38, 1, 3),
    ("Sao Paulo", "BR", -23.55, -46.63, -3, 4),
    ("New York", "US", 40.71, -74.01, -5, 4),
    ("San Francisco", "US", 37.77, -122.42, -8, 2),
    ("Sydney", "AU", -33.87, 151.21, 11, 3),
]
# Local hours of logins, relative weights (00..23).
LOGIN_HOURS = [0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.7, 1.0, 1.0, 1.0, 1.0]
LOGIN_HOURS += [1.1, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.4, 1.5, 1.4, 1.0, 0.6]
ATTACK_KINDS = ("takeover", "fraud_burst", "sanctioned", "scam", "trading_spike")
ATTACK_DETECTORS = {
    "takeover": (
        "failed_login_burst",
        "new_device",
        "new_network",
        "new_country",
        "impossible_travel",
        "withdrawal_above_baseline",
        "takeover_pattern",
    ),
    "fraud_burst": ("withdrawal_burst", "withdrawal_above_baseline", "takeover_pattern"),
    "sanctioned": ("sanctioned_address",),
    "scam": ("scam_address",),
    "trading_spike": ("trading_spike",),
}
RULE_WITHDRAWAL_USD = 10_000.0
AFTERMATH = timedelta(hours=48)


# --- the stream ----------------------------------------------------------------------------


@dataclass
class Label:
    """Ground truth of one event: benign, or part of an attack (which one, its role)."""

    attack: int = -1  # index in Stream.attacks, -1 for benign
    role: str = ""


@dataclass
class Attack:
    kind: str
    user_id: str
    variant: str
    start: datetime
    payoff: str = ""  # event id of the withdrawal (or the spike's first trade) it is all about
    events: list[str] = field(default_factory=list)


@dataclass
class Stream:
    events: list[dict[str, Any]]
    labels: dict[str, Label]
    attacks: list[Attack]
    customers: int
    days: int
    benign_oddities: Counter[str]


@dataclass
class Habit:
    """One customer's habits."""

    user_id: str
    city: tuple[str, str, float, float, float, float]
    latitude: float
    longitude: float
    devices: list[str]
    networks: list[str]
    logins_per_day: float
    assets: list[str]
    medians: dict[str, float]
    addresses: dict[str, list[tuple[str, str]]]  # asset -> [(network, address)]
    deposit_rate: float
    withdrawal_rate: float
    trade_asset: str
    trade_volume: float
    trade_sessions_per_day: float


class Generator:
    def __init__(self, customers: int, days: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.customers = customers
        self.days = days
        self.end = START + timedelta(days=days)
        self.events: list[dict[str, Any]] = []
        self.labels: dict[str, Label] = {}
        self.attacks: list[Attack] = []
        self.oddities: Counter[str] = Counter()
        self.counter = 0
        self.lists = sample_lists()

    # helpers

    def _id(self) -> str:
        self.counter += 1
        return f"bx-{self.counter:07d}"

    def add(
        self, kind: str, user_id: str, at: datetime, attack: int = -1, role: str = "", **fields: Any
    ) -> str:
        event_id = self._id()
        row: dict[str, Any] = {
            "event_id": event_id,
            "kind": kind,
            "user_id": user_id,
            "occurred_at": at,
        }
        row.update({k: v for k, v in fields.items() if v is not None})
        self.events.append(row)
        self.labels[event_id] = Label(attack, role)
        if attack >= 0:
            self.attacks[attack].events.append(event_id)
        return event_id

    def ip_in(self, network: str) -> str:
        return f"{network}.{self.rng.randint(2, 254)}"

    def new_network(self) -> str:
        rng = self.rng
        first = rng.choice([rng.randint(1, 126), rng.randint(128, 223)])
        return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"

    def address(self, asset: str, network: str) -> str:
        rng = self.rng
        if network == "TRX":
            alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
            return "T" + "".join(rng.choice(alphabet) for _ in range(33))
        if network == "BTC":
            return "bc1q" + "".join(
                rng.choice("023456789acdefghjklmnpqrstuvwxyz") for _ in range(38)
            )
        return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))

    def local_time(self, habit: Habit, day: int) -> datetime:
        hour = self.rng.choices(range(24), weights=LOGIN_HOURS)[0]
        local = START + timedelta(days=day, hours=hour, seconds=self.rng.uniform(0, 3600))
        return local - timedelta(hours=habit.city[4])

    def amount(self, habit: Habit, asset: str, sigma: float = 0.6) -> float:
        return habit.medians[asset] * math.exp(self.rng.gauss(0, sigma))

    def login(
        self,
        habit: Habit,
        at: datetime,
        *,
        device: str | None = None,
        network: str | None = None,
        place: tuple[str, float, float] | None = None,
        attack: int = -1,
        role: str = "",
    ) -> str:
        country, latitude, longitude = place or (habit.city[1], habit.latitude, habit.longitude)
        return self.add(
            "login_succeeded",
            habit.user_id,
            at,
            attack,
            role,
            ip=self.ip_in(network or self.rng.choice(habit.networks)),
            device_id=device or self.rng.choice(habit.devices),
            user_agent="KefuBench/1.0",
            country=country,
            payload={"latitude": round(latitude, 4), "longitude": round(longitude, 4)},
        )

    def withdraw(
        self,
        habit: Habit,
        at: datetime,
        asset: str,
        network: str,
        address: str,
        amount: float,
        attack: int = -1,
        role: str = "",
    ) -> str:
        event_id = self._id()
        self.counter -= 1
        return self.add(
            "withdrawal_requested",
            habit.user_id,
            at,
            attack,
            role,
            asset=asset,
            network=network,
            address=address,
            amount=f"{amount:.8f}",
            payload={"withdrawal_id": f"w-{event_id}"},
        )

    # customers

    def habit(self, number: int) -> Habit:
        rng = self.rng
        city = rng.choices(CITIES, weights=[c[5] for c in CITIES])[0]
        user_id = f"bench-u-{number:05d}"
        assets = rng.sample(["USDT", "USDT", "BTC", "ETH"], rng.choice([1, 1, 2]))
        assets = sorted(set(assets))
        medians = {a: ASSET_MEDIAN[a] * math.exp(rng.gauss(0, 1.0)) for a in assets}
        addresses: dict[str, list[tuple[str, str]]] = {}
        for asset in assets:
            network = rng.choice(NETWORKS[asset])
            addresses[asset] = [
                (network, self.address(asset, network)) for _ in range(rng.randint(1, 3))
            ]
        trader = rng.random() < 0.4
        return Habit(
            user_id=user_id,
            city=city,
            latitude=city[2] + rng.uniform(-0.2, 0.2),
            longitude=city[3] + rng.uniform(-0.2, 0.2),
            devices=[f"d-{number:05d}-{n}" for n in range(rng.choice([1, 1, 2, 2, 3]))],
            networks=[self.new_network() for _ in range(rng.choice([1, 1, 2]))],
            logins_per_day=min(3.0, 0.3 * math.exp(rng.gauss(0, 0.6))),
            assets=assets,
            medians=medians,
            addresses=addresses,
            deposit_rate=0.1 * math.exp(rng.gauss(0, 0.5)),
            withdrawal_rate=0.15 * math.exp(rng.gauss(0, 0.7)),
            trade_asset=rng.choice(["BTC", "ETH"]) if trader else "",
            trade_volume=ASSET_MEDIAN["BTC"] * 3 * math.exp(rng.gauss(0, 1.0)),
            trade_sessions_per_day=0.4 * math.exp(rng.gauss(0, 0.4)) if trader else 0.0,
        )

    def poisson(self, rate: float) -> int:
        # Knuth; rates here are small
        limit, count, product = math.exp(-rate), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def normal_life(self, habit: Habit) -> None:
        rng = self.rng
        # History from before the month (what the exchange would have sent earlier): the saved
        # addresses, a login with each usual device and network, and the month's withdrawals.
        for asset, saved in habit.addresses.items():
            for network, address in saved:
                at = START - timedelta(days=rng.uniform(HISTORY_DAYS + 1, HISTORY_DAYS + 10))
                self.add(
                    "withdrawal_address_added",
                    habit.user_id,
                    at,
                    asset=asset,
                    network=network,
                    address=address,
                )
        for number in range(max(len(habit.devices), len(habit.networks))):
            at = START - timedelta(days=rng.uniform(1, HISTORY_DAYS))
            self.login(
                habit,
                at,
                device=habit.devices[number % len(habit.devices)],
                network=habit.networks[number % len(habit.networks)],
            )
        for _ in range(self.poisson(habit.withdrawal_rate * HISTORY_DAYS)):
            asset = rng.choice(habit.assets)
            network_name, address = rng.choice(habit.addresses[asset])
            at = START - timedelta(days=rng.uniform(0.1, HISTORY_DAYS))
            self.withdraw(habit, at, asset, network_name, address, self.amount(habit, asset))
        # benign oddities, decided up front
        holiday: tuple[datetime, datetime, tuple[str, float, float], str] | None = None
        flight = timedelta(0)
        if rng.random() < 0.05:
            destination = rng.choice([c for c in CITIES if c[1] != habit.city[1]])
            leave = START + timedelta(days=rng.uniform(3, self.days - 8))
            distance = _distance_km(habit.latitude, habit.longitude, destination[2], destination[3])
            flight = timedelta(hours=distance / 800 + 2 + rng.uniform(0, 3))
            back = leave + flight + timedelta(days=rng.uniform(4, 10))
            place = (destination[1], destination[2], destination[3])
            holiday = (leave + flight, back, place, self.new_network())
            self.oddities["holiday abroad"] += 1
        new_phone_day = rng.uniform(2, self.days - 1) if rng.random() < 0.05 else None
        if new_phone_day is not None:
            self.oddities["new phone"] += 1
        big_day = rng.uniform(8, self.days - 1) if rng.random() < 0.02 else None
        if big_day is not None:
            self.oddities["legitimately large withdrawal"] += 1
        new_address_day = rng.uniform(5, self.days - 1) if rng.random() < 0.04 else None
        if new_address_day is not None:
            self.oddities["new withdrawal address"] += 1
        password_day = rng.uniform(1, self.days - 1) if rng.random() < 0.02 else None
        if password_day is not None:
            self.oddities["password changed"] += 1
        new_device = f"d-{habit.user_id[-5:]}-new"
        last_login = START
        for day in range(self.days):
            day_start = START + timedelta(days=day)
            sessions = self.poisson(habit.logins_per_day)
            # money needs a session: a withdrawal or trading session comes after a login
            withdrawals = self.poisson(habit.withdrawal_rate)
            trades = self.poisson(habit.trade_sessions_per_day)
            sessions = max(sessions, withdrawals, trades)
            for number in range(sessions):
                at = self.local_time(habit, day)
                if at < START or at >= self.end - timedelta(hours=2):
                    continue
                away = holiday is not None and holiday[0] <= at < holiday[1]
                if holiday is not None and (
                    holiday[0] - timedelta(days=1) < at < holiday[0]
                    or holiday[1] <= at < holiday[1] + flight
                ):
                    continue  # on the way there or back
                device = None
                if (
                    new_phone_day is not None
                    and at >= day_start.replace(hour=0)
                    and (day >= new_phone_day)
                ):
                    device = new_device
                trip_place = holiday[2] if holiday is not None and away else None
                trip_network = holiday[3] if holiday is not None and away else None
                if rng.random() < 0.04:  # a mistyped password or two
                    for miss in range(rng.randint(1, 2)):
                        self.add(
                            "login_failed",
                            habit.user_id,
                            at - timedelta(seconds=40 * (miss + 1)),
                            ip=self.ip_in(trip_network or habit.networks[0]),
                            device_id=device or habit.devices[0],
                            user_agent="KefuBench/1.0",
                            country=(trip_place or (habit.city[1],))[0],
                        )
                self.login(habit, at, device=device, network=trip_network, place=trip_place)
                last_login = max(last_login, at)
                if number < withdrawals:
                    asset = rng.choice(habit.assets)
                    network_name, address = rng.choice(habit.addresses[asset])
                    amount = self.amount(habit, asset)
                    if big_day is not None and day == int(big_day):
                        amount = habit.medians[asset] * rng.uniform(8, 25)
                        big_day = None
                    if new_address_day is not None and day >= new_address_day:
                        address = self.address(asset, network_name)
                        habit.addresses[asset].append((network_name, address))
                        self.add(
                            "withdrawal_address_added",
                            habit.user_id,
                            at + timedelta(minutes=2),
                            asset=asset,
                            network=network_name,
                            address=address,
                        )
                        new_address_day = None
                    self.withdraw(
                        habit,
                        at + timedelta(minutes=rng.uniform(3, 10)),
                        asset,
                        network_name,
                        address,
                        amount,
                    )
                if number < trades and habit.trade_asset:
                    volume = habit.trade_volume * math.exp(rng.gauss(0, 0.5))
                    count = rng.randint(1, 3)
                    for part in range(count):
                        self.add(
                            "trade",
                            habit.user_id,
                            at + timedelta(minutes=1 + part * rng.uniform(2, 10)),
                            asset=habit.trade_asset,
                            amount=f"{volume / count:.8f}",
                        )
            if password_day is not None and day == int(password_day):
                at = self.local_time(habit, day)
                if START <= at < self.end - timedelta(hours=1):
                    self.login(habit, at)
                    self.add("password_changed", habit.user_id, at + timedelta(minutes=1))
                password_day = None
            for _ in range(self.poisson(habit.deposit_rate)):
                asset = rng.choice(habit.assets)
                at = self.local_time(habit, day)
                if START <= at < self.end:
                    self.add(
                        "deposit",
                        habit.user_id,
                        at,
                        asset=asset,
                        network=rng.choice(NETWORKS[asset]),
                        amount=f"{self.amount(habit, asset, 0.8) * 1.5:.8f}",
                    )

    # attacks

    def attack(self, kind: str, habit: Habit, others: list[Habit]) -> None:
        rng = self.rng
        start = START + timedelta(days=rng.uniform(12, self.days - 1.5))
        index = len(self.attacks)
        attack = Attack(kind=kind, user_id=habit.user_id, variant="", start=start)
        self.attacks.append(attack)
        asset = habit.assets[0]
        network = habit.addresses[asset][0][0]
        if kind == "takeover":
            attack.variant = rng.choices(
                ["failed-login burst", "credential stuffing", "phished password"], [4, 3, 3]
            )[0]
            attacker_net = self.new_network()
            at = start
            if attack.variant == "failed-login burst":
                for _ in range(rng.randint(6, 15)):
                    self.add(
                        "login_failed",
                        habit.user_id,
                        at,
                        index,
                        "failed login",
                        ip=self.ip_in(attacker_net),
                        user_agent="python-requests/2.31",
                    )
                    at += timedelta(seconds=rng.uniform(5, 40))
            elif attack.variant == "credential stuffing":
                ip = self.ip_in(attacker_net)
                tried = rng.sample(others, min(len(others), rng.randint(12, 25)))
                for other in tried:
                    for _ in range(rng.randint(1, 2)):
                        self.add(
                            "login_failed",
                            other.user_id,
                            at,
                            index,
                            "stuffing",
                            ip=ip,
                            user_agent="python-requests/2.31",
                        )
                        at += timedelta(seconds=rng.uniform(2, 20))
                self.add(
                    "login_failed",
                    habit.user_id,
                    at,
                    index,
                    "stuffing",
                    ip=ip,
                    user_agent="python-requests/2.31",
                )
                at += timedelta(seconds=30)
            abroad = rng.random() < 0.65
            if abroad:
                city = rng.choice([c for c in CITIES if c[1] != habit.city[1]])
                place = (city[1], city[2], city[3])
            else:  # a proxy in the victim's own country
                place = (habit.city[1], habit.latitude + 1.0, habit.longitude + 1.0)
            at += timedelta(minutes=rng.uniform(1, 20))
            self.login(
                habit,
                at,
                device=f"attacker-{index}",
                network=attacker_net,
                place=place,
                attack=index,
                role="attacker login",
            )
            at += timedelta(minutes=rng.uniform(1, 10))
            if rng.random() < 0.85:
                change = rng.choice(["password_changed", "two_factor_changed"])
                self.add(change, habit.user_id, at, index, "security change")
                at += timedelta(minutes=rng.uniform(1, 5))
                if rng.random() < 0.3:
                    self.add("email_changed", habit.user_id, at, index, "security change")
                    at += timedelta(minutes=1)
            address = self.address(asset, network)
            self.add(
                "withdrawal_address_added",
                habit.user_id,
                at,
                index,
                "new address",
                asset=asset,
                network=network,
                address=address,
            )
            at += timedelta(minutes=rng.uniform(1, 5))
            amount = habit.medians[asset] * (
                rng.uniform(1.5, 2.5) if rng.random() < 0.2 else rng.uniform(6, 40)
            )
            attack.payoff = self.withdraw(
                habit, at, asset, network, address, amount, index, "large withdrawal"
            )
        elif kind == "fraud_burst":
            attack.variant = "to a new address"
            address = self.address(asset, network)
            at = start
            self.login(habit, at, attack=index, role="login")
            at += timedelta(minutes=2)
            self.add(
                "withdrawal_address_added",
                habit.user_id,
                at,
                index,
                "new address",
                asset=asset,
                network=network,
                address=address,
            )
            for _number in range(rng.randint(5, 10)):
                at += timedelta(minutes=rng.uniform(0.5, 4))
                attack.payoff = self.withdraw(
                    habit,
                    at,
                    asset,
                    network,
                    address,
                    self.amount(habit, asset, 0.4),
                    index,
                    "withdrawal",
                )
        elif kind in ("sanctioned", "scam"):
            choices = self.lists[kind]
            listed_asset, address = rng.choice(choices)
            # withdraw the asset and network the listed address belongs to
            asset, network = {
                "ETH": ("ETH", "ETH"),
                "USDT": ("USDT", "ETH"),
                "TRX": ("USDT", "TRX"),
                "XBT": ("BTC", "BTC"),
            }[listed_asset]
            if asset not in habit.medians:
                habit.medians[asset] = ASSET_MEDIAN[asset]
            attack.variant = "address added, then withdrawal"
            at = start
            self.login(habit, at, attack=index, role="login")
            at += timedelta(minutes=2)
            if rng.random() < 0.7:
                self.add(
                    "withdrawal_address_added",
                    habit.user_id,
                    at,
                    index,
                    "listed address",
                    asset=asset,
                    network=network,
                    address=address,
                )
                at += timedelta(minutes=rng.uniform(1, 10))
            else:
                attack.variant = "withdrawal only"
            attack.payoff = self.withdraw(
                habit,
                at,
                asset,
                network,
                address,
                self.amount(habit, asset, 0.5),
                index,
                "withdrawal",
            )
        elif kind == "trading_spike":
            attack.variant = "20-60x the hourly volume"
            at = start
            self.login(habit, at, attack=index, role="login")
            target = habit.trade_volume * rng.uniform(20, 60)
            count = rng.randint(6, 20)
            for _number in range(count):
                at += timedelta(minutes=rng.uniform(0.5, 3))
                attack.payoff = self.add(
                    "trade",
                    habit.user_id,
                    at,
                    index,
                    "spike trade",
                    asset=habit.trade_asset,
                    amount=f"{target / count:.8f}",
                )

    def generate(self, counts: dict[str, int]) -> Stream:
        habits = [self.habit(number) for number in range(1, self.customers + 1)]
        for habit in habits:
            self.normal_life(habit)
        pool = list(habits)
        self.rng.shuffle(pool)
        victims: dict[str, list[Habit]] = {}
        for kind in ATTACK_KINDS:
            wanted = counts[kind]
            fitting = [h for h in pool if kind != "trading_spike" or h.trade_asset]
            victims[kind] = fitting[:wanted]
            taken = {h.user_id for h in victims[kind]}
            pool = [h for h in pool if h.user_id not in taken]
        bystanders = pool  # never attacked: the stuffing sweeps try these
        for kind in ATTACK_KINDS:
            for habit in victims[kind]:
                self.attack(kind, habit, bystanders)
        for row in self.events:
            row["occurred_at"] = min(row["occurred_at"], self.end)
        self.events.sort(key=lambda row: (row["occurred_at"], row["event_id"]))
        for row in self.events:
            row["occurred_at"] = row["occurred_at"].isoformat()
        return Stream(
            self.events, self.labels, self.attacks, self.customers, self.days, self.oddities
        )


def sample_lists() -> dict[str, list[tuple[str, str]]]:
    """(asset, address) of the packaged OFAC and scam samples."""
    lists: dict[str, list[tuple[str, str]]] = {"sanctioned": [], "scam": []}
    for path in sorted(PACKAGED.glob("*_addresses_*.txt")):
        kind = "sanctioned" if path.name.startswith("sanctioned") else "scam"
        asset = path.stem.rsplit("_", 1)[1]
        for entry in parse_list_file(path.name, path.read_bytes()):
            original = _original_spelling(path, entry.address)
            if asset == "XBT" and not original.startswith("bc1"):
                continue
            lists[kind].append((asset, original))
    return lists


def _original_spelling(path: Path, normalised: str) -> str:
    for line in path.read_text().splitlines():
        value = line.split(",", 1)[0].strip()
        if value.lower() == normalised.lower():
            return value
    return normalised


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def generate(customers: int, days: int, seed: int) -> Stream:
    attacks_per_thousand = {
        "takeover": 20,
        "fraud_burst": 10,
        "sanctioned": 8,
        "scam": 8,
        "trading_spike": 10,
    }
    counts = {k: max(2, round(v * customers / 1000)) for k, v in attacks_per_thousand.items()}
    return Generator(customers, days, seed).generate(counts)


# --- running it through Kefu ---------------------------------------------------------------

# Actions kefu.risk.cases calls on the exchange adapter that the demo exchange may lack.
RISK_ADAPTER_METHODS = ("hold_withdrawal", "lock_account", "require_step_up")


class _NotFound:
    """An adapter method the demo exchange lacks, answering as the demo answers for a customer
    it does not know (every customer of this benchmark)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, user_id: str, *args: object, **kwargs: object) -> ActionResult:
        raise ExchangeNotFound()


def install_adapter() -> list[str]:
    """The demo exchange (in the database, no network), with the methods it lacks filled in;
    returns their names, which the report shows."""
    adapter = DemoExchange()
    missing = [name for name in RISK_ADAPTER_METHODS if not hasattr(adapter, name)]
    for name in missing:
        setattr(adapter, name, _NotFound(name))
    use_exchange(adapter)
    return missing


def run_stream(stream: Stream, batch: int) -> dict[str, Any]:
    """Ingest the stream on this process's database (fresh), then read what Kefu stored."""
    call_command("migrate", verbosity=0)
    load_sample_lists()
    missing = install_adapter()
    durations: list[float] = []
    batch_of: dict[str, int] = {}
    rejected = 0
    for number, start in enumerate(range(0, len(stream.events), batch)):
        rows = stream.events[start : start + batch]
        now = datetime.fromisoformat(rows[-1]["occurred_at"])
        began = time.perf_counter()
        report = ingest_events(list(rows), source=EventSource.STREAM, now=now)
        durations.append(time.perf_counter() - began)
        rejected += len(report.rejected)
        for row in rows:
            batch_of[row["event_id"]] = number
    events = len(stream.events)
    seconds = sum(durations)
    alerts = [
        (event_id, detector, severity, case_id)
        for event_id, detector, severity, case_id in Alert.objects.values_list(
            "event__event_id", "detector", "severity", "case_id"
        )
    ]
    # latency: an alert is stored at the end of its event's batch call
    latencies = [durations[batch_of[event_id]] for event_id, *_rest in alerts]
    cases = list(RiskCase.objects.values_list("pk", "user_id", "severity"))
    actions = Counter(
        f"{action} {status}"
        for action, status in RiskAction.objects.values_list("action", "status")
    )
    holds = sorted(
        RiskAction.objects.filter(action="hold_withdrawal").values_list("target", flat=True)
    )
    details = Counter(
        detail
        for detail in RiskAction.objects.filter(status="failed").values_list("detail", flat=True)
    )
    vendor = connection.vendor
    return {
        "database": vendor,
        "events": events,
        "stored": RiskEvent.objects.count(),
        "rejected": rejected,
        "batches": len(durations),
        "seconds": round(seconds, 2),
        "events_per_second": round(events / seconds, 1) if seconds else 0.0,
        "batch_ms": harness.summary_ms(durations),
        "arrival_to_alert_ms": harness.summary_ms(latencies),
        "alerts": alerts,
        "cases": cases,
        "holds": holds,
        "actions": dict(sorted(actions.items())),
        "failed_action_details": dict(details.most_common(5)),
        "adapter_methods_missing": missing,
    }


# --- the fixed-threshold rule set ------------------------------------------------------------


def rule_set(stream: Stream) -> list[tuple[str, str]]:
    """(event id, rule) for every event the simple rules alert on."""
    listed = {address.lower() for entries in stream_lists().values() for _a, address in entries}
    countries: dict[str, set[str]] = defaultdict(set)
    failed: dict[str, deque[datetime]] = defaultdict(deque)
    in_burst: dict[str, bool] = defaultdict(bool)
    found: list[tuple[str, str]] = []
    window = timedelta(minutes=10)
    for row in stream.events:
        kind, user = row["kind"], row["user_id"]
        at = datetime.fromisoformat(row["occurred_at"])
        if kind == "withdrawal_requested":
            usd = float(row["amount"]) * PRICES[row["asset"]]
            if usd > RULE_WITHDRAWAL_USD:
                found.append((row["event_id"], "withdrawal > 10,000 USDT"))
        is_screened = kind in ("withdrawal_requested", "withdrawal_address_added")
        if is_screened and row["address"].lower() in listed:
            found.append((row["event_id"], "listed address"))
        if kind == "login_succeeded":
            seen = countries[user]
            if seen and row["country"] not in seen:
                found.append((row["event_id"], "new country"))
            seen.add(row["country"])
        if kind == "login_failed":
            times = failed[user]
            times.append(at)
            while times[0] <= at - window:
                times.popleft()
            reached = len(times) >= 5
            if reached and not in_burst[user]:
                found.append((row["event_id"], ">= 5 failed logins in 10 min"))
            in_burst[user] = reached
    return found


_LISTS: dict[str, list[tuple[str, str]]] = {}


def stream_lists() -> dict[str, list[tuple[str, str]]]:
    if not _LISTS:
        _LISTS.update(sample_lists())
    return _LISTS


# --- scoring against the ground truth --------------------------------------------------------


def score(
    stream: Stream, alerts: list[tuple[str, str]], *, warmup: int, batch: int = 0
) -> dict[str, Any]:
    """Detection per attack type and false alerts, for (event id, detector or rule) alerts.

    False alerts count from the end of the ``warmup`` days (before it, every customer's second
    device or network is new to Kefu, which has no history from before the stream); ``batch``:
    also tell whether the first alert was stored before the payoff event arrived."""
    order = {row["event_id"]: index for index, row in enumerate(stream.events)}
    time_of = {row["event_id"]: row["occurred_at"] for row in stream.events}
    user_of = {row["event_id"]: row["user_id"] for row in stream.events}
    measured_from = (START + timedelta(days=warmup)).isoformat()
    by_attack: dict[int, list[tuple[str, str]]] = defaultdict(list)
    benign: Counter[str] = Counter()
    in_warmup: Counter[str] = Counter()
    aftermath: Counter[str] = Counter()
    # an attacked customer's own events in the 48 hours after the attack began (their next login
    # after the attacker's, say): alerts there are the attack's doing, counted apart
    attacked_since = {
        a.user_id: (a.start.isoformat(), (a.start + AFTERMATH).isoformat()) for a in stream.attacks
    }
    benign_users: set[str] = set()
    for event_id, name in alerts:
        label = stream.labels[event_id]
        if label.attack >= 0:
            by_attack[label.attack].append((event_id, name))
        elif time_of[event_id] < measured_from:
            in_warmup[name] += 1
        elif (
            user_of[event_id] in attacked_since
            and attacked_since[user_of[event_id]][0]
            <= time_of[event_id]
            < attacked_since[user_of[event_id]][1]
        ):
            aftermath[name] += 1
        else:
            benign[name] += 1
            benign_users.add(user_of[event_id])
    per_kind: dict[str, dict[str, Any]] = {}
    for kind in ATTACK_KINDS:
        attacks = [(i, a) for i, a in enumerate(stream.attacks) if a.kind == kind]
        detected = before = stored_before = 0
        fired: Counter[str] = Counter()
        minutes: list[float] = []
        variants: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for index, attack in attacks:
            payoff = order[attack.payoff]
            relevant = [
                (event_id, name)
                for event_id, name in by_attack.get(index, [])
                if order[event_id] <= payoff
            ]
            variants[attack.variant][1] += 1
            for name in {name for _e, name in relevant}:
                fired[name] += 1
            if not relevant:
                continue
            detected += 1
            variants[attack.variant][0] += 1
            first = min(relevant, key=lambda alert: order[alert[0]])
            if order[first[0]] < payoff:
                before += 1
            if batch and order[first[0]] // batch < payoff // batch:
                stored_before += 1
            start = datetime.fromisoformat(time_of[attack.events[0]])
            minutes.append((datetime.fromisoformat(time_of[first[0]]) - start).total_seconds() / 60)
        per_kind[kind] = {
            "attacks": len(attacks),
            "detected": detected,
            "rate": round(detected / len(attacks), 3) if attacks else 0.0,
            "before_payoff": before,
            "stored_before_payoff_arrived": stored_before if batch else None,
            "minutes_to_first_alert_p50": round(harness.percentile(minutes, 0.5), 1),
            "fired": dict(fired.most_common()),
            "variants": {k: {"detected": v[0], "of": v[1]} for k, v in sorted(variants.items())},
        }
    customer_days = stream.customers * (stream.days - warmup)
    total = sum(benign.values())
    return {
        "per_attack": per_kind,
        "false_alerts": total,
        "false_alerts_per_1000_customer_days": round(1000 * total / customer_days, 2),
        "false_alerts_by_detector": dict(benign.most_common()),
        "false_alerts_by_detector_per_1000_customer_days": {
            name: round(1000 * count / customer_days, 2) for name, count in benign.most_common()
        },
        "customers_with_false_alerts": len(benign_users),
        "benign_alerts_in_warmup": dict(in_warmup.most_common()),
        "alerts_in_attack_aftermath": dict(aftermath.most_common()),
    }


def takeover_baselines(stream: Stream) -> dict[str, int]:
    """How many takeover victims had a withdrawal baseline (5 earlier withdrawals in the
    asset) when the large withdrawal came."""
    payoffs = {a.payoff: a for a in stream.attacks if a.kind == "takeover"}
    history: Counter[tuple[str, str]] = Counter()
    with_baseline = 0
    for row in stream.events:
        if row["kind"] != "withdrawal_requested":
            continue
        key = (row["user_id"], row["asset"])
        if row["event_id"] in payoffs and history[key] >= 5:
            with_baseline += 1
        history[key] += 1
    return {"victims": len(payoffs), "with_baseline": with_baseline}


def kefu_figures(stream: Stream, run: dict[str, Any], *, warmup: int, batch: int) -> dict[str, Any]:
    alerts = [(event_id, detector) for event_id, detector, *_r in run["alerts"]]
    figures = score(stream, alerts, warmup=warmup, batch=batch)
    measured_from = (START + timedelta(days=warmup)).isoformat()
    time_of = {row["event_id"]: row["occurred_at"] for row in stream.events}
    attack_users = {a.user_id for a in stream.attacks}
    alerts_by_case: dict[int, list[str]] = defaultdict(list)
    for event_id, _detector, _severity, case_id in run["alerts"]:
        if case_id is not None:
            alerts_by_case[case_id].append(event_id)
    # a case is benign when none of its alerts is on an attack's event; counted when its
    # first alert came after the warm-up
    benign_cases = [
        pk
        for pk, _user, _severity in run["cases"]
        if all(stream.labels[e].attack < 0 for e in alerts_by_case.get(pk, []))
        and min((time_of[e] for e in alerts_by_case.get(pk, [])), default="") >= measured_from
    ]
    severities = Counter(severity for *_r, severity, _c in run["alerts"])
    detector_of: dict[int, set[str]] = defaultdict(set)
    for _event_id, detector, _severity, case_id in run["alerts"]:
        if case_id is not None:
            detector_of[case_id].add(detector)
    benign_case_detectors = Counter(d for pk in benign_cases for d in detector_of[pk])
    held = set(run["holds"])
    for kind in ATTACK_KINDS:
        payoffs = [a.payoff for a in stream.attacks if a.kind == kind]
        figures["per_attack"][kind]["payoff_hold_attempted"] = (
            sum(f"w-{p}" in held for p in payoffs) if kind != "trading_spike" else None
        )
    figures.update(
        {
            "alerts": len(alerts),
            "alerts_by_severity": {str(k): v for k, v in sorted(severities.items())},
            "cases": len(run["cases"]),
            "benign_cases": len(benign_cases),
            "benign_cases_per_1000_customer_days": round(
                1000 * len(benign_cases) / (stream.customers * (stream.days - warmup)), 2
            ),
            "benign_cases_by_detector": dict(benign_case_detectors.most_common()),
            "benign_cases_on_attacked_customers": sum(
                1
                for pk, user, _s in run["cases"]
                if pk in set(benign_cases) and user in attack_users
            ),
        }
    )
    return figures


# --- PostgreSQL in a child process -----------------------------------------------------------


def run_in_child(arguments: argparse.Namespace, database_url: str) -> dict[str, Any]:
    """Run the same stream in a new process (the database is chosen at start-up)."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["KEFU_DATA_DIR"] = tempfile.mkdtemp(prefix="kefu-bench-risk-")
    environment["DATABASE_URL"] = database_url
    command = [sys.executable, str(Path(__file__).resolve()), "--stream-only"]
    command += ["--customers", str(arguments.customers), "--days", str(arguments.days)]
    command += ["--batch", str(arguments.batch), "--seed", str(arguments.seed)]
    done = subprocess.run(  # noqa: S603 - this script, with this interpreter
        command, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"stream run failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- report ----------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" + "---:|" * (len(headers) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def print_report(results: dict[str, Any]) -> None:
    kefu, rules = results["kefu"], results["rules"]
    print(
        f"\n{results['events']:,} events, {results['customers']:,} customers, "
        f"{results['days']} days, seed {results['seed']}, batches of {results['batch']}"
    )
    print("event kinds: " + ", ".join(f"{k} {v:,}" for k, v in results["event_kinds"].items()))
    print(
        "benign oddities: " + ", ".join(f"{k} {v}" for k, v in results["benign_oddities"].items())
    )
    print()
    rows = []
    for kind in ATTACK_KINDS:
        k, r = kefu["per_attack"][kind], rules["per_attack"][kind]
        rows.append(
            [
                f"{kind} ({k['attacks']})",
                f"{k['detected']} ({k['rate']:.0%})",
                f"{k['before_payoff']} / {k['stored_before_payoff_arrived']}",
                f"{k['minutes_to_first_alert_p50']}",
                str(k["payoff_hold_attempted"] if k["payoff_hold_attempted"] is not None else "-"),
                ", ".join(f"{n} {c}" for n, c in k["fired"].items()),
                f"{r['detected']} ({r['rate']:.0%})",
                f"{r['before_payoff']}",
                ", ".join(f"{n} {c}" for n, c in r["fired"].items()),
            ]
        )
    print(
        "payoff: the withdrawal (takeover, sanctioned, scam), the burst's last event (fraud "
        "burst, trading spike); before payoff: on an earlier event / stored before it arrived"
    )
    print(
        table(
            [
                "attack (n)",
                "Kefu detected",
                "before payoff",
                "min to 1st alert p50",
                "hold of payoff attempted",
                "Kefu detectors fired (attacks)",
                "rules detected",
                "rules before payoff",
                "rules fired",
            ],
            rows,
        )
    )
    print()
    variants = []
    for kind in ("takeover", "sanctioned", "scam"):
        for name, k in kefu["per_attack"][kind]["variants"].items():
            r = rules["per_attack"][kind]["variants"][name]
            variants.append(
                [f"{kind}: {name}", f"{k['detected']} / {k['of']}", f"{r['detected']} / {r['of']}"]
            )
    print(table(["variant", "Kefu", "rules"], variants))
    print()
    names = sorted(set(kefu["false_alerts_by_detector"]) | set(rules["false_alerts_by_detector"]))
    per_day = kefu["false_alerts_by_detector_per_1000_customer_days"]
    rule_per_day = rules["false_alerts_by_detector_per_1000_customer_days"]
    rows = [
        [
            name,
            str(kefu["false_alerts_by_detector"].get(name, "")),
            str(per_day.get(name, "")),
            str(rules["false_alerts_by_detector"].get(name, "")),
            str(rule_per_day.get(name, "")),
        ]
        for name in names
    ]
    rows.append(
        [
            "**all**",
            str(kefu["false_alerts"]),
            str(kefu["false_alerts_per_1000_customer_days"]),
            str(rules["false_alerts"]),
            str(rules["false_alerts_per_1000_customer_days"]),
        ]
    )
    print(
        table(
            [
                "false alerts by detector / rule",
                "Kefu",
                "per 1,000 customer-days",
                "rules",
                "per 1,000 customer-days",
            ],
            rows,
        )
    )
    print(
        f"\nKefu: {kefu['alerts']} alerts (by severity {kefu['alerts_by_severity']}), "
        f"{kefu['cases']} cases, {kefu['benign_cases']} of them benign "
        f"({kefu['benign_cases_per_1000_customer_days']} per 1,000 customer-days); "
        f"customers with a false alert: Kefu {kefu['customers_with_false_alerts']}, "
        f"rules {rules['customers_with_false_alerts']}; false alerts counted after "
        f"{results['warmup_days']} warm-up days (before: Kefu "
        f"{kefu['benign_alerts_in_warmup']} on the history); on victims' own events in the 48 h "
        f"after an attack began (not counted as false): Kefu {kefu['alerts_in_attack_aftermath']}, "
        f"rules {rules['alerts_in_attack_aftermath']}; "
        "takeover victims with a withdrawal baseline: "
        f"{results['takeover_victims_with_baseline']}; detectors in the benign cases: "
        f"{kefu['benign_cases_by_detector']}"
    )
    print()
    rows = []
    for run in results["runs"]:
        rows.append(
            [
                run["database"],
                f"{run['events']:,}",
                f"{run['seconds']}",
                f"{run['events_per_second']}",
                f"{run['batch_ms']['p50_ms']} / {run['batch_ms']['p99_ms']}",
                f"{run['arrival_to_alert_ms']['p50_ms']} / {run['arrival_to_alert_ms']['p99_ms']}",
            ]
        )
    print(
        table(
            [
                "database",
                "events",
                "seconds",
                "events/s (ingested and scored)",
                "batch p50 / p99 ms",
                "arrival to alert stored p50 / p99 ms",
            ],
            rows,
        )
    )
    for run in results["runs"]:
        print(f"actions attempted on {run['database']}: {run['actions']}")
        print(f"  failed because: {run['failed_action_details']}")
    print(f"elapsed: {results['elapsed_s']}")


def cleanup() -> None:
    """Remove this process's temporary data directory (its SQLite database), if the benchmark
    made it."""
    data = Path(os.environ["KEFU_DATA_DIR"])
    if data.name.startswith("kefu-bench-risk-") and data.parent == Path(tempfile.gettempdir()):
        connection.close()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=0, help="days before false alerts count")
    parser.add_argument("--postgres", default="", help="also run the stream on PostgreSQL")
    parser.add_argument("--skip-throughput", action="store_true", help="no PostgreSQL run")
    parser.add_argument("--stream-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    elapsed: dict[str, float] = {}
    stream = generate(arguments.customers, arguments.days, arguments.seed)
    elapsed["generate"] = round(time.perf_counter() - started, 1)
    if arguments.stream_only:
        print(json.dumps(run_stream(stream, arguments.batch)))
        cleanup()
        return
    say(f"{len(stream.events):,} events generated; ingesting on SQLite")
    began = time.perf_counter()
    runs = [run_stream(stream, arguments.batch)]
    elapsed["stream_sqlite"] = round(time.perf_counter() - began, 1)
    if arguments.postgres and not arguments.skip_throughput:
        say("the same stream on PostgreSQL")
        began = time.perf_counter()
        with harness.fresh_postgres(arguments.postgres, "bench_risk") as url:
            runs.append(run_in_child(arguments, url))
        elapsed["stream_postgresql"] = round(time.perf_counter() - began, 1)
    kefu = kefu_figures(stream, runs[0], warmup=arguments.warmup, batch=arguments.batch)
    alert_sets = [{(a[0], a[1]) for a in run["alerts"]} for run in runs]
    rules = score(stream, rule_set(stream), warmup=arguments.warmup)
    elapsed["total"] = round(time.perf_counter() - started, 1)
    results: dict[str, Any] = {
        "customers": stream.customers,
        "days": stream.days,
        "seed": arguments.seed,
        "batch": arguments.batch,
        "events": len(stream.events),
        "event_kinds": dict(Counter(row["kind"] for row in stream.events).most_common()),
        "benign_oddities": dict(stream.benign_oddities.most_common()),
        "attacks": {kind: sum(a.kind == kind for a in stream.attacks) for kind in ATTACK_KINDS},
        "warmup_days": arguments.warmup,
        "takeover_victims_with_baseline": takeover_baselines(stream),
        "kefu": kefu,
        "rules": rules,
        "same_alerts_on_every_database": all(s == alert_sets[0] for s in alert_sets),
        "runs": [
            {k: v for k, v in run.items() if k not in ("alerts", "cases", "holds")} for run in runs
        ],
        "elapsed_s": elapsed,
    }
    print_report(results)
    print(json.dumps({"benchmark": "risk", "machine": harness.machine(), **results}))
    cleanup()


if __name__ == "__main__":
    main()
