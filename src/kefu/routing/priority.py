"""A conversation's priority, computed from what is known about it, with every reason an agent
can read.

Points add up: the intent's severity (suspected account takeover and phishing are urgent), the
urgency signals of the customer's messages (hacked, stolen, scam, threats, capitals), how
unhappy they are, their VIP tier and security level, the amount at stake when known, and how
long they have waited. The total maps to low / normal / high / urgent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.conversations.models import Priority, SecurityLevel, VipTier
from kefu.lib.taxonomy import intents

# Points for the intent itself.
INTENT_POINTS = {
    "security.unauthorized_access": 60,
    "security.phishing_scam": 60,
    "withdrawal.failed": 25,
    "p2p.dispute": 25,
    "withdrawal.pending": 20,
    "deposit.not_credited": 20,
    "deposit.wrong_network_or_memo": 20,
    "security.account_locked": 20,
    "fiat.deposit_issue": 20,
    "fiat.withdrawal_issue": 20,
    "trade.futures_liquidation": 20,
    "trade.system_issue": 20,
    "feedback.complaint": 20,
    "security.2fa_reset": 15,
    "trade.order_issue": 15,
    "security.password_reset": 10,
    "api.errors": 10,
    "kyc.status": 5,
    "account.close": 5,
}
SIGNAL_POINTS = {
    "hacked": 30,
    "stolen": 30,
    "scam": 20,
    "threat": 15,
    "all_caps": 5,
    "exclamations": 5,
    "repeated_contact": 10,
}
VIP_POINTS: dict[int, int] = {
    VipTier.VIP1: 5,
    VipTier.VIP2: 10,
    VipTier.VIP3: 15,
    VipTier.INSTITUTIONAL: 20,
}
SECURITY_POINTS: dict[str, int] = {SecurityLevel.ELEVATED: 10, SecurityLevel.HIGH: 20}
# The bot suspected an account takeover and handed off as urgent.
BOT_URGENT_POINTS = 40
NEGATIVE_SENTIMENT_POINTS = 15
# Amounts in money whose value is plain (fiat and stablecoins), in USD per unit.
USD_PER_UNIT = {
    "USD": Decimal(1),
    "USDT": Decimal(1),
    "USDC": Decimal(1),
    "EUR": Decimal("1.1"),
    "GBP": Decimal("1.3"),
    "CNY": Decimal("0.14"),
}
AMOUNT_STEPS = ((Decimal(100_000), 20), (Decimal(10_000), 10), (Decimal(1_000), 5))
COIN_AMOUNT_POINTS = 5
WAIT_POINTS_PER_MINUTE = 0.5
MAX_WAIT_POINTS = 20
# Lowest total for each level.
LEVELS = ((60, Priority.URGENT), (30, Priority.HIGH), (5, Priority.NORMAL))

FACTOR_LABELS = {
    "intent": gettext_lazy("topic"),
    "signal": gettext_lazy("urgency signal"),
    "sentiment": gettext_lazy("sentiment"),
    "vip": gettext_lazy("VIP tier"),
    "security": gettext_lazy("security level"),
    "amount": gettext_lazy("amount at stake"),
    "bot": gettext_lazy("bot hand-off"),
    "waiting": gettext_lazy("waiting time"),
}


class Reason(TypedDict):
    """One factor of the priority, stored on the conversation's routing row."""

    factor: str
    points: int
    value: str


@dataclass(frozen=True)
class Facts:
    """What the priority is computed from."""

    intent: str = ""
    signals: frozenset[str] = frozenset()
    negative_sentiment: float = 0.0
    vip_tier: int = VipTier.REGULAR
    security_level: str = SecurityLevel.NORMAL
    amount: tuple[Decimal, str] | None = None
    bot_urgent: bool = False
    waiting_since: datetime | None = None


@dataclass(frozen=True)
class Computed:
    score: int
    priority: Priority
    reasons: list[Reason] = field(default_factory=list)


def facts_from(
    *,
    intent: str,
    analyses: Iterable[object],
    vip_tier: int,
    security_level: str,
    bot_urgent: bool = False,
    waiting_since: datetime | None = None,
) -> Facts:
    """Gather the facts from the stored analyses of the customer's messages."""
    signals: set[str] = set()
    negative = 0.0
    amount: tuple[Decimal, str] | None = None
    for analysis in analyses:
        if not isinstance(analysis, dict):
            continue
        signals.update(str(s) for s in analysis.get("signals") or () if s in SIGNAL_POINTS)
        if analysis.get("sentiment") == "negative":
            negative = max(negative, _float(analysis.get("sentiment_score")))
        found = _amount(analysis.get("amount"))
        if found is not None and (amount is None or _usd(found) > _usd(amount)):
            amount = found
    return Facts(
        intent=intent,
        signals=frozenset(signals),
        negative_sentiment=negative,
        vip_tier=vip_tier,
        security_level=security_level,
        amount=amount,
        bot_urgent=bot_urgent,
        waiting_since=waiting_since,
    )


def compute_priority(facts: Facts, now: datetime) -> Computed:
    """Add up the points of every factor that applies and map the total to a level."""
    reasons: list[Reason] = []

    def add(factor: str, points: int, value: object) -> None:
        if points:
            reasons.append({"factor": factor, "points": points, "value": str(value)})

    add("intent", INTENT_POINTS.get(facts.intent, 0), facts.intent)
    for signal in sorted(facts.signals):
        add("signal", SIGNAL_POINTS[signal], signal)
    add("sentiment", round(NEGATIVE_SENTIMENT_POINTS * min(1.0, facts.negative_sentiment)), "")
    add("vip", VIP_POINTS.get(facts.vip_tier, 0), facts.vip_tier)
    add("security", SECURITY_POINTS.get(facts.security_level, 0), facts.security_level)
    if facts.amount is not None:
        value, currency = facts.amount
        add("amount", _amount_points(value, currency), f"{value} {currency}")
    if facts.bot_urgent:
        add("bot", BOT_URGENT_POINTS, "")
    if facts.waiting_since is not None:
        minutes = max(0.0, (now - facts.waiting_since).total_seconds() / 60)
        add("waiting", min(MAX_WAIT_POINTS, int(minutes * WAIT_POINTS_PER_MINUTE)), int(minutes))
    score = sum(reason["points"] for reason in reasons)
    return Computed(score, level_for(score), reasons)


def level_for(score: int) -> Priority:
    for lowest, level in LEVELS:
        if score >= lowest:
            return level
    return Priority.LOW


def describe(reason: Reason) -> str:
    """The reason in words, in the active language: "+60 topic: Unauthorized access"."""
    factor, value = reason.get("factor", ""), reason.get("value", "")
    label = str(FACTOR_LABELS.get(factor, factor))
    if factor == "intent":
        intent = intents().get(value)
        value = intent.name if intent else value
    elif factor == "signal":
        from kefu.nlu.urgency import SIGNALS

        value = str(SIGNALS.get(value, value))
    elif factor == "sentiment":
        value = _("negative")
    elif factor == "vip":
        value = (
            str(VipTier(int(value)).label)
            if value.isdigit() and int(value) in VipTier.values
            else value
        )
    elif factor == "security":
        value = str(SecurityLevel(value).label) if value in SecurityLevel.values else value
    elif factor == "bot":
        value = _("suspected account takeover")
    elif factor == "waiting":
        value = _("%(minutes)s min") % {"minutes": value}
    return f"+{reason.get('points', 0)} {label}: {value}"


def _amount(raw: object) -> tuple[Decimal, str] | None:
    if not isinstance(raw, dict):
        return None
    try:
        value = Decimal(str(raw.get("value")))
    except (InvalidOperation, ValueError):
        return None
    currency = str(raw.get("currency") or "").upper()[:10]
    if not value.is_finite() or value <= 0 or not currency:
        return None
    return value, currency


def _usd(amount: tuple[Decimal, str]) -> Decimal:
    value, currency = amount
    return value * USD_PER_UNIT.get(currency, Decimal(0))


def _amount_points(value: Decimal, currency: str) -> int:
    if currency not in USD_PER_UNIT:
        return COIN_AMOUNT_POINTS
    usd = value * USD_PER_UNIT[currency]
    for lowest, points in AMOUNT_STEPS:
        if usd >= lowest:
            return points
    return 0


def _float(value: object) -> float:
    if not isinstance(value, int | float | str):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if 0.0 <= number <= 1.0 else 0.0
