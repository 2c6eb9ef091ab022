"""Routing benchmark: a simulated day of support traffic through Kefu's real routing code, next
to plain round robin on the same traffic; and how many routing decisions per second it makes.

The day (24 h, UTC+8) is generated from ``--seed``: Poisson arrivals on a daily curve (quiet
night, busy afternoon and evening) plus bursts (a market crash: 5-10x the arrivals for 20-40
minutes, mostly withdrawals, deposits, trading outages and account takeovers with "hacked" and
"stolen" in them), 60% Chinese and 40% English, chats (widget) and tickets (form, email), some
VIP customers, some returning ones. Agents work three overlapping 9-hour shifts in teams (one
per queue), speak Chinese, English or both, and have a seniority and capacities (chats 3-4,
tickets 10-20). Every conversation has a handling time drawn in advance.

Kefu: each conversation is started and understood through the services (the analysis the
language model would store is given), then ``route_conversation(now=arrival)``; the sweep runs
every ``--tick`` simulated seconds (``refresh_priorities``, ``assign_waiting``; ``check_slas``
every ``--sla-every``); shifts start with ``set_presence(online)``, end with ``away`` (the agent
finishes their work, then goes ``offline``); the agent's first reply is posted 60 s after the
assignment and the conversation is resolved after its handling time. Simulated time is passed
as ``now=``; nothing sleeps.

Round robin, on the same arrivals, agents, shifts and handling times, with the same timing
(an attempt on arrival, then a sweep every tick): each waiting conversation in arrival order
(no priority) goes to the next agent in the rotation who is on shift and has a free slot of its
kind. Two variants: within the team of the conversation's queue (skills and language ignored),
and any agent at all (teams ignored too).

Wait: from arrival to assignment. First response: assignment + 60 s, against the target of the
priority the conversation arrived with (urgent 5 min, high 15 min, normal 60 min, low 4 h; the
same SlaPolicy rows are in Kefu). Utilisation: time with at least one conversation / time on
shift; chat occupancy: chat-slot time used / chat slots on shift. Fairness: conversations
handled per agent (Jain's index, coefficient of variation, max/min).

Throughput (each database fresh, the same agents online): ``route_conversation`` per call on
``--decisions`` new conversations, then ``assign_waiting`` serving the backlog that is left
(slots freed between calls, untimed). SQLite always; PostgreSQL with ``--postgres URL`` (a
database of that name is created and dropped).

    python bench/routing.py [--conversations 2000] [--agents 16] [--tick 30] [--seed 7]
                            [--postgres postgres://postgres@127.0.0.1:5432/bench_routing]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any, Protocol

import harness

os.environ.setdefault("KEFU_DATA_DIR", tempfile.mkdtemp(prefix="kefu-bench-routing-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
os.environ["KEFU_NLU"] = "false"
os.environ["KEFU_BOT"] = "false"
os.environ["KEFU_FAST_PASSWORD_HASHER"] = "true"  # noqa: S105 - a switch, not a password

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from kefu.accounts import services as accounts  # noqa: E402
from kefu.accounts.models import Role, User  # noqa: E402
from kefu.conversations import services as conversations  # noqa: E402
from kefu.conversations.models import (  # noqa: E402
    Channel,
    Conversation,
    Customer,
    Priority,
    Status,
)
from kefu.conversations.services.understanding import Pending, analyse_waiting  # noqa: E402
from kefu.lib.taxonomy import DEFAULT_QUEUE, intents, queues  # noqa: E402
from kefu.routing import priority as priorities  # noqa: E402
from kefu.routing import services as routing  # noqa: E402
from kefu.routing import sla  # noqa: E402
from kefu.routing.models import ConversationRouting, Presence, SlaPolicy  # noqa: E402
from kefu.routing.policies import save_sla_policy, update_agent_profile  # noqa: E402

HOUR = 3600.0
DAY = 24 * HOUR
# The simulated day, midnight in UTC+8; night shifts run on to 08:00 the next morning.
DAY_START = datetime(2026, 12, 3, tzinfo=dt_timezone(timedelta(hours=8)))
HORIZON = 32 * HOUR
RESPONSE_DELAY = 60.0
PRIORITY_NAMES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
# First response, next response, resolution targets (seconds) per priority.
TARGETS = {
    Priority.URGENT: (5 * 60, 10 * 60, 4 * 3600),
    Priority.HIGH: (15 * 60, 30 * 60, 8 * 3600),
    Priority.NORMAL: (60 * 60, 2 * 3600, 24 * 3600),
    Priority.LOW: (4 * 3600, 8 * 3600, 72 * 3600),
}
# Arrivals per local hour (UTC+8), relative: quiet night, busy afternoon and evening.
HOURLY = [0.35, 0.25, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.0, 1.1, 1.2]
HOURLY += [1.2, 1.3, 1.5, 1.6, 1.6, 1.5, 1.5, 1.6, 1.7, 1.6, 1.2, 0.7]
# Where the bursts may start (local hours) and how strong they are.
BURST_WINDOWS = [(9.5, 12.0), (14.0, 17.5), (19.5, 22.5)]
INTENT_WEIGHTS = {
    "withdrawal.pending": 12,
    "deposit.not_credited": 10,
    "withdrawal.failed": 4,
    "deposit.wrong_network_or_memo": 3,
    "deposit.how_to": 4,
    "withdrawal.limits_fees": 4,
    "security.2fa_reset": 5,
    "security.password_reset": 3,
    "security.account_locked": 3,
    "security.unauthorized_access": 1,
    "security.phishing_scam": 1,
    "security.settings": 1,
    "trade.order_issue": 4,
    "trade.how_to": 2,
    "trade.fees": 2,
    "trade.futures_liquidation": 2,
    "trade.system_issue": 1,
    "kyc.status": 7,
    "kyc.requirements": 3,
    "api.key_management": 1,
    "api.errors": 1,
    "fiat.deposit_issue": 3,
    "fiat.withdrawal_issue": 2,
    "p2p.dispute": 3,
    "earn.staking": 2,
    "product.listing_airdrop": 2,
    "product.promotion_rewards": 2,
    "account.profile_change": 2,
    "account.close": 1,
    "account.statement": 1,
    "feedback.complaint": 1,
    "feedback.suggestion": 1,
    "chat.human_agent": 3,
    "chat.greeting": 1,
    "out_of_scope": 1,
}
BURST_INTENT_WEIGHTS = {
    "withdrawal.pending": 22,
    "withdrawal.failed": 14,
    "deposit.not_credited": 14,
    "security.unauthorized_access": 10,
    "security.account_locked": 4,
    "trade.system_issue": 14,
    "trade.futures_liquidation": 14,
    "trade.order_issue": 6,
    "chat.human_agent": 2,
}
# Intents that take long to handle (investigations), and quick ones.
LONG_INTENTS = {
    "withdrawal.failed",
    "deposit.wrong_network_or_memo",
    "security.unauthorized_access",
    "security.phishing_scam",
    "security.account_locked",
    "p2p.dispute",
    "trade.futures_liquidation",
    "trade.system_issue",
    "fiat.deposit_issue",
    "fiat.withdrawal_issue",
    "feedback.complaint",
    "account.close",
}
QUICK_INTENTS = {
    "deposit.how_to",
    "trade.how_to",
    "trade.fees",
    "withdrawal.limits_fees",
    "kyc.requirements",
    "chat.greeting",
    "out_of_scope",
    "feedback.suggestion",
}
MONEY_INTENTS = {
    "withdrawal.pending",
    "withdrawal.failed",
    "deposit.not_credited",
    "deposit.wrong_network_or_memo",
    "fiat.deposit_issue",
    "fiat.withdrawal_issue",
    "p2p.dispute",
    "security.unauthorized_access",
}
SHIFTS = {
    # name: on-shift windows in seconds from the day's midnight (UTC+8)
    "morning": [(7 * HOUR, 16 * HOUR)],
    "evening": [(15 * HOUR, 24 * HOUR)],
    "night": [(0.0, 8 * HOUR), (23 * HOUR, 32 * HOUR)],
}
PASSWORD = "bench-routing-password"  # noqa: S105 - throwaway accounts in a throwaway database


# --- the generated day ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSpec:
    external_id: str
    language: str
    vip_tier: int
    security_level: str


@dataclass
class Arrival:
    index: int
    at: float
    customer: int
    language: str
    channel: str
    intent: str  # the conversation's intent once understood ("" when out of scope)
    analysis: dict[str, Any]
    handle: float
    burst: bool
    priority: int = Priority.NORMAL

    @property
    def chat(self) -> bool:
        return routing.is_chat(self.channel)

    @property
    def queue(self) -> str:
        intent = intents().get(self.intent)
        return intent.queue if intent else DEFAULT_QUEUE


@dataclass(frozen=True)
class Agent:
    index: int
    name: str
    shift: str
    teams: tuple[str, ...]
    skills: dict[str, int]
    languages: tuple[str, ...]
    seniority: int
    chat_capacity: int
    ticket_capacity: int

    @property
    def windows(self) -> list[tuple[float, float]]:
        return SHIFTS[self.shift]

    def on_shift_seconds(self) -> float:
        return sum(min(end, DAY) - start for start, end in self.windows if start < DAY)


@dataclass
class Day:
    arrivals: list[Arrival]
    customers: list[CustomerSpec]
    bursts: list[tuple[float, float, float]]  # start, end, multiplier


def weighted(rng: random.Random, weights: dict[str, float] | dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_day(total: int, seed: int, burst_count: int) -> Day:
    """``total`` arrivals of one day: Poisson arrivals given their number are independent draws
    from the normalised intensity (daily curve, plus each burst's extra)."""
    rng = random.Random(seed)
    bursts = []
    for low, high in BURST_WINDOWS[:burst_count]:
        start = rng.uniform(low, high) * HOUR
        bursts.append((start, start + rng.uniform(20, 40) * 60, rng.uniform(5, 10)))
    base_mass = sum(HOURLY) * HOUR
    extra = [
        (multiplier - 1) * (end - start) * HOURLY[int(start // HOUR) % 24]
        for start, end, multiplier in bursts
    ]
    customer_count = max(1, total)
    customers = [
        CustomerSpec(
            external_id=f"bench-customer-{n}",
            language="zh" if rng.random() < 0.6 else "en",
            vip_tier=rng.choices([0, 1, 2, 3, 9], weights=[85, 8, 4, 2, 1])[0],
            security_level=rng.choices(["normal", "elevated", "high"], weights=[96, 3, 1])[0],
        )
        for n in range(customer_count)
    ]
    drafts: list[tuple[float, bool]] = []
    for _ in range(total):
        pick = rng.uniform(0, base_mass + sum(extra))
        if pick < base_mass:
            hour = rng.choices(range(24), weights=HOURLY)[0]
            drafts.append((hour * HOUR + rng.uniform(0, HOUR), False))
            continue
        pick -= base_mass
        for (start, end, _multiplier), mass in zip(bursts, extra, strict=True):
            if pick < mass:
                drafts.append((rng.uniform(start, end), True))
                break
            pick -= mass
        else:
            start, end, _multiplier = bursts[-1]
            drafts.append((rng.uniform(start, end), True))
    drafts.sort()
    arrivals = []
    seen_customers: list[int] = []
    for index, (at, burst) in enumerate(drafts):
        # Most customers write once a day; some come back (affinity, repeated contact).
        if seen_customers and (rng.random() < 0.12 or len(seen_customers) == customer_count):
            customer = rng.choice(seen_customers)
        else:
            customer = len(seen_customers)
        spec = customers[customer]
        intent = weighted(rng, BURST_INTENT_WEIGHTS if burst else INTENT_WEIGHTS)
        channel = rng.choices(
            [Channel.WIDGET.value, Channel.FORM.value, Channel.EMAIL.value],
            weights=[75, 15, 10] if burst else [62, 23, 15],
        )[0]
        returning = customer < len(seen_customers)
        analysis = _analysis(rng, intent, spec.language, burst, returning)
        if not returning:
            seen_customers.append(customer)
        median = 6.0 if intent in QUICK_INTENTS else 16.0 if intent in LONG_INTENTS else 10.0
        minutes = min(60.0, max(3.0, rng.lognormvariate(math.log(median), 0.5)))
        if not routing.is_chat(channel):
            minutes = min(180.0, max(8.0, minutes * rng.uniform(2.0, 4.0)))
        arrival = Arrival(
            index=index,
            at=at,
            customer=customer,
            language=spec.language,
            channel=channel,
            intent="" if intent == "out_of_scope" else intent,
            analysis=analysis,
            handle=minutes * 60,
            burst=burst,
        )
        # The priority the conversation arrives with, from the routing code's own rules.
        arrival.priority = int(
            priorities.compute_priority(
                priorities.facts_from(
                    intent=arrival.intent,
                    analyses=[analysis],
                    vip_tier=spec.vip_tier,
                    security_level=spec.security_level,
                ),
                DAY_START,
            ).priority
        )
        arrivals.append(arrival)
    return Day(arrivals, customers, bursts)


def _analysis(
    rng: random.Random, intent: str, language: str, burst: bool, returning: bool
) -> dict[str, Any]:
    """What the language model would store for the first message."""
    signals: list[str] = []
    security = intent.startswith("security.")
    money = intent in MONEY_INTENTS
    if (security or money) and rng.random() < (0.12 if burst else 0.02):
        signals.append("hacked")
    if intent == "security.unauthorized_access" and rng.random() < 0.4:
        signals.append("stolen")
    if money and rng.random() < (0.08 if burst else 0.01):
        signals.append("stolen")
    if intent == "security.phishing_scam" or (intent == "p2p.dispute" and rng.random() < 0.3):
        signals.append("scam")
    if rng.random() < (0.2 if burst else 0.05):
        signals.append("exclamations")
    if rng.random() < 0.03:
        signals.append("all_caps")
    if returning:
        signals.append("repeated_contact")
    negative = rng.random() < (0.35 if burst else 0.12)
    amount = None
    if money and rng.random() < 0.4:
        currency = rng.choices(["USDT", "BTC", "ETH", "CNY"], weights=[60, 15, 15, 10])[0]
        value = rng.lognormvariate(math.log(3000), 1.4)
        if currency in ("BTC", "ETH"):
            value /= 40_000 if currency == "BTC" else 2_500
        amount = {"value": f"{value:.4f}", "currency": currency}
    return {
        "language": language,
        "intent": intent,
        "confidence": 0.9,
        "top": [{"intent": intent, "confidence": 0.9}],
        "out_of_scope": intent == "out_of_scope",
        "sentiment": "negative" if negative else "neutral",
        "sentiment_score": round(rng.uniform(0.6, 0.95), 2) if negative else 0.5,
        "urgency": "high" if {"hacked", "stolen"} & set(signals) else "normal",
        "signals": sorted(set(signals)),
        "amount": amount,
        "model": "bench",
    }


def queue_shares(day: Day) -> dict[str, float]:
    counts = dict.fromkeys(queues(), 0.0)
    for arrival in day.arrivals:
        counts[arrival.queue] += 1
    total = sum(counts.values()) or 1.0
    return {queue: count / total for queue, count in counts.items()}


def generate_agents(count: int, seed: int, shares: dict[str, float]) -> list[Agent]:
    """Agents in three shifts; on each shift every queue has two people (one when the shift
    has only one), the busiest queues more, as a staffing plan would have it."""
    rng = random.Random(seed * 1000 + 1)
    night = max(2, round(count * 0.19))
    morning = round((count - night) * 0.45)
    sizes = {"morning": morning, "evening": count - night - morning, "night": night}
    by_traffic = sorted(shares, key=lambda queue: -shares[queue])
    agents: list[Agent] = []
    for shift, size in sizes.items():
        members: list[dict[str, int]] = [{} for _ in range(size)]
        # Primary queues by traffic (largest remainder), expert there.
        quotas = {queue: shares[queue] * size for queue in by_traffic}
        seats = {queue: int(quota) for queue, quota in quotas.items()}
        for queue in sorted(by_traffic, key=lambda q: -(quotas[q] - seats[q]))[
            : size - sum(seats.values())
        ]:
            seats[queue] += 1
        slot = 0
        for queue in by_traffic:
            for _ in range(seats[queue]):
                members[slot][queue] = 3
                slot += 1
        for queue in by_traffic:
            while sum(queue in m for m in members) < min(2, size):
                spare = min(
                    (m for m in members if queue not in m), key=lambda m: (len(m), rng.random())
                )
                spare[queue] = rng.choice([1, 2])
        language_plan = ["zh", "both", "en"] + [
            rng.choices(["zh", "both", "en"], weights=[35, 45, 20])[0] for _ in range(size)
        ]
        for number, skills in enumerate(members):
            spoken = {"zh": ("zh",), "en": ("en",), "both": ("zh", "en")}[language_plan[number]]
            agents.append(
                Agent(
                    index=len(agents),
                    name=f"{shift}-{number + 1}",
                    shift=shift,
                    teams=tuple(q for q in by_traffic if q in skills),
                    skills=skills,
                    languages=spoken,
                    seniority=rng.choices([1, 2, 3, 4], weights=[30, 40, 20, 10])[0],
                    chat_capacity=rng.choice([3, 4]),
                    ticket_capacity=rng.choice([10, 15, 20]),
                )
            )
    return agents


# --- the simulation (the same for Kefu and round robin) ---------------------------------------


Assignment = tuple[int, int, float]  # arrival index, agent index, when


class Router(Protocol):
    def shift_start(self, agent: int, at: float) -> list[Assignment]: ...
    def shift_end(self, agent: int, at: float) -> None: ...
    def offline(self, agent: int, at: float) -> None: ...
    def arrive(self, arrival: Arrival) -> list[Assignment]: ...
    def respond(self, arrival: Arrival, agent: int, at: float) -> None: ...
    def resolve(self, arrival: Arrival, agent: int, at: float) -> None: ...
    def sweep(self, at: float) -> list[Assignment]: ...


@dataclass
class Outcome:
    assigned_at: dict[int, float] = field(default_factory=dict)
    agent_of: dict[int, int] = field(default_factory=dict)
    resolved_at: dict[int, float] = field(default_factory=dict)
    end: float = 0.0


# Event kinds, in the order they run at the same instant.
RESOLVE, RESPOND, SHIFT_END, SHIFT_START, ARRIVE, SWEEP = range(6)


def simulate(
    day: Day, agents: list[Agent], router: Router, tick: float, progress: Callable[[str], None]
) -> Outcome:
    outcome = Outcome()
    events: list[tuple[float, int, int, int]] = []
    for agent in agents:
        for start, end in agent.windows:
            heapq.heappush(events, (start, SHIFT_START, agent.index, 0))
            heapq.heappush(events, (end, SHIFT_END, agent.index, 0))
    for arrival in day.arrivals:
        heapq.heappush(events, (arrival.at, ARRIVE, arrival.index, 0))
    heapq.heappush(events, (tick, SWEEP, 0, 0))
    active = [0] * len(agents)
    on_shift = [False] * len(agents)
    arrived = 0
    reported = 0.0

    def take(assignments: list[Assignment]) -> None:
        for index, agent, at in assignments:
            outcome.assigned_at[index] = at
            outcome.agent_of[index] = agent
            active[agent] += 1
            heapq.heappush(events, (at + RESPONSE_DELAY, RESPOND, index, agent))
            heapq.heappush(events, (at + day.arrivals[index].handle, RESOLVE, index, agent))

    while events:
        at, kind, first, second = heapq.heappop(events)
        if at > HORIZON:
            break
        if at - reported >= 2 * HOUR:
            reported = at
            progress(
                f"  {at / HOUR:5.1f} h: {arrived} arrived, {len(outcome.assigned_at)} assigned"
            )
        if kind == ARRIVE:
            arrived += 1
            take(router.arrive(day.arrivals[first]))
        elif kind == SWEEP:
            take(router.sweep(at))
            unfinished = arrived < len(day.arrivals) or len(outcome.resolved_at) < arrived
            if unfinished:
                heapq.heappush(events, (at + tick, SWEEP, 0, 0))
        elif kind == RESPOND:
            router.respond(day.arrivals[first], second, at)
        elif kind == RESOLVE:
            router.resolve(day.arrivals[first], second, at)
            outcome.resolved_at[first] = at
            active[second] -= 1
            if not on_shift[second] and active[second] == 0:
                router.offline(second, at)
        elif kind == SHIFT_START:
            on_shift[first] = True
            take(router.shift_start(first, at))
        elif kind == SHIFT_END:
            on_shift[first] = False
            router.shift_end(first, at)
            if active[first] == 0:
                router.offline(first, at)
        outcome.end = at
    return outcome


class RoundRobin:
    """Each waiting conversation, oldest first, to the next agent in the rotation who is on shift
    with a free slot of its kind (within its queue's team when ``by_team``)."""

    def __init__(self, agents: list[Agent], *, by_team: bool) -> None:
        self.agents = agents
        self.by_team = by_team
        self.online = [False] * len(agents)
        self.chats = [0] * len(agents)
        self.tickets = [0] * len(agents)
        self.next_agent: dict[str, int] = {}
        self.backlog: list[Arrival] = []

    def _try(self, arrival: Arrival, at: float) -> Assignment | None:
        rotation = arrival.queue if self.by_team else ""
        start = self.next_agent.get(rotation, 0)
        for step in range(len(self.agents)):
            agent = self.agents[(start + step) % len(self.agents)]
            if not self.online[agent.index]:
                continue
            if self.by_team and arrival.queue not in agent.teams:
                continue
            load = self.chats if arrival.chat else self.tickets
            capacity = agent.chat_capacity if arrival.chat else agent.ticket_capacity
            if load[agent.index] >= capacity:
                continue
            load[agent.index] += 1
            self.next_agent[rotation] = agent.index + 1
            return arrival.index, agent.index, at
        return None

    def _serve(self, at: float) -> list[Assignment]:
        assigned, left = [], []
        for arrival in self.backlog:
            taken = self._try(arrival, at)
            if taken:
                assigned.append(taken)
            else:
                left.append(arrival)
        self.backlog = left
        return assigned

    def shift_start(self, agent: int, at: float) -> list[Assignment]:
        self.online[agent] = True
        return self._serve(at)

    def shift_end(self, agent: int, at: float) -> None:
        self.online[agent] = False

    def offline(self, agent: int, at: float) -> None:
        pass

    def arrive(self, arrival: Arrival) -> list[Assignment]:
        taken = self._try(arrival, arrival.at)
        if taken:
            return [taken]
        self.backlog.append(arrival)
        return []

    def respond(self, arrival: Arrival, agent: int, at: float) -> None:
        pass

    def resolve(self, arrival: Arrival, agent: int, at: float) -> None:
        (self.chats if arrival.chat else self.tickets)[agent] -= 1

    def sweep(self, at: float) -> list[Assignment]:
        return self._serve(at)


def moment(seconds: float) -> datetime:
    return DAY_START + timedelta(seconds=seconds)


def seconds_of(at: datetime) -> float:
    return (at - DAY_START).total_seconds()


@dataclass
class World:
    admin: User
    users: list[User]
    index_of_user: dict[int, int]


def build_world(agents: list[Agent]) -> World:
    """Teams, staff, routing profiles and SLA policies, through the services."""
    teams = {team.queue: team for team in accounts.ensure_teams()}
    admin = accounts.create_staff_user(username="bench-admin", password=PASSWORD, role=Role.ADMIN)
    accounts.create_staff_user(
        username="bench-supervisor",
        password=PASSWORD,
        role=Role.SUPERVISOR,
        teams=list(teams.values()),
    )
    users = []
    for agent in agents:
        user = accounts.create_staff_user(
            username=f"agent-{agent.name}",
            password=PASSWORD,
            display_name=agent.name,
            languages_spoken=list(agent.languages),
            teams=[teams[queue] for queue in agent.teams],
        )
        update_agent_profile(
            admin,
            user,
            teams=list(agent.teams),
            languages=list(agent.languages),
            seniority=agent.seniority,
            chat_capacity=agent.chat_capacity,
            ticket_capacity=agent.ticket_capacity,
            skill_levels=agent.skills,
        )
        user.refresh_from_db()
        users.append(user)
    for position, (level, (first, following, resolution)) in enumerate(TARGETS.items()):
        save_sla_policy(
            admin,
            SlaPolicy(
                name=f"{PRIORITY_NAMES[level]} priority",
                position=position,
                priority=level,
                first_response_seconds=first,
                next_response_seconds=following,
                resolution_seconds=resolution,
            ),
        )
    return World(admin, users, {user.pk: n for n, user in enumerate(users)})


class KefuRouter:
    """The real thing: services and routing functions, simulated time passed as ``now``."""

    def __init__(self, day: Day, world: World, *, sla_every: float) -> None:
        self.day = day
        self.world = world
        self.sla_every = sla_every
        self.last_sla = -math.inf
        self.customers: dict[int, Customer] = {}
        self.pk_of: dict[int, int] = {}
        self.index_of: dict[int, int] = {}
        self.waiting: set[int] = set()
        self.routed_priority: dict[int, int] = {}
        self.routed_queue: dict[int, str] = {}
        self.sla_reports: list[sla.SweepReport] = []
        self.timings: dict[str, list[float]] = {}

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.timings.setdefault(name, []).append(time.perf_counter() - began)

    def customer(self, number: int) -> Customer:
        if number not in self.customers:
            spec = self.day.customers[number]
            customer = conversations.identify_customer(
                external_id=spec.external_id, name=spec.external_id, language=spec.language
            )
            if spec.vip_tier or spec.security_level != "normal":
                customer = conversations.update_customer_profile(
                    customer, vip_tier=spec.vip_tier, security_level=spec.security_level
                )
            self.customers[number] = customer
        return self.customers[number]

    def _found(self) -> list[Assignment]:
        """Waiting conversations that got an agent (when: the routing row's ``routed_at``)."""
        if not self.waiting:
            return []
        rows = Conversation.objects.filter(
            pk__in=list(self.waiting), assignee__isnull=False
        ).values_list("pk", "assignee_id", "routing__routed_at")
        found = []
        for pk, assignee, routed_at in rows:
            if routed_at is None:
                raise RuntimeError(f"conversation {pk} was assigned without routing")
            self.waiting.discard(pk)
            found.append(
                (self.index_of[pk], self.world.index_of_user[assignee], seconds_of(routed_at))
            )
        return found

    def shift_start(self, agent: int, at: float) -> list[Assignment]:
        with self.timed("set_presence"):
            routing.set_presence(self.world.users[agent], Presence.ONLINE, now=moment(at))
        return self._found()

    def shift_end(self, agent: int, at: float) -> None:
        routing.set_presence(self.world.users[agent], Presence.AWAY, now=moment(at))

    def offline(self, agent: int, at: float) -> None:
        routing.set_presence(self.world.users[agent], Presence.OFFLINE, now=moment(at))

    def arrive(self, arrival: Arrival) -> list[Assignment]:
        with self.timed("start_conversation"):
            conversation = conversations.start_conversation(
                customer=self.customer(arrival.customer),
                channel=Channel(arrival.channel),
                body=body_of(arrival),
                language=arrival.language,
            ).conversation
            analysis = arrival.analysis
            analyse_waiting(lambda pending: [dict(analysis) for _ in pending], limit=10)
        self.pk_of[arrival.index] = conversation.pk
        self.index_of[conversation.pk] = arrival.index
        with self.timed("route_conversation"):
            routed = routing.route_conversation(conversation.pk, now=moment(arrival.at))
        if routed is None:
            raise RuntimeError(f"route_conversation({conversation.pk}) returned None")
        self.routed_priority[arrival.index] = routed.priority
        self.routed_queue[arrival.index] = routed.queue
        if routed.assignee_id is None:
            self.waiting.add(conversation.pk)
            return []
        return [(arrival.index, self.world.index_of_user[routed.assignee_id], arrival.at)]

    def respond(self, arrival: Arrival, agent: int, at: float) -> None:
        reply = "正在为您处理" if arrival.language == "zh" else "Looking into it now."
        with self.timed("post_agent_message"):
            conversations.post_agent_message(
                self.world.users[agent], self.pk_of[arrival.index], body=reply
            )

    def resolve(self, arrival: Arrival, agent: int, at: float) -> None:
        with self.timed("change_status"):
            conversations.change_status(
                self.world.users[agent], self.pk_of[arrival.index], Status.RESOLVED
            )

    def sweep(self, at: float) -> list[Assignment]:
        now = moment(at)
        with self.timed("refresh_priorities"):
            routing.refresh_priorities(now)
        with self.timed("assign_waiting"):
            routing.assign_waiting(now=now)
        if at - self.last_sla >= self.sla_every:
            self.last_sla = at
            with self.timed("check_slas"):
                self.sla_reports.append(sla.check_slas(now))
        return self._found()


def body_of(arrival: Arrival) -> str:
    intent = intents().get(arrival.intent)
    if arrival.language == "zh":
        topic = intent.name_zh if intent else "一个问题"
        return f"你好，我想咨询{topic}，请尽快帮我处理，谢谢"
    topic = intent.name_en.lower() if intent else "a question"
    return f"Hello, I need help with {topic}, please check as soon as you can."


# --- figures -----------------------------------------------------------------------------------


def jain(values: list[float]) -> float:
    squares = sum(v * v for v in values)
    return (sum(values) ** 2) / (len(values) * squares) if squares else 1.0


def overlap(intervals: list[tuple[float, float]], windows: list[tuple[float, float]]) -> float:
    total = 0.0
    for start, end in intervals:
        for low, high in windows:
            total += max(0.0, min(end, high, DAY) - max(start, low))
    return total


def union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def figures(day: Day, agents: list[Agent], outcome: Outcome) -> dict[str, Any]:
    by_priority: dict[str, dict[str, Any]] = {}
    waits: dict[int, list[float]] = {level: [] for level in PRIORITY_NAMES}
    met: dict[int, int] = dict.fromkeys(PRIORITY_NAMES, 0)
    unassigned = 0
    for arrival in day.arrivals:
        at = outcome.assigned_at.get(arrival.index)
        if at is None:
            unassigned += 1
            waits[arrival.priority].append(outcome.end - arrival.at)
            continue
        wait = at - arrival.at
        waits[arrival.priority].append(wait)
        if wait + RESPONSE_DELAY <= TARGETS[Priority(arrival.priority)][0]:
            met[arrival.priority] += 1
    for level, name in PRIORITY_NAMES.items():
        values = waits[level]
        by_priority[name] = {
            "n": len(values),
            "mean_wait_min": round(statistics.fmean(values) / 60, 2) if values else 0.0,
            "p95_wait_min": round(harness.percentile(values, 0.95) / 60, 2),
            "sla_attainment": round(met[level] / len(values), 4) if values else 1.0,
        }
    every = [w for values in waits.values() for w in values]
    handled = [0.0] * len(agents)
    intervals: list[list[tuple[float, float]]] = [[] for _ in agents]
    chat_intervals: list[list[tuple[float, float]]] = [[] for _ in agents]
    mismatched = wrong_team = 0
    for index, agent_index in outcome.agent_of.items():
        arrival, agent = day.arrivals[index], agents[agent_index]
        handled[agent_index] += 1
        span = (outcome.assigned_at[index], outcome.assigned_at[index] + arrival.handle)
        intervals[agent_index].append(span)
        if arrival.chat:
            chat_intervals[agent_index].append(span)
        mismatched += arrival.language not in agent.languages
        wrong_team += arrival.queue not in agent.teams
    utilisation = [
        overlap(union(intervals[a.index]), a.windows) / a.on_shift_seconds() for a in agents
    ]
    occupancy = [
        overlap(chat_intervals[a.index], a.windows) / (a.on_shift_seconds() * a.chat_capacity)
        for a in agents
    ]
    assigned = max(1, len(outcome.agent_of))
    mean_handled = statistics.fmean(handled)
    # Assignments made while a conversation of a higher priority (as it arrived), of the same
    # queue and kind, was waiting: its slot could have gone to that one.
    groups: dict[tuple[str, bool], list[Arrival]] = {}
    for arrival in day.arrivals:
        groups.setdefault((arrival.queue, arrival.chat), []).append(arrival)
    inversions = 0
    for group in groups.values():
        for arrival in group:
            at = outcome.assigned_at.get(arrival.index)
            if at is None:
                continue
            inversions += any(
                other.priority > arrival.priority
                and other.at <= at
                and outcome.assigned_at.get(other.index, math.inf) > at
                for other in group
            )
    on_arrival = sum(outcome.assigned_at.get(a.index) == a.at for a in day.arrivals)
    return {
        "by_priority": by_priority,
        "all": {
            "n": len(every),
            "mean_wait_min": round(statistics.fmean(every) / 60, 2),
            "p95_wait_min": round(harness.percentile(every, 0.95) / 60, 2),
            "sla_attainment": round(sum(met.values()) / len(every), 4),
        },
        "never_assigned": unassigned,
        "utilisation": round(statistics.fmean(utilisation), 4),
        "chat_occupancy": round(statistics.fmean(occupancy), 4),
        "fairness": {
            "jain": round(jain(handled), 4),
            "cv": round(statistics.pstdev(handled) / mean_handled, 4) if mean_handled else 0.0,
            "max": int(max(handled)),
            "min": int(min(handled)),
        },
        "assigned_on_arrival": round(on_arrival / len(day.arrivals), 4),
        "priority_inversions": round(inversions / assigned, 4),
        "language_mismatch_rate": round(mismatched / assigned, 4),
        "wrong_team_rate": round(wrong_team / assigned, 4),
    }


def kefu_extras(day: Day, router: KefuRouter, outcome: Outcome) -> dict[str, Any]:
    """What only the real run has: attainment against the due times the code stored, its own
    SLA sweep's counts, and whether it gave the priorities computed here."""
    due = dict(
        ConversationRouting.objects.filter(pk__in=list(router.index_of)).values_list(
            "pk", "first_response_due_at"
        )
    )
    met = counted = 0
    for arrival in day.arrivals:
        due_at = due.get(router.pk_of.get(arrival.index, 0))
        if due_at is None:
            continue
        counted += 1
        at = outcome.assigned_at.get(arrival.index)
        met += at is not None and at + RESPONSE_DELAY <= seconds_of(due_at)
    return {
        "sla_attainment_own_due_times": round(met / counted, 4) if counted else 0.0,
        "sla_sweep": {
            "runs": len(router.sla_reports),
            "warned": sum(r.warned for r in router.sla_reports),
            "breached": sum(r.breached for r in router.sla_reports),
            "escalated": sum(r.escalated for r in router.sla_reports),
        },
        "priority_differs_from_expected": sum(
            router.routed_priority.get(a.index) != a.priority for a in day.arrivals
        ),
        "queue_differs_from_expected": sum(
            router.routed_queue.get(a.index) != a.queue for a in day.arrivals
        ),
        "call_ms": {
            name: harness.summary_ms(values) | {"total_s": round(sum(values), 1)}
            for name, values in router.timings.items()
        },
    }


# --- throughput ----------------------------------------------------------------------------------


def create_understood(day: Day, router: KefuRouter, arrivals: list[Arrival]) -> list[int]:
    """Start and understand conversations (untimed); their ids."""
    pks = []
    analyses: dict[int, dict[str, Any]] = {}
    for arrival in arrivals:
        posted = conversations.start_conversation(
            customer=router.customer(arrival.customer),
            channel=Channel(arrival.channel),
            body=body_of(arrival),
            language=arrival.language,
        )
        pks.append(posted.conversation.pk)
        analyses[posted.message.pk] = arrival.analysis

    def analyse(pending: list[Pending]) -> list[dict[str, Any]]:
        return [dict(analyses[p.message_id]) for p in pending]

    while analyse_waiting(analyse, limit=500):
        pass
    return pks


def throughput(decisions: int, agent_count: int, seed: int) -> dict[str, Any]:
    """Decisions per second on this process's database, fresh: ``route_conversation`` on
    ``decisions`` new conversations with every agent online, then ``assign_waiting`` serving
    the backlog left, a round at a time (the slots freed between rounds, untimed)."""
    call_command("migrate", verbosity=0)
    day = generate_day(decisions * 2, seed, 3)
    agents = generate_agents(agent_count, seed, queue_shares(day))
    world = build_world(agents)
    router = KefuRouter(day, world, sla_every=math.inf)
    now = DAY_START + timedelta(hours=12)
    for user in world.users:
        routing.set_presence(user, Presence.ONLINE, now=now)
    pks = create_understood(day, router, day.arrivals[:decisions])
    durations, assigned = [], 0
    for number, pk in enumerate(pks):
        began = time.perf_counter()
        routed = routing.route_conversation(pk, now=now + timedelta(seconds=number))
        durations.append(time.perf_counter() - began)
        assigned += routed is not None and routed.assignee_id is not None
    # More of the day's conversations join the backlog (routed, untimed) while everyone is full.
    for pk in create_understood(day, router, day.arrivals[decisions:]):
        routing.route_conversation(pk, now=now)
    waiting_at_start = len(routing.waiting_conversations())
    served, rounds, seconds = 0, 0, 0.0
    admin = world.admin
    while True:
        busy = Conversation.objects.filter(assignee__isnull=False, status=Status.OPEN)
        for pk in list(busy.values_list("pk", flat=True)):
            conversations.change_status(admin, pk, Status.RESOLVED)
        began = time.perf_counter()
        count = routing.assign_waiting(now=now + timedelta(minutes=rounds + 1))
        seconds += time.perf_counter() - began
        rounds += 1
        served += count
        if count == 0 or rounds >= 100:
            break
    vendor = connection.vendor
    return {
        "database": "postgresql" if vendor == "postgresql" else vendor,
        "route_conversation": {
            "decisions": len(durations),
            "assigned": assigned,
            "decisions_per_second": round(len(durations) / sum(durations), 1),
            **harness.summary_ms(durations),
        },
        "assign_waiting": {
            "backlog": waiting_at_start,
            "rounds": rounds,
            "assigned": served,
            "assigned_per_second": round(served / seconds, 1) if seconds else 0.0,
            "seconds": round(seconds, 2),
        },
    }


def throughput_in_child(arguments: argparse.Namespace, database_url: str = "") -> dict[str, Any]:
    """Run the throughput measurement in a new process (the database is chosen at start-up)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    environment["KEFU_DATA_DIR"] = tempfile.mkdtemp(prefix="kefu-bench-routing-")
    if database_url:
        environment["DATABASE_URL"] = database_url
    command = [sys.executable, str(Path(__file__).resolve()), "--throughput-only"]
    command += ["--decisions", str(arguments.decisions), "--agents", str(arguments.agents)]
    command += ["--seed", str(arguments.seed)]
    done = subprocess.run(  # noqa: S603 - this script, with this interpreter
        command, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"throughput run failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- report --------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" if n == 0 else "---:" for n in range(len(headers))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def print_report(results: dict[str, Any]) -> None:
    names = list(results["policies"])
    policies = results["policies"]
    print()
    print(
        f"{results['conversations']} conversations ({results['chats']} chats), "
        f"{results['agents']} agents, tick {results['tick_s']:g} s, seed {results['seed']}; "
        "bursts (local time, multiplier): "
        + ", ".join(f"{b['start']}-{b['end']} x{b['multiplier']}" for b in results["bursts"])
    )
    print("\nWait from arrival to assignment, minutes: mean / p95 (n)")
    rows = []
    for level in [*PRIORITY_NAMES.values(), "all"]:
        first = policies[names[0]]
        n = (first["by_priority"][level] if level != "all" else first["all"])["n"]
        cells = [f"{level} ({n})"]
        for name in names:
            row = policies[name]["by_priority"][level] if level != "all" else policies[name]["all"]
            cells.append(f"{row['mean_wait_min']:.1f} / {row['p95_wait_min']:.1f}")
        rows.append(cells)
    print(table(["priority", *names], rows))
    print(
        "\nFirst response within target (assignment + 60 s;"
        " urgent 5 min, high 15, normal 60, low 4 h)"
    )
    rows = []
    for level in [*PRIORITY_NAMES.values(), "all"]:
        cells = [level]
        for name in names:
            row = policies[name]["by_priority"][level] if level != "all" else policies[name]["all"]
            cells.append(percent(row["sla_attainment"]))
        rows.append(cells)
    print(table(["priority", *names], rows))
    print("\nAgents and matching")
    rows = [
        ["utilisation (time with work / time on shift)"]
        + [percent(policies[n]["utilisation"]) for n in names],
        ["chat-slot occupancy"] + [percent(policies[n]["chat_occupancy"]) for n in names],
        ["fairness: Jain's index of conversations per agent"]
        + [f"{policies[n]['fairness']['jain']:.3f}" for n in names],
        ["fairness: coefficient of variation"]
        + [f"{policies[n]['fairness']['cv']:.3f}" for n in names],
        ["conversations per agent, max / min"]
        + [f"{policies[n]['fairness']['max']} / {policies[n]['fairness']['min']}" for n in names],
        ["language mismatch"] + [percent(policies[n]["language_mismatch_rate"]) for n in names],
        ["wrong team"] + [percent(policies[n]["wrong_team_rate"]) for n in names],
        ["assigned on arrival"] + [percent(policies[n]["assigned_on_arrival"]) for n in names],
        ["assigned past a waiting higher priority (same queue and kind)"]
        + [percent(policies[n]["priority_inversions"]) for n in names],
        ["never assigned"] + [str(policies[n]["never_assigned"]) for n in names],
    ]
    print(table(["", *names], rows))
    extras = results["kefu_run"]
    print(
        f"\nKefu against the due times it stored: {percent(extras['sla_attainment_own_due_times'])}"
        f"; its SLA sweep: {extras['sla_sweep']}; priorities differing from the expected: "
        f"{extras['priority_differs_from_expected']}, "
        f"queues: {extras['queue_differs_from_expected']}"
    )
    print("Kefu calls during the day, ms p50 / p95 (n, total s):")
    for name, row in extras["call_ms"].items():
        print(f"  {name}: {row['p50_ms']} / {row['p95_ms']} ({row['n']}, {row['total_s']} s)")
    rows = []
    for run in results["throughput"]:
        route, backlog = run["route_conversation"], run["assign_waiting"]
        rows.append(
            [
                run["database"],
                f"{route['decisions_per_second']:,.1f}",
                f"{route['p50_ms']} / {route['p95_ms']}",
                f"{route['assigned']} of {route['decisions']}",
                f"{backlog['assigned_per_second']:,.1f}",
                f"{backlog['assigned']} of {backlog['backlog']} in {backlog['rounds']} rounds",
            ]
        )
    print("\nAssignment throughput (one process, fresh database)")
    print(
        table(
            [
                "database",
                "route_conversation /s",
                "p50 / p95 ms",
                "assigned",
                "assign_waiting assigned /s",
                "backlog served",
            ],
            rows,
        )
    )
    print(f"\nelapsed: {results['elapsed_s']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=18)
    parser.add_argument("--tick", type=float, default=60.0, help="sweep every N simulated s")
    parser.add_argument("--sla-every", type=float, default=300.0, help="check_slas every N s")
    parser.add_argument("--bursts", type=int, default=3, choices=range(4))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--decisions", type=int, default=400, help="throughput: conversations")
    parser.add_argument("--postgres", default="", help="also measure throughput on PostgreSQL")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--throughput-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.throughput_only:
        print(json.dumps(throughput(arguments.decisions, arguments.agents, arguments.seed)))
        return

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    elapsed: dict[str, float] = {}
    day = generate_day(arguments.conversations, arguments.seed, arguments.bursts)
    agents = generate_agents(arguments.agents, arguments.seed, queue_shares(day))
    policies: dict[str, Any] = {}
    for name, by_team in (("round robin, within team", True), ("round robin, any agent", False)):
        began = time.perf_counter()
        outcome = simulate(day, agents, RoundRobin(agents, by_team=by_team), arguments.tick, say)
        policies[name] = figures(day, agents, outcome)
        elapsed[name] = round(time.perf_counter() - began, 1)
    say("Kefu routing, SQLite")
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    world = build_world(agents)
    router = KefuRouter(day, world, sla_every=arguments.sla_every)
    outcome = simulate(day, agents, router, arguments.tick, say)
    kefu = figures(day, agents, outcome)
    elapsed["kefu_day_sqlite"] = round(time.perf_counter() - began, 1)
    results: dict[str, Any] = {
        "conversations": len(day.arrivals),
        "chats": sum(a.chat for a in day.arrivals),
        "in_bursts": sum(a.burst for a in day.arrivals),
        "agents": len(agents),
        "tick_s": arguments.tick,
        "seed": arguments.seed,
        "bursts": [
            {
                "start": moment(start).strftime("%H:%M"),
                "end": moment(end).strftime("%H:%M"),
                "multiplier": round(multiplier, 1),
            }
            for start, end, multiplier in day.bursts
        ],
        "roster": [
            {
                "name": a.name,
                "teams": list(a.teams),
                "languages": list(a.languages),
                "chats": a.chat_capacity,
                "tickets": a.ticket_capacity,
            }
            for a in agents
        ],
        "policies": {"Kefu routing": kefu, **policies},
        "kefu_run": kefu_extras(day, router, outcome),
        "throughput": [],
    }
    if not arguments.skip_throughput:
        say("throughput, SQLite")
        began = time.perf_counter()
        results["throughput"].append(throughput_in_child(arguments))
        elapsed["throughput_sqlite"] = round(time.perf_counter() - began, 1)
        if arguments.postgres:
            say("throughput, PostgreSQL")
            began = time.perf_counter()
            with harness.fresh_postgres(arguments.postgres, "bench_routing") as url:
                results["throughput"].append(throughput_in_child(arguments, url))
            elapsed["throughput_postgresql"] = round(time.perf_counter() - began, 1)
    elapsed["total"] = round(time.perf_counter() - started, 1)
    results["elapsed_s"] = elapsed
    results["decisions_per_second"] = {
        run["database"]: {
            "route_conversation": run["route_conversation"]["decisions_per_second"],
            "assign_waiting": run["assign_waiting"]["assigned_per_second"],
        }
        for run in results["throughput"]
    }
    print_report(results)
    print(json.dumps({"benchmark": "routing", "machine": harness.machine(), **results}))


if __name__ == "__main__":
    main()
